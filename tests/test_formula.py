"""Formula to graph: good formulas, hostile ones, and the CLI."""
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server.engine.document import GraphError
from server.teaching.formula import parse_formula
from server.engine.graph import ComputationGraph

ROOT = Path(__file__).resolve().parent.parent
DOUGHNUT = "doughnut = 100\ncount = 2\ntax = 1.1\nprice = doughnut * count * tax\n"


def evaluate(text):
    g = ComputationGraph.from_dict(parse_formula(text))
    return g, g.forward(), g.backward()


def test_doughnut_formula_gives_the_book_graph():
    g, values, grads = evaluate(DOUGHNUT)
    doc = g.to_dict()
    assert [n["id"] for n in doc["nodes"]] == ["doughnut", "count", "tax", "mul1", "price"]
    assert doc["output"] == "price"
    assert values["price"] == pytest.approx(220)
    assert (grads["doughnut"], grads["count"], grads["tax"]) == pytest.approx((2.2, 110, 200))
    assert {n["id"]: n.get("label") for n in doc["nodes"]}["tax"] == "tax"


def test_every_registry_function_and_operator_parses():
    g, values, grads = evaluate("x = 0.5\ny = exp(x) + log(x) - sigmoid(x) * relu(x) / tanh(x) ** 3 + -x")
    ops = {n["op"] for n in g.to_dict()["nodes"]}
    assert ops == {"input", "exp", "log", "sigmoid", "relu", "tanh", "pow", "add", "sub", "mul", "div", "neg"}
    assert grads["x"] == pytest.approx(_numeric(lambda x: __import__("math").exp(x) + __import__("math").log(x)
                                               - (1 / (1 + __import__("math").exp(-x))) * max(x, 0) / __import__("math").tanh(x) ** 3 - x, 0.5))


def _numeric(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_name_used_twice_is_one_node_with_fan_out():
    g, values, grads = evaluate("x = 3\ny = x * x + x")
    assert grads["x"] == 7
    assert sum(1 for n in g.to_dict()["nodes"] if n["op"] == "input") == 1


def test_negative_literals_and_constant_exponents():
    g, values, _ = evaluate("a = -2\nb = a ** -1 + (-a) ** 0.5")
    assert values["b"] == pytest.approx(-0.5 + 2 ** 0.5)
    pow_nodes = [n for n in g.to_dict()["nodes"] if n["op"] == "pow"]
    assert sorted(n["params"]["exponent"] for n in pow_nodes) == [-1.0, 0.5]


def test_final_bare_expression_is_the_output():
    g, values, _ = evaluate("a = 2\na * 5")
    assert values[g.output] == 10


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "line 1, column 1: unknown function '__import__'"),
    ("a = 1\nb = a.real", "line 2, column 5: attributes are not allowed"),
    ("a = [1][0]", "subscripts are not allowed"),
    ("f = lambda: 1", "lambdas are not allowed"),
    ("import os", "imports are not allowed"),
    ("from os import path", "imports are not allowed"),
    ("a = open('x')", "unknown function 'open'"),
    ("a = b + 1\nb = a * 2", "line 1, column 5: name 'b' is not defined"),
    ("a = 1\na = a + 1", "line 2, column 1: name 'a' is assigned twice"),
    ("a = 2\nb = 2 ** a", "exponent of ** must be a constant"),
    ("a = 'text'", "only numbers are allowed"),
    ("a = 1 < 2", "comparisons are not allowed"),
    ("a = 2 % 3", "operator Mod is not supported"),
    ("a = exp(1, 2)", "exp() takes exactly one argument"),
    ("a, b = 1, 2", "assign to one plain name"),
    ("a += 1", "augmented assignments"),
    ("def f(): pass", "function definitions are not allowed"),
    ("a = (", "line 1"),
    ("", "empty"),
    ("a = 1e999", "too large"),
    ("exp = 3", "is a function name"),
])
def test_hostile_or_invalid_formulas_are_refused_with_line_column_and_reason(text, message):
    with pytest.raises(GraphError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        parse_formula(text)


@pytest.mark.parametrize("text", [
    "(" * 10_000 + "1" + ")" * 10_000,
    "-" * 10_000 + "1",
    "x = 1\ny = " + "exp(" * 10_000 + "x" + ")" * 10_000,
    "a = " + "1 + " * 1_000_000 + "1",        # about 4 MB
    "a = 1\n" * 200_000,                      # over 1 MB of lines
])
def test_pathological_formulas_fail_fast_with_a_clear_message(text):
    start = time.perf_counter()
    with pytest.raises(GraphError) as err:
        parse_formula(text)
    assert time.perf_counter() - start < 5
    assert str(err.value)  # a message for a person, not a traceback


def test_long_chain_within_limits_builds_without_recursion():
    text = "x = 1\ny = " + " + ".join(["x"] * 150)
    g, values, grads = evaluate(text)
    assert values["y"] == 150 and grads["x"] == 150


def test_formula_node_limit():
    from server.engine.document import Limits
    with pytest.raises(GraphError, match="more than 10 nodes"):
        parse_formula("x = 1\ny = " + " + ".join(["x"] * 20), limits=Limits(max_nodes=10))


def test_cli_new_from_text_and_file(tmp_path):
    out = tmp_path / "doc.json"
    r = subprocess.run([sys.executable, "-m", "server.cli", "new", "--formula", DOUGHNUT, "-o", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert ComputationGraph.from_json(out.read_bytes()).forward()["price"] == pytest.approx(220)
    src = tmp_path / "f.txt"
    src.write_text("a = 2\nb = a ** 3\n")
    r = subprocess.run([sys.executable, "-m", "server.cli", "new", "--formula", str(src)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and '"output": "b"' in r.stdout
    r = subprocess.run([sys.executable, "-m", "server.cli", "new", "--formula", "a = __import__('os')"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "unknown function '__import__'" in r.stderr and r.stdout == ""
