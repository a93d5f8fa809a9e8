"""The registry as the one place: every op's rule texts agree with its code, no module
outside server/engine/layers/ special-cases an op by name, and ``max``, added as one
file (server/engine/layers/maximum.py), works everywhere an op appears."""
import ast
import math
import operator
import random
import re
from pathlib import Path

import pytest

import server.engine.layers  # noqa: F401  (fills the registry)
from server.engine.graph import ComputationGraph
from server.engine.registry import OPS, describe_ops, ops_markdown
from server.engine.steps import substitute
from server.engine.visible import wire_event
from server.export import FORMATS, export
from server.export.embed import document_from_file
from server.teaching.formula import FormulaError, parse_formula
from server.teaching.gradcheck import check_gradients

ROOT = Path(__file__).resolve().parent.parent
COMPUTED = [name for name, spec in OPS.items() if spec.ports and spec.takes_scalars]  # ops of numbers


# -- the numbers templates spell out what backward() computes ----------------------
TO_PYTHON = [("−", "-"), ("×", "*"), ("÷", "/"), ("·", "*"), ("²", "**2"), ("^", "**"),
             ("[", "("), ("]", ")"), ("≥", ">="), ("≤", "<=")]
ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv, ast.Pow: operator.pow}
COMPARE = {ast.Gt: operator.gt, ast.Lt: operator.lt, ast.GtE: operator.ge, ast.LtE: operator.le,
           ast.Eq: operator.eq}


def arithmetic(text: str) -> float:
    """The number a substituted template spells out: '2 × [3 > 0]' → 2.0.

    [a > b] is an Iverson bracket (1 or 0) and '=' inside one compares; only
    numbers, + − × ÷ ^ ² and comparisons are read, through ast, never eval."""
    py = text
    for a, b in TO_PYTHON:
        py = py.replace(a, b)
    py = re.sub(r"(?<![<>=!])=(?!=)", "==", py)
    return _value(ast.parse(py, mode="eval").body)


