"""The engine against an independent reference: PyTorch float64 autograd (issue 12).

Random graphs mix every op over extreme magnitudes (1e−300 … 1e300), ±0.0, and
inputs that fault (log of a negative, division by zero, overflow). PyTorch
evaluates the same graph with ``torch.float64`` tensors and ``backward()``; every
value and every gradient on a path to the output must be the same double: NaN
for NaN, the same infinity, and the same signed zero.

Where the reference and the engine cannot be bit-for-bit, and why:

- ``exp``, ``log`` and ``tanh``: PyTorch's CPU kernels (MKL/Sleef) and the C
  library behind Python's ``math`` differ in the last bit for about 1 input in
  300. The reference takes PyTorch's value, checks it is within 2 ulps of the
  engine's, and carries the engine's value on (so that one ulp is not amplified
  by a later cancellation); its derivative is PyTorch's own formula from
  ``tools/autograd/derivatives.yaml`` on those same numbers: ``grad * result``,
  ``grad / self``, ``tanh_backward(grad, result)`` = ``grad * (1 − result²)``, the
  last spelled out in tensor ops (the fused kernel may round 1 − y·y as one FMA).
- ``pow`` is ``torch.pow(x, tensor(p))``, PyTorch's general pow (``std::pow``),
  not ``x ** p``, whose special cases (``x*x*x``, ``rsqrt``, ``1/(x*x)``) round
  differently and whose ``x ** 0.5`` is ``sqrt``, −0 at −0 where IEEE's pow gives +0.
- Summation order: PyTorch adds a fan-out's gradients in the order its backward
  runs, which is the reverse of the order the tensors were made; the reference
  makes them in the engine's plan order (a topological order of the same graph),
  so both add the same terms in the same order. Float addition is not associative.

One deliberate difference is applied to the reference, the engine's policy: no
gradient passes a failed node (a NaN or ±∞ computed from finite inputs), so the
gradient it sends to its inputs is NaN (README, Decisions).
"""
from __future__ import annotations

import math
import re
import struct

import networkx as nx
import pytest
from hypothesis import given, settings, strategies as st

import server.engine.layers  # noqa: F401  (fills the registry)
from server.engine.display import MINUS
from server.engine.graph import ComputationGraph
from server.engine.layers.basic import divide
from server.engine.layers.functions import power
from server.engine.registry import OPS

from test_properties import to_doc  # the same (values, steps) → document as the other property tests

torch = pytest.importorskip("torch")
F64 = torch.float64

UNARY = [name for name, spec in OPS.items() if spec.arity == 1 and spec.takes_scalars]  # ops of numbers
BINARY = [name for name, spec in OPS.items() if spec.arity == 2 and spec.takes_scalars]
EXPONENTS = [2, 3, 1, 0, 0.5, -1, -2, 1.5, -0.5, 2.5, 4]
SETTINGS = settings(max_examples=200, deadline=None)


