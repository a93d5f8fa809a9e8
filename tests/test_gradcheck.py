"""The gradient check: passes on every example, fails on a broken layer at any magnitude,
flags relu at 0, and says "not checkable" where rounding leaves nothing to compare."""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings, strategies as st

from server.teaching.examples import NAMES, example_doc
from server.teaching.formula import parse_formula
from server.engine.graph import ComputationGraph
from server.teaching.gradcheck import STATUSES, check_gradients
from server.engine.layers import DivLayer, ExpLayer, LogLayer, MulLayer, PowLayer, SigmoidLayer, TanhLayer
from server.engine.registry import OPS, register

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", NAMES)
def test_gradient_check_passes_on_every_example(name):
    checks = check_gradients(ComputationGraph.from_dict(example_doc(name)))
    assert checks and all(c.status == "pass" for c in checks), [(c.node, c.rel_error) for c in checks]


def test_gradient_check_fails_on_a_deliberately_broken_layer(monkeypatch):
    def wrong_backward(self, dout):
        return dout * self.x, dout * self.y  # forgot to swap the inputs
    monkeypatch.setattr(MulLayer, "backward", wrong_backward)
    checks = {c.node: c for c in check_gradients(ComputationGraph.from_dict(example_doc("doughnut")))}
    assert checks["doughnut"].status == "fail" and checks["count"].status == "fail"
    assert checks["doughnut"].backprop == pytest.approx(200 * 100) and checks["doughnut"].numeric == pytest.approx(2.2)


def test_relu_at_zero_is_flagged_not_failed():
    g = ComputationGraph.from_dict(parse_formula("x = 0\ny = 2\nz = relu(x) * y"))
    checks = {c.node: c for c in check_gradients(g)}
    assert checks["x"].status == "not differentiable" and "relu" in checks["x"].note
    assert checks["y"].status == "pass"


def test_step_is_relative_to_the_value_even_below_1():
    g = ComputationGraph.from_dict(parse_formula("a = 1000000\nb = 0.001\nc = a * b"))
    h = {c.node: c.h for c in check_gradients(g)}
    assert h["a"] / 1e6 == pytest.approx(h["b"] / 0.001)  # the old step was absolute for |x| < 1


def test_gradient_check_leaves_the_graph_unchanged():
    g = ComputationGraph.from_dict(example_doc("sigmoid_neuron"))
    before = g.to_dict()
    check_gradients(g)
    assert g.to_dict() == before


