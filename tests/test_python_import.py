"""Importing a script in the book's style (buy_apple.py): parsed with ast, never run.

Every refusal names its line and column; a hostile script is refused without
anything in it being executed.
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import server.engine.layers  # noqa: F401  (fills the registry)
from server.engine.document import GraphError
from server.engine.graph import ComputationGraph
from server.export.embed import document_from_file
from server.teaching.examples import NAMES, PYTHON, example_doc, example_source, list_examples
from server.teaching.pyimport import PythonImportError, import_python

ROOT = Path(__file__).resolve().parent.parent

BOOK = '''\
# coding: utf-8
from layer_naive import *

apple = 100
apple_num = 2
orange = 150
orange_num = 3
tax = 1.1

mul_apple_layer = MulLayer()
mul_orange_layer = MulLayer()
add_apple_orange_layer = AddLayer()
mul_tax_layer = MulLayer()

apple_price = mul_apple_layer.forward(apple, apple_num)
orange_price = mul_orange_layer.forward(orange, orange_num)
all_price = add_apple_orange_layer.forward(apple_price, orange_price)
price = mul_tax_layer.forward(all_price, tax)

dprice = 1
dall_price, dtax = mul_tax_layer.backward(dprice)
dapple_price, dorange_price = add_apple_orange_layer.backward(dall_price)
dorange, dorange_num = mul_orange_layer.backward(dorange_price)
dapple, dapple_num = mul_apple_layer.backward(dapple_price)

print(int(price))
print(dapple, dapple_num, dorange, dorange_num, dtax)
'''

SHOPPING_GRADIENTS = {"apple": 2.2, "apple_num": 110, "orange": 3.3, "orange_num": 165, "tax": 650}


def evaluated(doc):
    g = ComputationGraph.from_dict(doc)
    return g.forward(), g.backward()


def test_the_books_buy_apple_orange_imports_to_715_and_its_gradients():
    doc = import_python(BOOK)
    values, grads = evaluated(doc)
    assert doc["output"] == "price" and values["price"] == pytest.approx(715)
    assert {k: grads[k] for k in SHOPPING_GRADIENTS} == pytest.approx(SHOPPING_GRADIENTS)
    ops = {n["id"]: n["op"] for n in doc["nodes"]}
    assert ops == {"apple": "input", "apple_num": "input", "orange": "input", "orange_num": "input",
                   "tax": "input", "apple_price": "mul", "orange_price": "mul", "all_price": "add", "price": "mul"}
    assert "dprice" not in ops  # the output's gradient is not a node
    assert all(isinstance(n["x"], float) for n in doc["nodes"])  # laid out
    assert len({(n["x"], n["y"]) for n in doc["nodes"]}) == len(doc["nodes"])


@pytest.mark.parametrize("name", PYTHON)
def test_the_shipped_shopping_scripts_run_as_python_and_import_to_the_same_numbers(name, tmp_path):
    source = example_source(name)
    run = subprocess.run([sys.executable, "-I", "-S", "-c", source], cwd=tmp_path, capture_output=True,
                         text=True, timeout=30, env={})
    assert run.returncode == 0, run.stderr
    printed = dict(line.split(": ") for line in run.stdout.splitlines())
    values, grads = evaluated(example_doc(name))
    assert float(printed["price"]) == pytest.approx(values["price"])
    for key, value in printed.items():
        if key != "price":
            assert float(value) == pytest.approx(grads[key[1:]])
    if name == "buy_apple_orange":
        assert values["price"] == pytest.approx(715)
        assert {k: grads[k] for k in SHOPPING_GRADIENTS} == pytest.approx(SHOPPING_GRADIENTS)
    else:
        assert values["price"] == pytest.approx(220)
        assert (grads["apple"], grads["apple_num"], grads["tax"]) == pytest.approx((2.2, 110, 200))


def test_the_python_examples_are_listed_with_the_json_ones():
    names = [e["name"] for e in list_examples()]
    assert names == list(NAMES) and {"buy_apple", "buy_apple_orange", "doughnut"} <= set(names)
    titles = {e["name"]: e["title"] for e in list_examples()}
    assert "buy_apple_orange.py" in titles["buy_apple_orange"]


def test_backward_calls_are_optional_and_the_last_forward_is_the_output():
    forward_only = BOOK.split("dprice = 1")[0]
    doc = import_python(forward_only)
    assert doc["output"] == "price"
    assert evaluated(doc)[1] == evaluated(import_python(BOOK))[1]


def test_layer_classes_written_in_the_script_are_skipped_and_the_registrys_are_used():
    script = ('class MulLayer:\n    def __init__(self):\n        self.x = None\n\n'
              '    def forward(self, x, y):\n        return x + y  # wrong on purpose: not what the graph does\n\n'
              '    def backward(self, dout):\n        return dout, dout\n\n\n'
              'a = 3\nb = 4\nm = MulLayer()\nc = m.forward(a, b)\n')
    values, _ = evaluated(import_python(script))
    assert values["c"] == 12


def test_a_node_used_twice_takes_the_sum_of_its_parts():
    script = ("import math\nx = 3\nsq = MulLayer()\np = PowLayer(exponent=3)\ny = sq.forward(x, x)\n"
              "z = p.forward(y)\ndz = 1\ndy = p.backward(dz)\ndx_1, dx_2 = sq.backward(dy)\ndx = dx_1 + dx_2\n"
              "print(f'dx = {dx:.3f}')\n")
    doc = import_python(script)
    assert [n for n in doc["nodes"] if n["id"] == "z"][0]["params"] == {"exponent": 3.0}
    assert evaluated(doc)[1]["x"] == pytest.approx(3 * 9 ** 2 * 2 * 3)


def test_the_backward_pass_may_start_at_any_node_which_becomes_the_output():
    script = ("a = 1\nb = 2\nm = MulLayer()\nn = NegLayer()\nc = m.forward(a, b)\nd = n.forward(c)\n"
              "dc = 1\nda, db = m.backward(dc)\n")
    doc = import_python(script)
    assert doc["output"] == "c" and evaluated(doc)[1] == {"a": 2.0, "b": 1.0, "c": 1.0}


def test_the_title_is_the_docstring_else_the_name_given():
    assert import_python('"""Shopping\n\nMore words."""\na = 1\n', title="file")["title"] == "Shopping"
    assert import_python("a = 1\n", title="buy_apple")["title"] == "buy_apple"


def where(line, column):
    return re.escape(f"line {line}, column {column}:")


REFUSED = [
    # hostile code, all of it refused before anything could run
    ("import os\n", 1, 1, "imports are not allowed"),
    ("a = 1\nexec('open(\"pwned\", \"w\")')\n", 2, 1, "a call on its own is not allowed"),
    ("a = 1\nb = __import__('os').system('touch pwned')\n", 2, 5, "cannot be assigned"),
    ("a = 1\nb = a.__class__\n", 2, 5, "an attribute cannot be assigned"),
    ("m = MulLayer()\nm.x = 3\n", 2, 1, "assign to a plain name, not an attribute"),
    ("m = MulLayer()\na = 1\nb = m.reset(a, a)\n", 3, 5, "a call cannot be assigned"),
    ("m = MulLayer()\na = 1\nb = m.forward.__globals__\n", 3, 5, "an attribute cannot be assigned"),
    ("while True:\n    pass\n", 1, 1, "loops are not allowed"),
    ("for i in range(3):\n    pass\n", 1, 1, "loops are not allowed"),
    ("a = 1\nif a:\n    b = 2\n", 2, 1, "if statements are not allowed"),
    ("def f():\n    open('pwned', 'w')\n", 1, 1, "function definitions are not allowed"),
    ("class Evil:\n    pass\n", 1, 1, "class Evil is not one of the layers"),
    ("@decorate\nclass MulLayer:\n    def forward(self, x, y): pass\n    def backward(self, d): pass\n",
     2, 1, "no decorators"),
    ("class MulLayer:\n    def forward(self, x, y):\n        return x * y\n", 1, 1, "has no backward method"),
    ("from os import system\n", 1, 1, "only the book's layers may be imported"),
    ("from layer_naive import MulLayer, system\n", 1, 35, "'system' is not a layer class"),
    ("a = 1\nprint(open('pwned', 'w'))\n", 2, 7, "print() may show"),
    ("a = 1\na += 1\n", 2, 1, "augmented assignments"),
    ("a = 'text'\n", 1, 5, "a constant cannot be assigned"),
    ("a = lambda: 0\n", 1, 5, "a lambda cannot be assigned"),
    ("with open('x') as f:\n    pass\n", 1, 1, "with blocks are not allowed"),
    ("a = (1 +\n", 1, 5, "never closed"),
    # the book's forms, used wrongly
    ("a = 1\nb = 2\nm = MulLayer()\nc = m.forward(a, b)\nd = m.forward(c, b)\n", 5, 5,
     "m already ran forward"),
    ("a = 1\nm = MulLayer()\nc = m.forward(a)\n", 3, 5, "takes 2 inputs"),
    ("a = 1\nm = MulLayer()\nc = m.forward(a, zz)\n", 3, 18, "'zz' is not defined"),
    ("m = MulLayer()\nc = m.forward(1, 2)\n", 2, 15, "pass a name, not a number"),
    ("a = 1\nb = 2\nc = n.forward(a, b)\n", 3, 5, "'n' is not defined"),
    ("a = 1\na = 2\n", 2, 1, "'a' is assigned twice"),
    ("MulLayer = 3\n", 1, 1, "is the name of a layer class"),
    ("m = MulLayer(3)\n", 1, 5, "takes no arguments"),
    ("p = PowLayer(power=3)\n", 1, 20, "no parameter 'power'"),
    ("a = 1\np = PowLayer(exponent=a)\n", 2, 23, "must be a number"),
    ("a = 1\nb = 2\nm = MulLayer()\nc = m.forward(a, b)\ndc = 2\nda, db = m.backward(dc)\n", 6, 21,
     "the output's gradient starts at 1"),
    ("a = 1\nb = 2\nm = MulLayer()\nc = m.forward(a, b)\ndc = 1\nda = m.backward(dc)\n", 6, 1,
     "returns 2 gradients"),
    ("a = 1\nb = 2\nm = MulLayer()\nn = NegLayer()\nc = m.forward(a, b)\nd = n.forward(c)\ndd = 1\n"
     "dc = n.backward(dd)\nda, db = m.backward(db)\n", 9, 21, "'db' is not defined"),
    ("a = 1\nb = 2\nm = MulLayer()\nn = NegLayer()\nc = m.forward(a, b)\nd = n.forward(c)\ndd = 1\n"
     "dc = n.backward(dd)\nda, db = m.backward(dd)\n", 9, 21, "is not a gradient"),
    ("a = 1\nm = MulLayer()\nn = NegLayer()\nc = m.forward(a, a)\nd = n.forward(c)\ndd = 1\n"
     "dc = n.backward(dd)\nda1, da2 = m.backward(dc)\nda = da1\n", 9, 6, "a name cannot be assigned"),
    ("a = 1\nm = MulLayer()\nn = NegLayer()\nk = NegLayer()\nc = n.forward(a)\nd = k.forward(a)\n"
     "e = m.forward(c, d)\nde = 1\ndc, dd = m.backward(de)\nda1 = n.backward(dc)\nda2 = k.backward(dd)\n"
     "da = da1\n", 12, 6, "a name cannot be assigned"),
    ("a = 1\nb = 2\nm = MulLayer()\nn = NegLayer()\nc = m.forward(a, b)\ndc = 1\nda, db = m.backward(dc)\n"
     "d = n.forward(c)\n", 8, 5, "forward calls come before the backward pass"),
    ("a = 1\nb = 2\nm = MulLayer()\ndc = 1\nda, db = m.backward(dc)\n", 5, 10, "comes before its forward"),
    ("a = 1\nb = 2\nm = MulLayer()\nc = m.forward(a, b)\ndc = 1\nda, db = m.backward(dc)\n"
     "da2, db2 = m.backward(dc)\n", 7, 12, "called twice"),
]


@pytest.mark.parametrize("script, line, column, message", REFUSED,
                         ids=[f"{k}-{r[3][:30]}" for k, r in enumerate(REFUSED)])
def test_anything_else_is_refused_with_its_line_and_column(script, line, column, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PythonImportError, match=where(line, column) + ".*" + re.escape(message)):
        import_python(script)
    assert os.listdir(tmp_path) == []  # nothing ran: no file appeared


def test_a_part_of_a_used_twice_nodes_gradient_is_refused_as_its_whole_gradient():
    script = ("a = 1\nm = MulLayer()\nn = NegLayer()\nc = m.forward(a, a)\nd = n.forward(c)\ndd = 1\n"
              "dc = n.backward(dd)\nda1, da2 = m.backward(dc)\nk = NegLayer()\n")
    import_python(script)  # the parts themselves are fine
    script = ("a = 1\nm = MulLayer()\nk = NegLayer()\nb = k.forward(a)\nc = m.forward(b, b)\ndc = 1\n"
              "db1, db2 = m.backward(dc)\nda = k.backward(db1)\n")
    with pytest.raises(PythonImportError, match=where(8, 17) + ".*one part of the gradient of 'b'.*db1 \\+ db2"):
        import_python(script)
    fixed = script.replace("da = k.backward(db1)", "db = db1 + db2\nda = k.backward(db)")
    assert evaluated(import_python(fixed))[1]["a"] == 2.0  # b = -a; d(b·b)/da = 2b · -1


def test_the_cli_imports_a_script_and_eval_gives_715(tmp_path):
    script = tmp_path / "buy_apple_orange.py"
    script.write_text(BOOK)
    out = tmp_path / "doc.json"
    run = subprocess.run([sys.executable, "-m", "server.cli", "import-python", str(script), "-o", str(out)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text())["title"] == "buy_apple_orange"
    run = subprocess.run([sys.executable, "-m", "server.cli", "eval", str(out)], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    result = json.loads(run.stdout)
    assert result["values"]["price"] == pytest.approx(715)
    assert {k: result["grads"][k] for k in SHOPPING_GRADIENTS} == pytest.approx(SHOPPING_GRADIENTS)


def test_the_cli_refuses_with_the_line_and_column_and_exit_1(tmp_path):
    script = tmp_path / "evil.py"
    script.write_text("a = 1\nimport os\n")
    run = subprocess.run([sys.executable, "-m", "server.cli", "import-python", str(script)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 1 and run.stdout == ""
    assert "line 2, column 1: imports are not allowed" in run.stderr


def test_an_uploaded_py_file_is_imported_by_name_or_by_content():
    from server.engine.document import Limits
    from server.web.files import document_from_upload
    assert document_from_upload(BOOK.encode(), "shop.py", Limits())["output"] == "price"
    assert document_from_upload(BOOK.encode(), "", Limits())["title"] == "Python layers"  # no name, no docstring
    with pytest.raises(GraphError, match="line 1, column 1: imports"):
        document_from_upload(b"import os\n", "evil.py", Limits())
    with pytest.raises(GraphError, match="not a gradcanvas JSON document, SVG, PNG or Python"):
        document_from_upload(b"shopping: doughnuts\n", "notes.txt", Limits())
    with pytest.raises(GraphError, match="Python script"):
        document_from_file(BOOK.encode())


UPLOAD = {"X-Requested-With": "gradcanvas"}


def test_post_import_with_a_py_file_makes_the_graph(client):
    r = client.post("/api/graphs/import", data={"file": (io.BytesIO(BOOK.encode()), "buy_apple_orange.py")},
                    content_type="multipart/form-data", headers=UPLOAD)
    assert r.status_code == 201, r.json
    doc = client.get(f"/api/graphs/{r.json['id']}").json
    assert doc["title"] == "buy_apple_orange" and doc["output"] == "price"
    assert evaluated({k: doc[k] for k in ("format", "version", "title", "nodes", "edges", "output")})[0]["price"] \
        == pytest.approx(715)


def test_post_import_refuses_a_hostile_script_with_its_line(client):
    r = client.post("/api/graphs/import", data={"file": (io.BytesIO(b"a = 1\nwhile True: pass\n"), "x.py")},
                    content_type="multipart/form-data", headers=UPLOAD)
    assert r.status_code == 400 and "line 2, column 1: loops are not allowed" in r.json["error"]


def test_the_examples_menu_opens_the_python_examples(client):
    r = client.post("/api/examples/buy_apple_orange", headers=UPLOAD)
    assert r.status_code == 201, r.json
