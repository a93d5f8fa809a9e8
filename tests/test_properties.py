"""Property tests: random graphs mixing every op, gradients against finite differences.

A random *program* is a list of ops, each reading earlier nodes (so fan-out and
``x * x`` come up by themselves). Where an op has a restricted domain (log, div's
denominator, fractional and negative powers), its operand is first made safe as
``u·u + one``, which is at least 1. A plain-Python reference evaluates the same
program; finite differences of the reference are the expected gradients.
"""
import copy
import math

from hypothesis import assume, given, settings, strategies as st

import server.engine.layers  # noqa: F401
from server.engine.document import GraphError
from server.teaching.examples import example_doc
from server.engine.graph import ComputationGraph
from server.engine.registry import OPS

from conftest import evaluation

SETTINGS = settings(max_examples=100, deadline=None)

UNARY = [name for name, spec in OPS.items() if spec.arity == 1 and spec.takes_scalars]   # every op of numbers
BINARY = [name for name, spec in OPS.items() if spec.arity == 2 and spec.takes_scalars]
EXPONENTS = [2, 3, 1, 0.5, -1, -2, 1.5]


def test_the_random_programs_can_build_every_registered_op():
    assert set(UNARY + BINARY) == {name for name, spec in OPS.items() if spec.ports and spec.takes_scalars}
    assert {"add", "mul", "log", "pow", "relu"} <= set(UNARY + BINARY)  # the domain cases below exist


def sigmoid(x):
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


REFERENCE = {
    "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub": lambda a, b: a - b,
    "div": lambda a, b: a / b, "neg": lambda a: -a, "exp": math.exp, "log": math.log,
    "sigmoid": sigmoid, "relu": lambda a: a if a > 0 else 0.0, "tanh": math.tanh, "max": max,
}


def by_layer(op):
    """An op with no hand-written reference above computes with a fresh layer of its own:
    the graph's wiring, order and accumulation are still checked against this program."""
    return lambda *args: OPS[op].layer().forward(*args)

finite = st.floats(min_value=-3, max_value=3, allow_nan=False, allow_infinity=False)


@st.composite
def programs(draw, max_ops=10):
    """(input values, steps); a step is (id, op, source ids, params)."""
    n_inputs = draw(st.integers(1, 4))
    values = {f"x{k}": draw(finite) for k in range(n_inputs)}
    values["one"] = 1.0
    ids = list(values)
    steps = []

    def add(op, srcs, params=None):
        nid = f"n{len(steps)}"
        steps.append((nid, op, srcs, params))
        ids.append(nid)
        return nid

    def safe(u):  # u·u + one ≥ 1
        return add("add", [add("mul", [u, u]), "one"])

    def pick():
        return ids[draw(st.integers(0, len(ids) - 1))]

    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(UNARY + BINARY))
        if op == "log":
            add("log", [safe(pick())])
        elif op == "div":
            x, y = pick(), pick()
            add("div", [x, safe(y)])
        elif op == "pow":
            p = draw(st.sampled_from(EXPONENTS))
            base = pick() if float(p).is_integer() and p > 0 else safe(pick())
            add("pow", [base], {"exponent": p})
        elif op in BINARY:
            add(op, [pick(), pick()])
        else:
            add(op, [pick()])
    return values, steps


def to_doc(values, steps):
    nodes = [{"id": k, "op": "input", "value": v} for k, v in values.items()]
    edges = []
    for nid, op, srcs, params in steps:
        nodes.append({"id": nid, "op": op, **({"params": params} if params else {})})
        edges += [{"source": s, "target": nid, "port": p} for p, s in enumerate(srcs)]
    return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": steps[-1][0]}


def reference(values, steps, kink_sides=None):
    """Every node's value, in plain Python; raises OverflowError where math does.
    ``kink_sides`` collects, for each op with a kink (relu, max…), the side its inputs are on."""
    v = dict(values)
    for nid, op, srcs, params in steps:
        args = [v[s] for s in srcs]
        if op == "pow":
            v[nid] = args[0] ** params["exponent"]
        else:
            v[nid] = REFERENCE.get(op, by_layer(op))(*args)
        if OPS[op].kink is not None and kink_sides is not None:
            kink_sides.append(OPS[op].kink(*args))
    return v


