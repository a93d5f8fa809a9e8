"""Shape rules, and the check that a graph's shapes fit.

Each op's registration names its rule (``register(shape=...)``): a function of
its inputs' shapes giving its output's, or raising ``ShapeError`` with why they
do not fit, written with both shapes: ``(4, 3) · (2, 5) does not fit: 3 ≠ 2``.
A scalar's shape is ``()``. The common rules are here; an op with its own writes
it beside its layer.

``check(graph)`` walks the graph in order and refuses the first node whose
inputs do not fit, naming the op, the node and the shapes. A graph of numbers
only (no tensor value, no op that needs one) needs no walk: every rule of a
scalar op takes ``()`` and gives ``()``.
"""
from __future__ import annotations

import numpy as np


class ShapeError(ValueError):
    """Why an op's input shapes do not fit (the op and node are added by ``check``)."""


def text(shape) -> str:
    return str(tuple(shape))


def scalars_only(*shapes):
    """The rule of an op of numbers: every input a scalar, and so is the output."""
    for s in shapes:
        if s != ():
            raise ShapeError(f"takes numbers, not a tensor of shape {text(s)}")
    return ()


def elementwise(s):
    """One input, applied to each element: the output has its shape (relu, sigmoid)."""
    return s


def broadcast(a, b):
    """Two inputs combined element by element with numpy's broadcasting (add, mul)."""
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        for x, y in zip(reversed(a), reversed(b)):
            if x != y and 1 not in (x, y):
                raise ShapeError(f"{text(a)} and {text(b)} do not broadcast: {x} ≠ {y}") from None
        raise ShapeError(f"{text(a)} and {text(b)} do not broadcast") from None


def tensor(s, what="input"):
    """Refuse a scalar where a vector or matrix is needed."""
    if s == ():
        raise ShapeError(f"its {what} must be a vector or a matrix, not a number")
    return s


def reduced(s):
    """A tensor reduced to one number (sum, mean)."""
    tensor(s)
    return ()


def matmul(a, b, sign="·"):
    """x (N, D) or (D,) times W (D, M): (N, M) or (M,)."""
    tensor(a, "x")
    if len(b) != 2:
        raise ShapeError(f"{text(a)} {sign} {text(b)}: W must be a matrix")
    if a[-1] != b[0]:
        raise ShapeError(f"{text(a)} {sign} {text(b)} does not fit: {a[-1]} ≠ {b[0]}")
    return a[:-1] + b[1:]


def node_problem(spec, nid, in_shapes):
    """(shape, None) or (None, the refusal's message and params) for one op node."""
    try:
        return spec.shape(*in_shapes), None
    except ShapeError as err:
        shapes = ", ".join(text(s) for s in in_shapes)
        return None, (f"{spec.name}: {err} (node {nid!r})",
                      {"reason": "shape_mismatch", "node": nid, "op": spec.name, "shapes": shapes,
                       "detail": str(err)})


def infer(g, inputs_of, order, ops) -> tuple[dict, tuple | None]:
    """({node: shape} for every node whose shape is known, the first problem or None).

    An op with an unwired port, or fed by one, has no shape yet; ``order`` is a
    topological order of ``g``.
    """
    shapes, nodes = {}, g._node
    for nid in order:
        attrs = nodes[nid]
        spec = ops[attrs["op"]]
        if not spec.arity:
            v = attrs.get("value")
            shapes[nid] = v.shape if v.__class__ is np.ndarray else ()
            continue
        srcs = inputs_of.get(nid)
        if srcs is None or any(s is None or s not in shapes for s in srcs):
            continue
        shape, problem = node_problem(spec, nid, [shapes[s] for s in srcs])
        if problem is not None:
            return shapes, problem
        shapes[nid] = shape
    return shapes, None