# -- the reference --------------------------------------------------------------------
class Blocked(torch.autograd.Function):
    """Identity forward; NaN back: the engine's 'no gradient passes a failed node'."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return torch.full_like(g, math.nan)


def ulps(a: float, b: float) -> int:
    """How many doubles apart a and b are (∞ counts as the double after the largest)."""
    def key(x):
        i = struct.unpack("<q", struct.pack("<d", x))[0]
        return i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF)
    return abs(key(a) - key(b))


class Snapped(torch.autograd.Function):
    """PyTorch's exp/log/tanh, checked within 2 ulps of the engine's value, carrying that value on."""

    @staticmethod
    def forward(ctx, x, name, engine_value):
        got = getattr(torch, name)(x).item()
        if not (got != got and engine_value != engine_value):
            assert ulps(got, engine_value) <= 2, (name, x.item(), got, engine_value)
        result = torch.tensor(engine_value, dtype=F64)
        ctx.name = name
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, g):
        x, result = ctx.saved_tensors
        if ctx.name == "exp":
            d = g * result                      # derivatives.yaml: grad * result
        elif ctx.name == "log":
            d = g.div(x)                        # derivatives.yaml: grad.div(self)
        else:  # derivatives.yaml: tanh_backward(grad, result), that is grad * (1 − result²); its
            d = g * (1 - result * result)  # fused kernel may contract 1 − y·y into an FMA, so spelled out
        return d, None, None


def torch_op(op, args, params, engine_value):
    if op == "add":
        return args[0] + args[1]
    if op == "sub":
        return args[0] - args[1]
    if op == "mul":
        return args[0] * args[1]
    if op == "div":
        return args[0] / args[1]
    if op == "neg":
        return -args[0]
    if op == "max":
        return torch.maximum(args[0], args[1])
    if op == "relu":
        return torch.relu(args[0])
    if op == "sigmoid":
        return torch.sigmoid(args[0])
    if op == "pow":
        return torch.pow(args[0], torch.tensor(float(params["exponent"]), dtype=F64))
    if op in ("exp", "log", "tanh"):
        return Snapped.apply(args[0], op, engine_value)
    # An op added since, with no PyTorch reference here yet: its own layer computes, so the
    # graph's wiring, order, accumulation and fault policy are still checked against PyTorch's.
    return ByLayer.apply(op, params or {}, *args)


class ByLayer(torch.autograd.Function):
    @staticmethod
    def forward(ctx, op, params, *args):
        layer = OPS[op].layer(**params)
        ctx.layer = layer
        return torch.tensor(layer.forward(*(a.item() for a in args)), dtype=F64)

    @staticmethod
    def backward(ctx, g):
        got = ctx.layer.backward(g.item())
        got = got if isinstance(got, tuple) else (got,)
        return (None, None, *(torch.tensor(d, dtype=F64) for d in got))


BOOK_OPS = ["add", "mul", "sub", "div", "neg", "pow", "exp", "log", "sigmoid", "relu", "tanh", "max"]


def test_every_op_of_the_book_has_a_pytorch_reference():
    x = torch.tensor(0.5, dtype=F64, requires_grad=True)
    for name in BOOK_OPS:
        spec = OPS[name]
        engine = spec.layer().forward(*[0.5] * spec.arity)
        y = torch_op(name, [x] * spec.arity, spec.params, engine)
        assert same(y.item(), engine), name
        assert type(y.grad_fn).__name__ != "ByLayerBackward", f"{name} has no PyTorch reference"


def reference(graph: ComputationGraph, out: str):
    """(values, grads, faults) from PyTorch, the graph built in the engine's plan order."""
    plan = graph.plan
    engine_vals = plan.vals
    t: dict[str, torch.Tensor] = {}
    faults = set()
    for i, nid in enumerate(plan.ids):
        attrs = graph.g.nodes[nid]
        if attrs["op"] == "input":
            t[nid] = torch.tensor(float(attrs["value"]), dtype=F64, requires_grad=True)
            continue
        srcs = graph._inputs[nid]
        args = [t[s] for s in srcs]
        y = torch_op(attrs["op"], args, attrs.get("params", {}), engine_vals[i])
        if not math.isfinite(y.item()) and all(math.isfinite(a.item()) for a in args):
            faults.add(nid)
            y = torch_op(attrs["op"], [Blocked.apply(a) for a in args], attrs.get("params", {}), engine_vals[i])
        y.retain_grad()
        t[nid] = y
    t[out].backward()
    values = {nid: x.item() for nid, x in t.items()}
    grads = {nid: x.grad.item() for nid, x in t.items() if x.grad is not None}
    return values, grads, faults


def same(a: float, b: float) -> bool:
    """The same double: NaN is NaN, and 0.0 is not −0.0."""
    if a != a or b != b:
        return a != a and b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


# -- random graphs at the edges of the double range ---------------------------------------
extreme = st.builds(lambda m, e: m * 10.0 ** e, st.floats(-9.99, 9.99), st.integers(-300, 300))
special = st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, 1e300, -1e300, 1e-170, 1e200,
                           5e-324, 1.7976931348623157e308, 710.0, -746.0, 0.1, 2.0])
numbers = st.one_of(st.floats(-3, 3), extreme, special)


@st.composite
def programs(draw, max_ops=9):
    n_inputs = draw(st.integers(1, 4))
    values = {f"x{k}": draw(numbers) for k in range(n_inputs)}
    ids = list(values)
    steps = []
    for k in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(UNARY + BINARY))
        srcs = [ids[draw(st.integers(0, len(ids) - 1))] for _ in OPS[op].ports]
        params = {"exponent": draw(st.sampled_from(EXPONENTS))} if op == "pow" else None
        steps.append((f"n{k}", op, srcs, params))
        ids.append(f"n{k}")
    return values, steps


