"""The layers: each backward against finite differences of its forward, the book's
exact API, the registry, and numerical faults."""
import math
import random

import pytest

import server.engine.layers  # noqa: F401  (importing the package fills the registry)
from server.engine.graph import ComputationGraph
from server.engine.layers import (AddLayer, DivLayer, ExpLayer, LogLayer, MulLayer, NegLayer,
                           PowLayer, ReluLayer, SigmoidLayer, SubLayer, TanhLayer)
from server.engine.registry import OPS, describe_ops, get_op

from conftest import evaluation


def doc(nodes, edges, output=None):
    return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": output}


def wire(*pairs):
    """('a', 'm', 0), ... → edge dicts."""
    return [{"source": s, "target": t, "port": p} for s, t, p in pairs]


# -- finite differences --------------------------------------------------------
H = 1e-6


def numeric_grads(make, args):
    """Central differences of make().forward at args, one per argument."""
    out = []
    for k in range(len(args)):
        h = H * max(1.0, abs(args[k]))
        up, down = list(args), list(args)
        up[k] += h
        down[k] -= h
        out.append((make().forward(*up) - make().forward(*down)) / (2 * h))
    return out


def away_from(lo, hi, bad, margin, rng):
    """A random float in [lo, hi] at least ``margin`` from each point in ``bad``."""
    while True:
        x = rng.uniform(lo, hi)
        if all(abs(x - b) > margin for b in bad):
            return x


# Where an op's domain is narrower than the default (or wider, to test more), a sampler of
# points where it is differentiable. Every other registered op gets ``default_points``.
CASES = {
    "add": lambda r: (r.uniform(-10, 10), r.uniform(-10, 10)),
    "mul": lambda r: (r.uniform(-10, 10), r.uniform(-10, 10)),
    "sub": lambda r: (r.uniform(-10, 10), r.uniform(-10, 10)),
    "div": lambda r: (r.uniform(-10, 10), away_from(-5, 5, [0], 0.2, r)),
    "neg": lambda r: (r.uniform(-10, 10),),
    "pow": lambda r: (r.uniform(-3, 3),),
    "exp": lambda r: (r.uniform(-5, 5),),
    "log": lambda r: (r.uniform(0.05, 20),),
    "sigmoid": lambda r: (r.uniform(-8, 8),),
    "relu": lambda r: (away_from(-5, 5, [0], 0.01, r),),
    "tanh": lambda r: (r.uniform(-4, 4),),
}
COMPUTED = [name for name, spec in OPS.items() if spec.arity and spec.takes_scalars]  # every op of numbers
# (the tensor ops, which need a vector or a matrix, are checked in tests/test_tensor_*.py)


def default_points(spec):
    """A sampler of points in [−5, 5]^arity that the op computes, 0.01 or more from its kink."""
    def sample(r):
        while True:
            args = tuple(r.uniform(-5, 5) for _ in spec.ports)
            try:
                if not math.isfinite(spec.layer(**spec.params).forward(*args)):
                    continue
            except (ArithmeticError, ValueError):
                continue
            if spec.kink is not None:
                near = [args[:k] + (a + d,) + args[k + 1:] for k, a in enumerate(args) for d in (-0.01, 0.01)]
                if len({spec.kink(*p) for p in near + [args]}) > 1:
                    continue
            return args
    return sample
POW_CASES = [  # (exponent, sampler): a negative or fractional power needs a positive base
    (2, lambda r: r.uniform(-3, 3)),
    (3, lambda r: r.uniform(-3, 3)),
    (1, lambda r: r.uniform(-3, 3)),
    (0.5, lambda r: r.uniform(0.1, 9)),
    (-1, lambda r: away_from(-3, 3, [0], 0.3, r)),
    (-2.5, lambda r: r.uniform(0.3, 3)),
]


def check_backward(make, args, dout):
    layer = make()
    layer.forward(*args)
    got = layer.backward(dout)
    got = list(got) if isinstance(got, tuple) else [got]
    assert len(got) == len(args), "binary layers return (dx, dy), unary ones dx"
    for k, (g, n) in enumerate(zip(got, numeric_grads(make, args))):
        assert g == pytest.approx(dout * n, rel=1e-5, abs=1e-6), f"argument {k} at {args}"


def test_the_domain_cases_are_about_registered_ops():
    assert set(CASES) <= set(COMPUTED)


@pytest.mark.parametrize("op", COMPUTED)
def test_layer_backward_matches_central_differences_of_its_forward(op):
    spec = OPS[op]
    sample = CASES.get(op) or default_points(spec)
    rng = random.Random(op)
    for _ in range(20):
        check_backward(lambda: spec.layer(**spec.params), sample(rng), dout=rng.uniform(-3, 3))


@pytest.mark.parametrize("exponent, sample", POW_CASES)
def test_pow_backward_matches_central_differences_for_each_exponent(exponent, sample):
    rng = random.Random(str(exponent))
    for _ in range(20):
        check_backward(lambda: PowLayer(exponent), (sample(rng),), dout=rng.uniform(-3, 3))