def numeric_gradient(values, steps, name, out):
    """Five-point central difference of the output with respect to input ``name``."""
    h = 1e-4 * max(1.0, abs(values[name]))
    kinks = []
    reference(values, steps, kinks)
    f = {}
    for k in (-2, -1, 1, 2):
        shifted = dict(values, **{name: values[name] + k * h})
        sides = []
        f[k] = reference(shifted, steps, sides)[out]
        # relu at 0, max at a tie: no derivative there, so the stencil must not straddle a kink.
        assume(sides == kinks)
    return (-f[2] + 8 * f[1] - 8 * f[-1] + f[-2]) / (12 * h)


def well_conditioned(values, steps):
    try:
        ref = reference(values, steps)
    except OverflowError:
        assume(False)
    assume(all(math.isfinite(x) and abs(x) < 1e4 for x in ref.values()))
    return ref


@SETTINGS
@given(programs())
def test_forward_matches_a_plain_python_reference(program):
    values, steps = program
    ref = well_conditioned(values, steps)
    g = ComputationGraph.from_dict(to_doc(values, steps))
    got = g.forward()
    assert set(got) == set(ref)
    for k in ref:
        assert math.isclose(got[k], ref[k], rel_tol=1e-12, abs_tol=1e-300), k
    assert g.faults() == {}


@SETTINGS
@given(programs())
def test_gradients_match_finite_differences_over_every_input(program):
    values, steps = program
    ref = well_conditioned(values, steps)
    out = steps[-1][0]
    grads = ComputationGraph.from_dict(to_doc(values, steps)).backward()
    assert grads[out] == 1.0
    scale = max(1.0, max(abs(x) for x in ref.values()))
    for name in values:
        expected = numeric_gradient(values, steps, name, out)
        got = grads.get(name, 0.0)  # an input with no path to the output has no gradient: 0
        assert abs(got - expected) <= 1e-6 * scale * max(1.0, abs(expected)), (name, got, expected)


@SETTINGS
@given(programs())
def test_backward_gives_gradients_for_exactly_the_nodes_on_a_path_to_the_output(program):
    values, steps = program
    g = ComputationGraph.from_dict(to_doc(values, steps))
    g.forward()
    out = steps[-1][0]
    reaches = {out}
    for nid, _, srcs, _ in reversed(steps):
        if nid in reaches:
            reaches.update(srcs)
    assert set(g.backward()) == reaches


@SETTINGS
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_x_times_x_has_gradient_exactly_2x(x):
    g = ComputationGraph.from_dict({"format": "gradcanvas", "version": 1,
                                    "nodes": [{"id": "x", "op": "input", "value": x}, {"id": "sq", "op": "mul"}],
                                    "edges": [{"source": "x", "target": "sq", "port": 0},
                                              {"source": "x", "target": "sq", "port": 1}]})
    assert g.forward()["sq"] == x * x
    assert g.backward()["x"] == 2 * x


@SETTINGS
@given(st.floats(min_value=-100, max_value=100, allow_nan=False),
       st.lists(st.sampled_from(["neg", "mul_self", "pow3", "tanh"]), min_size=1, max_size=8))
