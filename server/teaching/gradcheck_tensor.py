"""The gradient check of a graph with tensors, as the book's gradient_check.py does it.

For each input on a path to the output (a labels port, ``OpSpec.no_grad``, is left
out), every element is moved by h = 10⁻⁴ each way and the output's change gives
the numerical gradient (the book's ``numerical_gradient``, central differences).
Per input, the report is the mean |backprop − numerical| over its elements, as
``gradient_check.py`` prints it (``W1:1.2e-10``), with the largest beside it.

The judgement: ``fail`` when the largest difference is over 10⁻⁵ times the
larger of 1 and the largest numerical gradient (a wrong rule is off by about the
gradient itself); else ``pass``. An element that differs by over 10⁻⁸ is tried again
with h = 10⁻⁶ and 10⁻⁸, and the closest kept: a step of 10⁻⁴ can cross relu's kink where a
pre-activation is that close to 0 (weights of 0.01 make them small), and a central
difference across a kink is off by the jump, which a smaller step does not cross.
A wrong rule stays wrong at every step; the note says how many elements needed one.
The scalar check (gradcheck.py) judges each number with an error bound; this one
is the book's, for matrices.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..engine.display import fmt
from ..engine.document import GraphError, jsonable
from ..engine.graph import ComputationGraph
from ..engine.registry import OPS

H = 1e-4          # the book's step
TOLERANCE = 1e-5  # a difference over this, relative to max(1, the largest numerical gradient), fails
RESTEP = 1e-8     # an element differing by over this (relative likewise) is taken again with smaller steps


@dataclass
class TensorCheck:
    node: str
    shape: tuple            # () for a number
    mean_abs_diff: float    # mean over the elements of |backprop − numerical|
    max_abs_diff: float
    status: str             # "pass" or "fail"
    backprop: object = None  # the gradients compared (a float or an array)
    numeric: object = None
    note: str = ""

    def to_dict(self) -> dict:
        return {"node": self.node, "shape": list(self.shape), "mean_abs_diff": jsonable(self.mean_abs_diff),
                "max_abs_diff": jsonable(self.max_abs_diff), "status": self.status, "note": self.note,
                "mean_abs_diff_text": f"{self.mean_abs_diff:.1e}", "max_abs_diff_text": f"{self.max_abs_diff:.1e}",
                "backprop": jsonable(self.backprop), "numeric": jsonable(self.numeric)}


def labels_only(graph: ComputationGraph, nid: str) -> bool:
    """Whether every edge out of ``nid`` goes into a port that takes data (softmax_with_loss's t)."""
    ports = [(t, p) for (t, p), s in graph._wired.items() if s == nid]
    return bool(ports) and all(OPS[graph.g.nodes[t]["op"]].ports[p] in OPS[graph.g.nodes[t]["op"]].no_grad
                               for t, p in ports)


def numerical_gradient(f, x):
    """The book's numerical_gradient (common/gradient.py): central differences, one element at a time."""
    if not isinstance(x, np.ndarray):
        return (f(x + H) - f(x - H)) / (2 * H)
    x = np.array(x)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        idx = it.multi_index
        tmp = x[idx]
        x[idx] = tmp + H
        fxh1 = f(x)
        x[idx] = tmp - H
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * H)
        x[idx] = tmp
        it.iternext()
    return grad


def _closer(f, x, back, num, tolerance):
    """The numerical gradient with each element that differs by over ``tolerance`` taken again
    with smaller steps (10⁻⁶, 10⁻⁸), keeping the one closest to backprop; and how many were."""
    bad = np.argwhere(np.abs(back - num) > tolerance)
    if not bad.size:
        return num, 0
    num = num.copy()
    for idx in map(tuple, bad):
        for h in (1e-6, 1e-8):
            if x.__class__ is not np.ndarray:
                d = (f(x + h) - f(x - h)) / (2 * h)
            else:
                v = np.array(x)
                v[idx] += h
                up = f(v)
                v[idx] -= 2 * h
                d = (up - f(v)) / (2 * h)
            if abs(d - back[idx]) < abs(num[idx] - back[idx]):
                num[idx] = d
    return num, len(bad)


def check_tensor_gradients(graph: ComputationGraph, output=None) -> list[TensorCheck]:
    """One TensorCheck per input on a path to the output (labels left out); ``graph`` is not changed."""
    work = ComputationGraph.from_dict(graph.to_dict(), graph.limits)
    out = work.output_node(output)
    values = work.forward()
    if work.faults() or not np.all(np.isfinite(values[out])):
        where = next(iter(work.faults().items()), (out, "the output is NaN or infinite"))
        raise GraphError("cannot check the gradients: the forward pass fails ({}: {})".format(*where),
                         reason="check_forward_fails", node=where[0])
    if np.ndim(values[out]):
        raise GraphError(f"the output {out!r} has shape {np.shape(values[out])}: the gradient check "
                         "needs a number, a loss (sum or mean it)", reason="check_needs_scalar", node=out)
    grads = work.backward(out)
    inputs = [n for n, a in work.g.nodes(data=True)
              if a["op"] == "input" and n in grads and not labels_only(work, n)]
    checks = []
    for nid in inputs:
        x = work.node(nid)["value"]

        def f(v, nid=nid):
            work.set_value(nid, v)
            return work.forward()[out]

        num = numerical_gradient(f, x)
        back = np.asarray(grads[nid], dtype=float)
        scale = max(1.0, float(np.max(np.abs(num))))
        num, restepped = _closer(f, x, back, np.asarray(num, dtype=float), RESTEP * scale)
        work.set_value(nid, x)
        diff = np.abs(back - num)
        mean, top = float(np.mean(diff)), float(np.max(diff))
        status = "fail" if not math.isfinite(top) or top > TOLERANCE * scale else "pass"
        note = "" if status == "pass" else \
            f"the largest difference, {fmt(top)}, is over {TOLERANCE:g} × {fmt(scale)}"
        if restepped:
            note = "; ".join(filter(None, [note, f"{restepped} element{'s' * (restepped != 1)} measured again "
                                                 "with h = 1e-6 and 1e-8, where h = 1e-4 may cross a kink"]))
        num = float(num) if num.ndim == 0 else num
        checks.append(TensorCheck(nid, tuple(np.shape(x)), mean, top, status, grads[nid], num, note))
    return checks