@SETTINGS
@given(programs())
def test_values_and_gradients_are_pytorchs_to_the_last_bit(program):
    values, steps = program
    graph = ComputationGraph.from_dict(to_doc(values, steps))
    out = steps[-1][0]
    got_values, got_grads = graph.forward(), graph.backward()
    ref_values, ref_grads, _ = reference(graph, out)
    for nid, v in ref_values.items():
        assert same(got_values[nid], v), f"value of {nid}: engine {got_values[nid]!r}, PyTorch {v!r}"
    assert set(got_grads) == set(ref_grads)
    for nid, g in ref_grads.items():
        assert same(got_grads[nid], g), f"∂{out}/∂{nid}: engine {got_grads[nid]!r}, PyTorch {g!r}"


@SETTINGS
@given(programs())
def test_every_non_finite_number_carries_a_message(program):
    """A NaN or ±∞ value is a fault of its own node (from finite inputs) or downstream of
    one (affected); a NaN or ±∞ gradient starts at a fault, an affected node, or a
    gradient fault (``grad_faults``), or flows from one of those to its inputs."""
    values, steps = program
    graph = ComputationGraph.from_dict(to_doc(values, steps))
    out = steps[-1][0]
    vals = graph.forward()
    _, _, ref_faults = reference(graph, out)
    faults, affected = graph.faults(), graph.affected()
    assert set(faults) == ref_faults
    assert all(msg for msg in faults.values())
    for nid, v in vals.items():
        if not math.isfinite(v):
            assert nid in faults or nid in affected, nid
    grads = graph.backward()
    grad_faults = graph.grad_faults()
    assert all(msg for msg in grad_faults.values())
    marked = set(faults) | affected | set(grad_faults)
    upstream = set(marked)
    for m in marked:
        upstream |= nx.ancestors(graph.g, m)
    for nid, g in grads.items():
        if not math.isfinite(g):
            assert nid in upstream, (nid, g)


# -- explanations never print false arithmetic --------------------------------------------
def printed_value(text: str) -> float:
    """What a printed numbers text computes, in IEEE arithmetic with the printed numbers."""
    py = text.replace(MINUS, "-").replace("×", "*").replace("÷", "/").replace("²", "**2").replace("^", "**")
    py = py.replace("∞", "inf").replace("NaN", "nan").replace("[", "(").replace("]", ")")
    py = re.sub(r"(?<![<>=!])=(?!=)", "==", py)
    import ast

    def ev(node):
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return float(node.id)
        if isinstance(node, ast.UnaryOp):
            return -ev(node.operand)
        if isinstance(node, ast.Compare):
            a, b = ev(node.left), ev(node.comparators[0])
            op = type(node.ops[0])
            return float(a > b if op is ast.Gt else a < b if op is ast.Lt else a == b)
        a, b = ev(node.left), ev(node.right)
        return {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                ast.Div: lambda: divide(a, b), ast.Pow: lambda: power(a, b)}[type(node.op)]()
    return ev(ast.parse(py, mode="eval").body)


def shown_number(text: str) -> float:
    return float(text.replace(MINUS, "-").replace("∞", "inf").replace("NaN", "nan").strip("()"))


@settings(max_examples=100, deadline=None)
@given(programs())
def test_explanations_never_print_a_nan_or_infinity_their_numbers_do_not_give(program):
    """A rule's printed numbers give the printed result's kind: NaN for NaN, the same
    infinity, a finite number for a finite one; at a failed node, no numbers at all."""
    values, steps = program
    graph = ComputationGraph.from_dict(to_doc(values, steps))
    list(graph.forward_steps())
    plan = graph.plan
    for event in graph.backward_steps():
        for rule in event["rules"]:
            if plan.index[event["node"]] in plan.faults:
                assert rule["numbers"] is None and "why" in rule
                continue
            if rule["numbers"] is None:
                assert rule["why"]
                continue
            said, shown = printed_value(rule["numbers"]), shown_number(rule["grad_text"])
            if shown != shown or said != said:
                assert said != said and shown != shown, rule["text"]
            elif math.isinf(shown):
                assert said == shown or abs(said) > 1e300, rule["text"]
            else:
                assert math.isfinite(said), rule["text"]