def test_fan_out_sums_the_gradient_of_every_branch(x, branches):
    """x feeds every branch; the branches are added up; dL/dx is the sum of their derivatives."""
    nodes = [{"id": "x", "op": "input", "value": x}]
    edges = []
    derivative = {"neg": lambda x: -1.0, "mul_self": lambda x: 2 * x,
                  "pow3": lambda x: 3 * x * x, "tanh": lambda x: 1 - math.tanh(x) ** 2}
    for k, b in enumerate(branches):
        op = {"mul_self": "mul", "pow3": "pow"}.get(b, b)
        nodes.append({"id": f"b{k}", "op": op, **({"params": {"exponent": 3}} if b == "pow3" else {})})
        edges += [{"source": "x", "target": f"b{k}", "port": p} for p in range(2 if op == "mul" else 1)]
    acc = "b0"
    for k in range(1, len(branches)):
        nodes.append({"id": f"s{k}", "op": "add"})
        edges += [{"source": acc, "target": f"s{k}", "port": 0}, {"source": f"b{k}", "target": f"s{k}", "port": 1}]
        acc = f"s{k}"
    g = ComputationGraph.from_dict({"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges,
                                    "output": acc})
    expected = sum(derivative[b](x) for b in branches)
    assert math.isclose(g.backward()["x"], expected, rel_tol=1e-12, abs_tol=1e-9)


@SETTINGS
@given(programs(), st.data())
def test_set_value_then_forward_equals_a_fresh_evaluation(program, data):
    values, steps = program
    g = ComputationGraph.from_dict(to_doc(values, steps))
    evaluation(g)
    changed = data.draw(st.lists(st.sampled_from(sorted(values)), min_size=1, unique=True))
    for name in changed:
        g.set_value(name, data.draw(st.floats(-1e3, 1e3, allow_nan=False)))  # faults allowed
    fresh = ComputationGraph.from_dict(g.to_dict())
    assert evaluation(g) == evaluation(fresh)  # values, grads, faults, affected: JSON-safe, so NaN compares


def edit_ops(g, data):
    """One random edit op, valid or not, naming the graph's nodes (and a stranger)."""
    ids = sorted(g.g) + ["ghost"]
    node = st.sampled_from(ids)
    kind = data.draw(st.sampled_from(["add_node", "remove_node", "connect", "disconnect", "set_value",
                                      "set_label", "set_params", "move_node", "set_output"]))
    if kind == "add_node":
        op = data.draw(st.sampled_from(list(OPS)))
        return {"type": kind, "node": {"id": data.draw(st.sampled_from(["p", "q", "r", "m1"])), "op": op}}
    if kind == "remove_node":
        return {"type": kind, "id": data.draw(node)}
    if kind == "connect":
        return {"type": kind, "source": data.draw(node), "target": data.draw(node), "port": data.draw(st.integers(0, 2))}
    if kind == "disconnect":
        return {"type": kind, "target": data.draw(node), "port": data.draw(st.integers(0, 1))}
    if kind == "set_value":
        return {"type": kind, "id": data.draw(node), "value": data.draw(st.floats(-10, 10) | st.just(math.nan))}
    if kind == "set_label":
        return {"type": kind, "id": data.draw(node), "label": data.draw(st.none() | st.text(max_size=5))}
    if kind == "set_params":
        return {"type": kind, "id": data.draw(node), "params": {"exponent": data.draw(st.sampled_from([2, 3, 0.5]))}}
    if kind == "move_node":
        return {"type": kind, "id": data.draw(node), "x": data.draw(st.floats(-1e3, 1e3)), "y": 0}
    return {"type": kind, "id": data.draw(st.none() | node)}


@SETTINGS
@given(st.data())
def test_any_sequence_of_edits_undoes_in_reverse_to_the_exact_start(data):
    g = ComputationGraph.from_dict(example_doc("doughnut_cupcake"))
    start, start_state = copy.deepcopy(g.to_dict()), evaluation(g)
    undo = []
    for _ in range(data.draw(st.integers(1, 12))):
        op = edit_ops(g, data)
        before = copy.deepcopy(g.to_dict())
        try:
            _, inverse = g.apply(op)
        except GraphError:
            assert g.to_dict() == before  # a refused edit changes nothing
            continue
        undo.append(inverse)
        evaluation(g)  # evaluating in between must not matter
    for inverse in reversed(undo):
        for iop in inverse:
            g.apply(iop)
    assert g.to_dict() == start
    assert evaluation(g) == start_state