def test_relu_sends_no_gradient_at_or_below_zero_and_all_of_it_above():
    layer = ReluLayer()
    for x, expected in [(-2.0, 0.0), (0.0, 0.0), (3.0, 1.5)]:
        layer.forward(x)
        assert layer.backward(1.5) == expected


# -- the book's API ------------------------------------------------------------
def test_mul_layer_stores_x_and_y_on_forward():
    layer = MulLayer()
    assert layer.forward(100, 2) == 200
    assert (layer.x, layer.y) == (100, 2)


def test_mul_node_swaps_inputs_on_backward():
    # The book's apple example: 100 × 2, then × 1.1 tax; backward from 1.
    mul_apple, mul_tax = MulLayer(), MulLayer()
    price = mul_tax.forward(mul_apple.forward(100, 2), 1.1)
    assert price == pytest.approx(220)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert (dapple_price, dtax) == (1.1, 200)
    assert dapple == pytest.approx(2.2)
    assert dapple_num == pytest.approx(110)


def test_add_layer_passes_dout_unchanged_to_both_inputs():
    layer = AddLayer()
    assert layer.forward(100, 2) == 102
    assert layer.backward(1.7) == (1.7, 1.7)
    assert layer.backward(-3) == (-3, -3)


def test_binary_layers_return_a_pair_and_unary_layers_a_single_number():
    for name, spec in OPS.items():
        if name == "input" or not spec.takes_scalars:
            continue
        layer = spec.layer()
        args = (0.5, 2.0)[:spec.arity]
        layer.forward(*args)
        result = layer.backward(1.0)
        if spec.arity == 2:
            assert isinstance(result, tuple) and len(result) == 2, name
        else:
            assert isinstance(result, float), name


def test_sub_sends_minus_dout_to_y_and_div_follows_the_quotient_rule():
    sub = SubLayer()
    assert sub.forward(5, 3) == 2
    assert sub.backward(2.0) == (2.0, -2.0)
    div = DivLayer()
    assert div.forward(6.0, 4.0) == 1.5
    assert div.backward(2.0) == (0.5, -2.0 * 6.0 / 16.0)


# -- the registry ---------------------------------------------------------------
BOOK = {  # the book's ops, first in the palette in this order: name → (symbol, ports)
    "input": ("", ()), "add": ("+", ("x", "y")), "mul": ("×", ("x", "y")),
    "sub": ("−", ("x", "y")), "div": ("÷", ("x", "y")), "neg": ("−", ("x",)),
    "pow": ("^", ("x",)), "exp": ("exp", ("x",)), "log": ("log", ("x",)),
    "sigmoid": ("σ", ("x",)), "relu": ("ReLU", ("x",)), "tanh": ("tanh", ("x",)),
}


def test_registry_lists_the_books_ops_first_then_the_rest_in_their_order():
    assert list(OPS)[:len(BOOK)] == list(BOOK)
    assert list(OPS) == [s.name for s in sorted(OPS.values(), key=lambda s: (s.order, s.name))]


def test_the_palette_order_does_not_depend_on_the_order_ops_are_registered_in():
    from server.engine.registry import register
    try:
        register("early", symbol="e", title="Registered last, placed second", ports=("x",),
                 rule=("dout",), numbers=("{dout}",), order=5)(type("EarlyLayer", (), {}))
        assert list(OPS)[:3] == ["input", "early", "add"]
        assert [d["name"] for d in describe_ops()][:3] == ["input", "early", "add"]
    finally:
        del OPS["early"]


@pytest.mark.parametrize("name", list(OPS))
def test_each_op_has_its_symbol_ports_and_one_rule_per_port(name):
    spec = get_op(name)
    assert spec.name == name and spec.layer.op == name
    if name in BOOK:
        assert (spec.symbol, spec.ports) == BOOK[name]
    assert spec.arity == len(spec.ports) <= 3  # the plan runs unary and binary layers, and affine's three ports
    assert len(spec.rule) == len(spec.numbers) == spec.arity
    assert spec.title
    for rule, numbers in zip(spec.rule, spec.numbers):
        assert "dout" in rule and "{dout}" in numbers
    assert (spec.kink is None) == (not spec.kink_note)


def test_registry_rules_are_the_books_local_rules():
    assert get_op("mul").rule == ("dout · y", "dout · x")
    assert get_op("add").rule == ("dout", "dout")
    assert get_op("pow").params == {"exponent": 2}


def test_describe_ops_serves_every_op_with_its_rules_written_per_port():
    described = {d["name"]: d for d in describe_ops()}
    assert list(described) == list(OPS)
    assert described["mul"]["rule"] == ["dx = dout · y", "dy = dout · x"]
    assert described["mul"]["arity"] == 2 and described["mul"]["symbol"] == "×"
    assert described["pow"]["params"] == {"exponent": 2}


def test_registering_a_name_twice_is_refused():
    from server.engine.registry import register
    with pytest.raises(ValueError, match="registered twice"):
        register("add", symbol="+", title="Add again", ports=("x", "y"),
                 rule=("dout", "dout"), numbers=("{dout}", "{dout}"))(type("Again", (), {}))
    assert OPS["add"].layer is AddLayer


