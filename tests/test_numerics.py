"""Issue 12, Numerics and Display: one test per defect, each failing before its fix.

The formulas are the issue's own (``gradcanvas new --formula``); the expected
numbers are PyTorch float64's (see tests/test_numerics_oracle.py for the
property test against it).
"""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import server.engine.layers  # noqa: F401  (fills the registry)
from server.engine.graph import ComputationGraph
from server.engine.layers.basic import DivLayer
from server.engine.layers.functions import PowLayer
from server.teaching.formula import parse_formula

from conftest import evaluation

ROOT = Path(__file__).resolve().parent.parent
MINUS = "\u2212"


def formula(text):
    g = ComputationGraph.from_dict(parse_formula(text))
    return g, g.forward(), g.backward()


def graph_of(nodes, edges, output):
    return ComputationGraph.from_dict({
        "format": "gradcanvas", "version": 1, "output": output, "nodes": nodes,
        "edges": [{"source": s, "target": t, "port": p} for s, t, p in edges]})


def backward_texts(g):
    return {e["node"]: e for e in g.backward_steps()}


# -- 1. division's backward: −dout · out / y ------------------------------------------
def test_division_by_a_tiny_number_has_finite_and_overflowing_gradients_not_nan():
    g, values, grads = formula("a=1; b=1e-170; y=a/b")
    assert values["y"] == 1e170
    assert grads["a"] == 1e170           # was NaN
    assert grads["b"] == -math.inf       # −1e340 does not fit a double; was NaN
    assert "overflow" in g.grad_faults()["y"] and "'b'" in g.grad_faults()["y"]


def test_division_of_huge_numbers_keeps_the_denominators_gradient():
    _, _, grads = formula("a=1e300; b=1e200; y=a/b")
    assert grads["a"] == 1e-200
    assert grads["b"] == -1e-100         # was 0: 1e200² overflowed


def test_a_number_divided_by_itself_has_gradient_exactly_zero():
    g, _, grads = formula("a=0.1; y=a/a")
    assert grads["a"] == 0.0             # was 1.8e−15
    head = backward_texts(g)["a"]["head"]
    assert head["text"] == f"dout = 10 + ({MINUS}10) = 0"   # was … = 1.77636e−15


def test_division_backward_is_minus_dout_times_out_over_y_as_in_pytorch():
    layer = DivLayer()
    out = layer.forward(3.0, 7.0)
    assert layer.backward(1.3) == (1.3 / 7.0, -1.3 * (out / 7.0))


# -- 2. power: the limits, a zero exponent, signed zero ----------------------------------
def test_the_gradient_of_x_to_the_zero_is_zero_even_at_zero():
    g, values, grads = formula("a=0; y=a**0")
    assert values["y"] == 1.0 and grads["a"] == 0.0   # was NaN
    assert g.grad_faults() == {}


def test_the_gradient_of_the_square_root_at_zero_is_plus_infinity_with_a_message():
    g, _, grads = formula("a=0; y=a**0.5")
    assert grads["a"] == math.inf        # was NaN
    assert "infinite" in g.grad_faults()["y"]


def test_the_gradient_of_one_over_a_tiny_number_is_minus_infinity_with_a_message():
    g, values, grads = formula("a=1e-160; y=a**-1")
    assert values["y"] == pytest.approx(1e160)
    assert grads["a"] == -math.inf       # was NaN
    assert "overflow" in g.grad_faults()["y"]


def test_minus_zero_to_the_minus_one_is_minus_infinity():
    g = graph_of([{"id": "a", "op": "input", "value": -0.0},
                  {"id": "y", "op": "pow", "params": {"exponent": -1}}], [("a", "y", 0)], "y")
    assert g.forward()["y"] == -math.inf   # was +∞
    assert "y" in g.faults()
    assert PowLayer(-1).fault(-0.0) == -math.inf and PowLayer(-2).fault(-0.0) == math.inf
    assert PowLayer(3).fault(-1e200) == -math.inf


# -- 3. ReLU lets NaN through ----------------------------------------------------------------
def test_relu_of_nan_is_nan_and_everything_downstream_is_affected():
    g, values, grads = formula("a=-1; b=log(a); c=relu(b); y=c+a")
    assert math.isnan(values["c"]) and math.isnan(values["y"])   # y was −1
    assert set(g.faults()) == {"b"} and g.affected() == {"c", "y"}
    assert grads["c"] == 1.0             # NaN is not ≤ 0: the book's mask lets dout pass, as PyTorch does


def test_gradcanvas_eval_prints_nan_and_lists_the_affected_nodes(tmp_path):
    path = tmp_path / "relu.json"
    path.write_text(json.dumps(parse_formula("a=-1; b=log(a); c=relu(b); y=c+a")), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "server.cli", "eval", str(path)], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["values"]["y"] == "NaN"   # was −1
    assert list(out["faults"]) == ["b"] and out["affected"] == ["c", "y"]


def test_max_lets_nan_through_as_torch_maximum_does():
    g, values, _ = formula("a=-1; b=log(a); y=max(b, a)")
    assert math.isnan(values["y"])


# -- 4. NaN ÷ 0 --------------------------------------------------------------------------------
def test_nan_divided_by_zero_is_nan_not_infinity():
    g, values, _ = formula("a=-1; z=0; b=log(a); y=b/z")
    assert math.isnan(values["y"])       # was ±∞
    assert set(g.faults()) == {"b"} and "y" in g.affected()
    assert math.isnan(DivLayer().fault(math.nan, 0.0))