def test_cli_check_exit_codes(tmp_path, monkeypatch):
    r = subprocess.run([sys.executable, "-m", "server.cli", "check", "server/teaching/examples/doughnut_cupcake.json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.count("pass") == 5
    broken = tmp_path / "sitecustomize.py"  # break MulLayer inside the subprocess
    broken.write_text("import server.engine.layers as L\nL.MulLayer.backward = lambda self, d: (d * self.x, d * self.y)\n")
    r = subprocess.run([sys.executable, "-m", "server.cli", "check", "server/teaching/examples/doughnut.json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert r.returncode == 2 and "FAIL" in r.stderr and "fail" in r.stdout


# -- issue 12: a relative step, a bound on the difference's own error, "not checkable" --------

MAGNITUDES = [1e-300, 1e-100, 1e-8, 1e-3, 1.0, 1e3, 1e8, 1e100]


def checks_of(text: str) -> dict:
    return {c.node: c for c in check_gradients(ComputationGraph.from_dict(parse_formula(text)))}


def double_dx(monkeypatch, layer):
    """Break a registered layer: its local derivative for the first input comes out ×2."""
    right = layer.backward

    def wrong(self, dout):
        r = right(self, dout)
        return (2 * r[0], *r[1:]) if isinstance(r, tuple) else 2 * r
    monkeypatch.setattr(layer, "backward", wrong)


@pytest.mark.parametrize("m", MAGNITUDES + [-m for m in MAGNITUDES])
def test_a_multiply_that_doubles_dx_fails_at_every_magnitude(monkeypatch, m):
    double_dx(monkeypatch, MulLayer)  # the issue's case: a = 3; b = 1e-8; y = a * b passed
    c = checks_of(f"a = 3\nb = {m!r}\ny = a * b")["a"]
    assert c.status == "fail", c
    assert c.backprop == pytest.approx(2 * m) and c.numeric == pytest.approx(m, rel=1e-6)


@pytest.mark.parametrize("layer, formula, values", [
    (DivLayer, "y = x / 3", MAGNITUDES + [-1e-8, -1e8]),
    (LogLayer, "y = log(x)", MAGNITUDES),
    (PowLayer, "y = x ** 3", [1e-100, 1e-8, 1e-3, 1.0, 1e3, 1e8, -1e-3, -1e50]),
    (PowLayer, "y = x ** -0.5", [1e-200, 1e-8, 1.0, 1e8, 1e200]),
    (ExpLayer, "y = exp(x)", [-700, -20, -1e-8, 1e-3, 1.0, 20, 700]),
    (SigmoidLayer, "y = sigmoid(x)", [-30, -1, 1e-8, 1e-3, 5, 20]),  # at 30, 1 − σ is 1e−13: below rounding
    (TanhLayer, "y = tanh(x)", [-10, -1, 1e-8, 1e-3, 5, 10]),
])
def test_every_layer_with_a_local_derivative_off_by_two_fails_at_any_magnitude(monkeypatch, layer, formula, values):
    double_dx(monkeypatch, layer)
    for x in values:
        c = checks_of(f"x = {x!r}\n{formula}")["x"]
        assert c.status == "fail", (x, c)


@pytest.fixture
def square_with_a_wrong_rule():
    """A test-only op, registered like any other, whose backward is off by ×2; removed after."""
    @register("square_wrong", symbol="□", title="Square (wrong)", ports=("x",), rule=("dout · 4x",),
              numbers=("{dout} × 4 × {x}",))
    class SquareWrong:
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, dout):
            return dout * 4 * self.x  # should be 2x
    yield "square_wrong"
    OPS.pop("square_wrong")


@pytest.mark.parametrize("x", [1e-150, 1e-8, 1e-3, 1.0, 1e3, 1e8, 1e150, -1e-8, -1e3])
def test_a_registered_op_with_a_wrong_rule_fails_at_any_magnitude(square_with_a_wrong_rule, x):
    doc = {"format": "gradcanvas", "version": 1,
           "nodes": [{"id": "x", "op": "input", "value": x}, {"id": "sq", "op": square_with_a_wrong_rule}],
           "edges": [{"source": "x", "target": "sq", "port": 0}]}
    (c,) = check_gradients(ComputationGraph.from_dict(doc))
    assert c.status == "fail" and c.numeric == pytest.approx(2 * x, rel=1e-6)


@pytest.mark.parametrize("text", [
    "x = 0.001\ny = log(x)", "x = 1e-7\ny = log(x)",          # the step was 6e-6 for both: log at 1e-7 gave NaN
    "x = 0.001\ny = 1 / x", "x = 1e-7\ny = 1 / x",            # the truncation error of a step of 6e-6
    "a = 1e300\nb = 1\ny = a - b", "a = 1e300\nb = 0\ny = a - b",  # absorbed: now a longer step, linear
    "a = 1e10\nb = 1\ny = a - b",                            # half the digits lost to rounding
    "x = 1e-300\ny = x + 1",                                 # a relative step alone is drowned by the 1
    "x = 0\nb = 1e-7\ny = log(x + b)", "x = 0\nb = 1e-7\ny = relu(x + b)",  # a domain edge, a kink within 6e-6
    "x = 700\ny = exp(x)", "x = -700\ny = exp(x)", "x = 709.7\ny = exp(x)",
    "x = -30\ny = sigmoid(x)", "x = 1e-8\ny = sigmoid(x)", "x = 0.5\ny = tanh(x)",
    "x = 1e-8\ny = x ** -2", "x = 1e100\ny = x ** 3", "x = 1e-100\ny = x ** 0.5", "x = 2\ny = x ** 0.001",
    "x = 0\ny = x * x", "x = 3\ny = x * x",
])
def test_correct_graphs_near_the_edges_of_floats_pass(text):
    checks = checks_of(text)
    assert all(c.status == "pass" for c in checks.values()), checks


def test_the_old_false_alarms_of_the_issue_now_pass_with_a_small_relative_step():
    log = checks_of("x = 1e-7\ny = log(x)")["x"]
    assert log.h < 1e-10 and log.numeric == pytest.approx(1e7, rel=1e-9) and log.bound < 1
    b = checks_of("a = 1e300\nb = 1\ny = a - b")["b"]
    assert b.status == "pass" and b.numeric == pytest.approx(-1, rel=1e-9)
    assert b.h > 1e290  # nothing smaller moves 1e300 − b: x's effect is linear, so a long step is exact


def test_an_input_whose_effect_drowns_in_rounding_is_not_checkable_not_failed():
    # c − a is 0 after 1e300 + 1 is rounded: tanh's local derivative at it is only rounding.
    checks = checks_of("a = 1e300\nb = 1\nc = a + b\ny = tanh(c - a)")
    assert {c.status for c in checks.values()} == {"not checkable"}
    # exp(sigmoid(x)) moves by 1e-163 per unit of x, far below the output's own rounding of 1.
    c = checks_of("x = -374\ns = sigmoid(x)\ny = exp(s)")["x"]
    assert c.status == "not checkable" and "rounding" in c.note and c.bound > 1e3 * abs(c.backprop)
    assert c.to_dict()["status"] == "not checkable" and c.to_dict()["bound_text"]


def test_a_saturated_tanh_passes_its_zero_gradient():
    c = checks_of("x = 20\ny = tanh(x)")["x"]
    assert c.backprop == 0 and c.status == "pass"


def test_a_domain_edge_gives_a_one_sided_difference_and_never_fails():
    c = checks_of("x = 0\ny = x ** 1.5")["x"]
    assert c.method == "forward" and c.status != "fail"


def test_kink_only_within_the_old_step_is_not_flagged_any_more():
    # relu's kink is 1e-7 away: the old absolute step of 6e-6 crossed it and said "not differentiable".
    assert checks_of("x = 1e-7\ny = relu(x)")["x"].status == "pass"
    assert checks_of("x = 0\ny = relu(x)")["x"].status == "not differentiable"


def test_check_to_dict_keeps_the_panels_fields_and_json_safe_numbers():
    d = checks_of("x = 0\ny = relu(x)")["x"].to_dict()
    for k in ("node", "value", "h", "backprop", "numeric", "rel_error", "status", "note",
              "value_text", "backprop_text", "numeric_text", "rel_error_text", "bound", "bound_text", "method"):
        assert k in d
    assert d["numeric"] == "NaN" and d["status"] in STATUSES  # not a bare NaN, which JSON cannot hold


# -- random correct graphs: the check never fails them --------------------------------------

SPREAD = st.one_of(st.just(0.0), st.floats(-3, 3),
                   st.builds(lambda e, s: s * 10.0 ** e, st.floats(-8, 8), st.sampled_from([1, -1])))


@st.composite
def correct_graphs(draw, max_ops=8):
    """A random program over every registered op, inputs from 10⁻⁸ to 10⁸; a domain-restricted
    operand outside its domain is first made positive as u·u + 1. Kept only if every value is 0
    or within 10^±150 (so that no layer's backward under- or overflows: that is the engine's
    float range, not the check) and every gradient is finite."""
    values = {f"x{k}": draw(SPREAD) for k in range(draw(st.integers(1, 4)))}
    values["one"] = 1.0
    nodes = [{"id": k, "op": "input", "value": v} for k, v in values.items()]
    edges, cur = [], dict(values)
    ops = sorted(n for n, s in OPS.items() if s.ports and s.takes_scalars)

    def add(op, srcs, params=None):
        spec = OPS[op]
        layer = spec.layer(**(params or {})) if spec.params else spec.layer()
        try:
            v = layer.forward(*(cur[s] for s in srcs))
        except (ArithmeticError, ValueError):
            v = math.nan
        nid = f"n{len(nodes)}"
        cur[nid] = v
        nodes.append({"id": nid, "op": op, **({"params": params} if params else {})})
        edges.extend({"source": s, "target": nid, "port": p} for p, s in enumerate(srcs))
        return nid

    def pick(positive=False):
        u = draw(st.sampled_from(sorted(cur)))
        return u if not positive or cur[u] > 0 else add("add", [add("mul", [u, u]), "one"])

    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(ops))
        if op == "log":
            add(op, [pick(positive=True)])
        elif op == "div":
            add(op, [pick(), pick(positive=True)])
        elif op == "pow":
            p = draw(st.sampled_from([2, 3, 1, 0.5, -1, -2, 1.5, 1 / 3]))
            add(op, [pick(positive=not float(p).is_integer() or p < 0)], {"exponent": p})
        else:
            add(op, [pick() for _ in OPS[op].ports])
    doc = {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": nodes[-1]["id"]}
    g = ComputationGraph.from_dict(doc)
    vals = g.forward()
    assume(not g.faults() and all(v == 0 or 1e-150 < abs(v) < 1e150 for v in vals.values()))
    assume(all(math.isfinite(v) for v in g.backward().values()))
    return g


@settings(max_examples=300, deadline=None)
@given(correct_graphs())
def test_the_check_never_fails_a_correct_graph(g):
    checks = check_gradients(g)
    assert not [c for c in checks if c.status == "fail"], [c for c in checks if c.status == "fail"]
    assert {c.status for c in checks} <= set(STATUSES)


# -- the command line on the issue's cases -------------------------------------------------------

def _check_file(tmp_path, text, env=None):
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(parse_formula(text)))
    return subprocess.run([sys.executable, "-m", "server.cli", "check", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("text", ["x = 0.001\ny = log(x)", "x = 0.001\ny = 1 / x", "x = 1e-7\ny = log(x)",
                                  "a = 1e300\nb = 1\ny = a - b"])
def test_cli_check_passes_log_and_div_near_0_and_an_absorbed_input(tmp_path, text):
    r = _check_file(tmp_path, text)
    assert r.returncode == 0 and "fail" not in r.stdout and "FAIL" not in r.stderr, r.stdout + r.stderr


def test_cli_check_catches_a_doubled_gradient_of_1e_minus_8(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(  # break MulLayer inside the subprocess: dx doubled
        "import server.engine.layers as L\n_b = L.MulLayer.backward\n"
        "L.MulLayer.backward = lambda self, d: (2 * _b(self, d)[0], _b(self, d)[1])\n")
    r = _check_file(tmp_path, "a = 3\nb = 1e-8\ny = a * b", env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert r.returncode == 2 and "1 of 2 gradients FAIL" in r.stderr
    rows = r.stdout.splitlines()[1:]
    assert rows[0].startswith("a ") and " fail  (they differ by 1e−8" in rows[0] and rows[1].endswith(" pass")


def test_cli_check_reports_not_checkable_without_failing(tmp_path):
    r = _check_file(tmp_path, "a = 1e300\nb = 1\nc = a + b\ny = tanh(c - a)")
    assert r.returncode == 0 and "not checkable" in r.stdout and "not checkable numerically" in r.stderr