# -- numerical faults -----------------------------------------------------------
def unary_chain(op, value):
    """input a → op → neg → exp, with the op's result flowing on."""
    return doc([{"id": "a", "op": "input", "value": value}, {"id": "f", "op": op},
                {"id": "n", "op": "neg"}, {"id": "e", "op": "tanh"}],
               wire(("a", "f", 0), ("f", "n", 0), ("n", "e", 0)))


def test_log_of_a_negative_number_is_nan_with_a_message():
    g = ComputationGraph.from_dict(unary_chain("log", -1))
    values = g.forward()  # does not raise
    assert math.isnan(values["f"])
    assert "domain" in g.faults()["f"] and "-1" in g.faults()["f"]
    assert g.affected() == {"n", "e"}
    assert all(math.isnan(values[n]) for n in ("n", "e"))


def test_log_of_zero_is_minus_infinity_with_a_message():
    g = ComputationGraph.from_dict(unary_chain("log", 0))
    assert g.forward()["f"] == -math.inf
    assert set(g.faults()) == {"f"}


def test_exp_of_1000_is_infinity_with_an_overflow_message():
    g = ComputationGraph.from_dict(unary_chain("exp", 1000))
    values = g.forward()
    assert values["f"] == math.inf
    assert values["n"] == -math.inf
    assert "overflow" in g.faults()["f"]
    assert g.affected() == {"n", "e"}


def test_division_by_zero_gives_signed_infinity_or_nan():
    nodes = [{"id": "x", "op": "input", "value": 1}, {"id": "m", "op": "input", "value": -1},
             {"id": "z", "op": "input", "value": 0},
             {"id": "q", "op": "div"}, {"id": "r", "op": "div"}, {"id": "s", "op": "div"},
             {"id": "t", "op": "add"}, {"id": "u", "op": "add"}]
    edges = wire(("x", "q", 0), ("z", "q", 1), ("m", "r", 0), ("z", "r", 1),
                 ("z", "s", 0), ("z", "s", 1), ("q", "t", 0), ("r", "t", 1), ("t", "u", 0), ("s", "u", 1))
    g = ComputationGraph.from_dict(doc(nodes, edges))
    values = g.forward()
    assert values["q"] == math.inf
    assert values["r"] == -math.inf
    assert math.isnan(values["s"])
    assert all("division by zero" in g.faults()[n] for n in "qrs")
    assert g.affected() == {"t", "u"}


def test_an_overflow_that_does_not_raise_is_still_flagged_where_it_starts():
    nodes = [{"id": "a", "op": "input", "value": 1e200}, {"id": "sq", "op": "mul"}, {"id": "n", "op": "neg"}]
    g = ComputationGraph.from_dict(doc(nodes, wire(("a", "sq", 0), ("a", "sq", 1), ("sq", "n", 0))))
    assert g.forward()["n"] == -math.inf
    assert "overflow" in g.faults()["sq"]
    assert g.affected() == {"n"}


def test_no_gradient_passes_a_failed_node():
    g = ComputationGraph.from_dict(unary_chain("log", -1))
    grads = g.backward()
    assert grads["e"] == 1.0
    assert math.isnan(grads["a"])


def test_evaluate_reports_faults_as_json_safe_strings():
    g = ComputationGraph.from_dict(unary_chain("exp", 1000))
    state = evaluation(g)
    assert state["values"]["f"] == "Infinity" and state["values"]["n"] == "-Infinity"
    assert "overflow" in state["errors"]["f"]
    assert state["affected"] == ["e", "n"]


def test_sigmoid_is_stable_far_from_zero():
    layer = SigmoidLayer()
    assert layer.forward(-1000) == 0.0  # exp(1000) would overflow
    assert layer.backward(1.0) == 0.0
    assert layer.forward(1000) == 1.0
    assert layer.backward(1.0) == 0.0
    assert layer.forward(0) == 0.5
    assert layer.backward(1.0) == 0.25


def test_sigmoid_of_minus_1000_in_a_graph_is_not_a_fault():
    g = ComputationGraph.from_dict(unary_chain("sigmoid", -1000))
    assert g.forward()["f"] == 0.0
    assert g.faults() == {} and g.affected() == set()
    assert g.backward()["a"] == 0.0


def test_pow_fault_values_follow_ieee():
    assert PowLayer(-1).fault(0.0) == math.inf
    assert math.isnan(PowLayer(0.5).fault(-4.0))
    assert PowLayer(3).fault(-1e200) == -math.inf
    assert PowLayer(2).fault(-1e200) == math.inf


def test_pow_of_a_negative_base_to_a_fractional_power_is_a_fault_not_a_complex_number():
    g = ComputationGraph.from_dict(doc(
        [{"id": "a", "op": "input", "value": -4}, {"id": "p", "op": "pow", "params": {"exponent": 0.5}}],
        wire(("a", "p", 0))))
    assert math.isnan(g.forward()["p"])
    assert "p" in g.faults()