# -- 5. no false arithmetic at failed nodes ------------------------------------------------------
def test_the_explanation_at_a_failed_log_shows_no_false_division():
    g, _, _ = formula("a=-1; y=log(a)")
    event = backward_texts(g)["y"]
    assert "1 ÷ (\u22121) = NaN" not in event["text"]   # was printed
    (rule,) = event["rules"]
    assert rule["numbers"] is None and rule["text"] == "dx = NaN"
    assert "no gradient passes" in rule["why"] and "domain" in rule["why"]


def test_the_explanation_at_an_overflowing_product_shows_no_false_product():
    g, _, _ = formula("a=1e300; y=a*a")
    event = backward_texts(g)["y"]
    assert "= NaN" not in " ".join(r.get("numbers") or "" for r in event["rules"])
    assert "1 × 1e300 = NaN" not in event["text"]       # was printed
    assert all(r["numbers"] is None for r in event["rules"])
    assert "overflow" in event["fault"]


def test_the_explanation_says_why_where_the_rules_arithmetic_has_no_value():
    g, _, _ = formula("a=0; y=a**0")
    (rule,) = backward_texts(g)["y"]["rules"]
    assert rule["numbers"] is None and rule["text"] == "dx = 0" and "no value" in rule["why"]
    g, _, _ = formula("a=-1; b=log(a); c=relu(b); y=c+a")
    (rule,) = backward_texts(g)["c"]["rules"]
    assert rule["numbers"] is None and "NaN" in rule["why"]


def test_a_rule_without_numbers_still_has_latex():
    from server.engine.visible import wire_event
    g, _, _ = formula("a=-1; y=log(a)")
    event = wire_event(backward_texts(g)["y"])
    assert event["rules"][0]["latex"] == r"\frac{\partial L}{\partial x} = \mathrm{NaN}"


# -- faults and affected: the definition ----------------------------------------------------------
def test_a_node_whose_input_is_already_nan_is_affected_not_a_fault_of_its_own():
    g, values, _ = formula("a=-1; b=log(a); c=log(b)")
    assert math.isnan(values["c"])
    assert set(g.faults()) == {"b"} and g.affected() == {"c"}


def test_gradient_sums_that_overflow_are_flagged_where_they_add_up():
    g, values, grads = formula("a=1e-10; b=1e308; c=a*b; d=a*b; y=c+d")
    assert values["y"] == pytest.approx(2e298) and g.faults() == {}
    assert grads["a"] == math.inf        # 1e308 + 1e308
    assert "sum" in g.grad_faults()["a"]


# -- 8. display in a graph ---------------------------------------------------------------------------
def test_the_visible_state_shows_integers_in_full():
    g, _, _ = formula("a=123456789; b=1000000; y=a+b")
    shown = evaluation(g)["display"]
    assert shown["inputs"] == {"a": "123456789", "b": "1000000"}
    assert shown["values"]["y"] == "124456789"


def test_a_fan_outs_terms_add_up_to_its_sum_in_the_explanation():
    g, _, _ = formula("a=0.41997434161402614; y=a*a")
    head = backward_texts(g)["a"]["head"]
    assert head["text"] == "dout = 0.4199743 + 0.4199743 = 0.839949"   # was 0.419974 + 0.419974


def test_cancellation_noise_shows_as_zero_with_the_exact_value_for_hover():
    g, values, _ = formula("a=0.1; b=0.2; c=0.3; d=a+b; e=d-c; y=e*3")
    assert values["e"] == 5.551115123125783e-17
    state = evaluation(g)
    assert state["display"]["values"]["e"] == "0"                  # was 5.55112e−17
    assert state["display"]["values"]["y"] == "0"                  # noise × 3 is noise
    assert state["display"]["exact"]["values"]["e"] == "5.55112e\u221217"
    assert state["display"]["grads"]["input4"] == "0"              # ∂y/∂3 is e itself
    assert state["display"]["exact"]["grads"]["input4"] == "5.55112e\u221217"
    edge = next(e for e in state["edges"] if e["source"] == "e")
    assert edge["value_text"] == "0" and edge["value_exact"] == "5.55112e\u221217"
    assert state["values"]["e"] == 5.551115123125783e-17           # raw numbers stay raw
    forward = {e["node"]: e for e in g.forward_steps()}
    assert forward["e"]["text"] == "e = d \u2212 c = 0.3 \u2212 0.3 = 0"
    assert forward["y"]["text"] == "y = e × input4 = 0 × 3 = 0"
    assert forward["e"]["value_exact"] == "5.55112e\u221217"


def test_a_small_number_that_is_not_cancellation_is_shown():
    g, _, _ = formula("a=1e-100; b=1; y=a*b")
    assert evaluation(g)["display"]["values"]["y"] == "1e\u2212100"
    g, _, _ = formula("a=1e-20; b=1; y=a+b; z=y-b")
    assert evaluation(g)["display"]["values"]["z"] == "0"        # 1 + 1e−20 − 1: below the floor


def test_noise_shown_as_zero_never_makes_a_forward_text_false():
    g, values, _ = formula("a=0.1; b=0.2; c=0.3; d=a+b; e=d-c; y=log(e)")
    text = {e["node"]: e for e in g.forward_steps()}["y"]["text"]
    assert text.endswith("= log(5.55112e\u221217) = \u221237.4299")   # not log(0) = −37.4
