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


# -- constant exponents fold (issue 12) ------------------------------------------------------

def _exponent(text):
    (node,) = [n for n in parse_formula(text)["nodes"] if n["op"] == "pow"]
    return node["params"]["exponent"]


@pytest.mark.parametrize("text, exponent", [
    ("a = 8\nb = a ** (1/3)", 1 / 3),          # refused before: the exponent had to be a literal
    ("a = 8\nb = a ** -(1/2)", -0.5),
    ("a = 8\nb = a ** 2 ** 3", 8.0),           # Python's grouping: a ** (2 ** 3)
    ("a = 8\nb = a ** (2 * 3 - 4 / 2)", 4.0),
    ("a = 8\nb = a ** (0.1 + 0.2)", 0.1 + 0.2),  # float arithmetic, as the nodes would compute: 0.30000000000000004
    ("a = 8\nb = a ** +2", 2.0),
])
def test_a_constant_exponent_folds_with_the_engines_float_arithmetic(text, exponent):
    assert _exponent(text) == exponent  # exactly: each operation rounded as the graph's own node would round it


def test_a_folded_exponent_evaluates_like_the_literal():
    g = ComputationGraph.from_dict(parse_formula("a = 8\nb = a ** (1/3)"))
    assert g.forward()["b"] == 8 ** (1 / 3) and g.backward()["a"] == pytest.approx((1 / 3) * 8 ** (-2 / 3))


def test_a_long_constant_exponent_folds_without_recursion():
    assert _exponent("a = 1\nb = a ** (" + " + ".join(["1"] * 400) + ")") == 400.0


@pytest.mark.parametrize("text, message", [
    ("a = 2\nb = a ** (1/0)", "line 2, column 11: 1 / 0 divides by zero"),
    ("a = 2\nb = a ** (2 / (1 - 1))", "line 2, column 11: 2 / (1 - 1) divides by zero"),
    ("a = 2\nb = a ** (0 ** -1)", "line 2, column 11: 0 ** (-1) divides by zero"),
    ("a = 2\nb = a ** (10.0 ** 400)", "line 2, column 11: 10.0 ** 400 overflows"),
    ("a = 2\nb = a ** (1e200 * 1e200)", "line 2, column 11: 1e+200 * 1e+200 overflows"),
    ("a = 2\nb = a ** (3 + (-8) ** (1/3))", "line 2, column 15: (-8) ** (1 / 3) has no real value"),
    ("a = 2\nc = 3\nb = a ** (c / 3)", "line 3, column 11: the exponent of ** must be a constant"),
    ("a = 2\nb = a ** exp(1)", "line 2, column 10: the exponent of ** must be a constant"),
    ("a = 2\nb = a ** (5 % 3)", "the exponent of ** must be a constant"),
    ("a = 2\nb = a ** (True + 1)", "the exponent of ** must be a constant"),
])
def test_an_exponent_that_cannot_fold_is_refused_with_line_and_column(text, message):
    with pytest.raises(GraphError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")
                       .replace("+", r"\+")):
        parse_formula(text)


def test_constant_arithmetic_outside_an_exponent_stays_as_nodes():
    # The book's graphs show every operation: 2 + 3 is an add node of two inputs, not one input 5.
    doc = parse_formula("x = 4\ny = x * (2 + 3)")
    assert sorted(n["op"] for n in doc["nodes"]) == ["add", "input", "input", "input", "mul"]
    assert sorted(n["value"] for n in doc["nodes"] if n["op"] == "input") == [2.0, 3.0, 4.0]