def _value(node):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _value(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        return ARITHMETIC[type(node.op)](_value(node.left), _value(node.right))
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE:
        return float(COMPARE[type(node.ops[0])](_value(node.left), _value(node.comparators[0])))
    raise ValueError(f"not arithmetic: {ast.unparse(node)}")


def grid(rng):
    """A number with one decimal, so the text shows it exactly: ties and zeros come up."""
    return round(rng.uniform(-3, 3), 1)


def samples(spec, rng, count=300):
    """(layer, dout, backward's gradients), on inputs the layer computes both ways."""
    for _ in range(count):
        args = [grid(rng) for _ in spec.ports]
        if rng.random() < 0.25:
            args = [args[0]] * len(args) if len(args) > 1 else [0.0]  # a tie, or relu's kink
        params = {k: rng.choice([v, 3, 0.5, -1, 2.5]) for k, v in spec.params.items()}
        layer, dout = spec.layer(**params), grid(rng)
        try:
            out = layer.forward(*args)
            got = layer.backward(dout)  # 0 ** −0.5 raises here, not in forward
        except (ArithmeticError, ValueError):
            continue
        if math.isfinite(out):
            yield layer, dout, got if isinstance(got, tuple) else (got,)


def disagreements(spec, rng, templates):
    """Samples where a port's template, substituted as the explanation shows it, is not backward()."""
    bad, checked = [], 0
    for layer, dout, got in samples(spec, rng):
        for port, template in enumerate(templates):
            text = substitute(template, layer, dout)
            try:
                said = arithmetic(text)
            except (ArithmeticError, ValueError):
                continue  # e.g. a negative base to a fractional power: no real number to compare
            checked += 1
            # The text rounds stored numbers (out, …) to 6 digits, so allow that much.
            if not math.isclose(said, got[port], rel_tol=1e-4, abs_tol=1e-9):
                bad.append((spec.ports[port], text, got[port]))
    return bad, checked


@pytest.mark.parametrize("name", COMPUTED)
def test_each_ports_numbers_template_computes_what_backward_returns(name):
    spec = OPS[name]
    bad, checked = disagreements(spec, random.Random(name), spec.numbers)
    assert checked >= 100 * spec.arity, f"only {checked} samples could be checked"
    assert bad == [], bad[:5]


def test_the_template_check_catches_a_rule_written_for_the_wrong_port():
    mul, div = OPS["mul"], OPS["div"]
    assert disagreements(mul, random.Random(1), mul.numbers[::-1])[0]
    assert disagreements(div, random.Random(2), (div.numbers[0], "{dout} × {out} ÷ {y}"))[0]  # sign lost


def test_the_arithmetic_reader_reads_the_engines_notation():
    assert arithmetic("1.5 × [(−2) > 0]") == 0
    assert arithmetic("−1.5 × 2 ÷ 3²") == pytest.approx(-1 / 3)
    assert arithmetic("2 × 3 × (−2)^(3 − 1)") == 24
    assert arithmetic("2 × ([2 > 2] + [2 = 2] ÷ 2)") == 1
    with pytest.raises(ValueError):
        arithmetic("__import__('os')")


# -- no op is special-cased by name outside its own layer file ----------------------
def test_no_module_outside_the_layers_names_an_op():
    """An op name as a string literal elsewhere means the registry is missing a field.
    ('input' is the leaf every graph has, not an op a new file could add.)"""
    names = set(OPS) - {"input"}
    # Words that are an op's name by coincidence, each where it means something else.
    homonyms = {("server/export/__init__.py", "dot"),  # the Graphviz DOT format
                ("server/engine/steps.py", "sum")}      # the kind of a fan-out's first line: a sum of terms
    found = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        if (ROOT / "server/engine/layers") in path.parents:
            continue
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names and (rel, node.value) not in homonyms:
                found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert found == []


# -- docs/format.md lists the ops the registry has ------------------------------------
def test_the_table_of_ops_in_docs_format_md_is_the_registrys():
    """To update: paste ops_markdown() between the ops:begin and ops:end markers."""
    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- ops:begin[^>]*-->\n(.*?)<!-- ops:end -->", text, re.S)
    assert table, "docs/format.md has no <!-- ops:begin --> … <!-- ops:end --> section"
    assert table.group(1) == ops_markdown(), "docs/format.md is out of date; paste:\n" + ops_markdown()
    for name, spec in OPS.items():
        row = next(line for line in table.group(1).splitlines() if line.startswith(f"| `{name}` |"))
        assert all(f"`{p}`" in row for p in spec.ports), name


# -- max: one new file, picked up everywhere -----------------------------------------
def evaluate(text):
    g = ComputationGraph.from_dict(parse_formula(text))
    return g, g.forward(), g.backward()


def test_max_lives_in_one_file_and_is_registered_with_its_kink():
    spec = OPS["max"]
    assert spec.layer.__module__ == "server.engine.layers.maximum"
    assert spec.ports == ("x", "y") and spec.call == "max" and spec.notation == "call"
    assert spec.kink(2.0, 2.0) == 0 and spec.kink(3.0, 2.0) == 1 and spec.kink(1.0, 2.0) == -1


def test_max_sends_dout_to_the_larger_input_and_half_to_each_at_a_tie():
    layer = OPS["max"].layer()
    assert layer.forward(3.0, 5.0) == 5.0 and layer.backward(2.0) == (0.0, 2.0)
    assert layer.forward(5.0, 3.0) == 5.0 and layer.backward(2.0) == (2.0, 0.0)
    assert layer.forward(4.0, 4.0) == 4.0 and layer.backward(2.0) == (1.0, 1.0)


def test_max_is_in_the_palette_served_by_get_api_ops(client):
    served = {d["name"]: d for d in client.get("/api/ops").json}
    assert served["max"] == next(d for d in describe_ops() if d["name"] == "max")
    assert served["max"]["ports"] == ["x", "y"] and served["max"]["arity"] == 2
    assert served["max"]["rule"][0].startswith("dx = dout · ([x > y]")
    assert served["max"]["call"] == "max"


def test_max_in_a_formula_is_a_binary_call():
    g, values, grads = evaluate("a = 3\nb = 5\nc = max(a, b) * a")
    doc = g.to_dict()
    (m,) = [n for n in doc["nodes"] if n["op"] == "max"]
    assert sorted((e["source"], e["port"]) for e in doc["edges"] if e["target"] == m["id"]) == [("a", 0), ("b", 1)]
    assert values["c"] == 15
    assert grads["a"] == 5 and grads["b"] == 3  # b is larger: it gets max's dout, a only the product's


@pytest.mark.parametrize("text, message", [
    ("a = 1\nc = max(a)", "max() takes exactly two arguments"),
    ("a = 1\nc = max(a, a, a)", "max() takes exactly two arguments"),
    ("a = 1\nmax = a", "'max' is a function name"),
])
def test_max_with_the_wrong_arguments_is_refused(text, message):
    with pytest.raises(FormulaError, match=re.escape(message)):
        parse_formula(text)


def test_max_of_a_node_with_itself_passes_the_whole_gradient_back():
    _, values, grads = evaluate("a = 2\nc = max(a, a)")
    assert values["c"] == 2 and grads["a"] == 1  # max(a, a) = a: half from each port


def test_max_steps_and_explanations_write_the_call_and_its_rules():
    g, _, _ = evaluate("a = 3\nb = 5\nc = max(a, b)")
    fwd = [wire_event(e) for e in g.forward_steps()]
    c = next(e for e in fwd if e["node"] == "c")
    assert c["text"] == "c = max(a, b) = max(3, 5) = 5"
    assert c["latex"] == r"c = \max(a, b) = \max(3, 5) = 5"
    bwd = {e["node"]: wire_event(e) for e in g.backward_steps()}
    rules = bwd["c"]["rules"]
    assert [(r["port"], r["port_name"]) for r in rules] == [(0, "x"), (1, "y")]
    assert rules[0]["text"] == "dx = dout · ([x > y] + [x = y] / 2) = 1 × ([3 > 5] + [3 = 5] ÷ 2) = 0"
    assert rules[1]["text"] == "dy = dout · ([y > x] + [x = y] / 2) = 1 × ([5 > 3] + [3 = 5] ÷ 2) = 1"
    assert rules[1]["latex"].startswith(r"\frac{\partial L}{\partial y} = \mathrm{dout} \cdot ([y > x]")
    assert OPS["max"].note in bwd["c"]["text"]


def test_the_gradient_check_flags_max_at_a_tie_and_passes_it_elsewhere():
    tied = {c.node: c for c in check_gradients(ComputationGraph.from_dict(parse_formula("a = 2\nb = 2\nc = max(a, b)")))}
    assert tied["a"].status == tied["b"].status == "not differentiable"
    assert "max's inputs are tied" in tied["a"].note
    apart = check_gradients(ComputationGraph.from_dict(parse_formula("a = 2\nb = 3\nc = max(a, b) * a")))
    assert [c.status for c in apart] == ["pass", "pass"]


def test_the_gradient_check_flags_relu_at_its_kink_through_the_registry():
    checks = {c.node: c for c in check_gradients(ComputationGraph.from_dict(parse_formula("x = 0\nz = relu(x)")))}
    assert checks["x"].status == "not differentiable"
    assert checks["x"].note == "z: relu's input is at 0 here, where its slope jumps"


@pytest.mark.parametrize("fmt", [pytest.param(f, marks=pytest.mark.slow) if f == "png" else f  # png: chromium
                                 for f in FORMATS if not FORMATS[f].steps])  # animations: test_animation.py
def test_every_export_format_draws_max(fmt):
    g = ComputationGraph.from_dict(parse_formula("a = 3\nb = 5\nc = max(a, b)"))
    out = export(g, fmt)
    if fmt == "png":  # the SVG, rasterised, with the document inside
        assert out.startswith(b"\x89PNG") and document_from_file(out) == g.to_dict()
        return
    text = out.decode()
    expected = {"svg": ">max</text>", "dot": 'label="max"', "tikz": r"{$\max$};",
                "py": "c = forward(c_layer, a, b)", "json": '"op": "max"'}[fmt]
    assert expected in text


def test_the_python_export_of_max_runs_and_prints_the_engines_gradients(tmp_path):
    import subprocess
    import sys
    g = ComputationGraph.from_dict(parse_formula("a = 3\nb = 5\nc = max(a, b) * b"))
    script = tmp_path / "graph.py"
    script.write_bytes(export(g, "py"))
    run = subprocess.run([sys.executable, "-I", "-S", str(script)], capture_output=True, text=True,
                         cwd=tmp_path, env={}, timeout=60)  # standalone: nothing installed is used
    assert run.returncode == 0, run.stderr
    assert "\nclass MaxLayer:\n" in script.read_text() and "\nclass MulLayer:\n" in script.read_text()
    assert "grad b = 10.0" in run.stdout and "grad a = 0.0" in run.stdout
