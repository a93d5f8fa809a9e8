"""Gradient check: backprop's gradient beside a central difference, for every input.

h is relative to the input's value (the cube root of machine epsilon times
max(1, |x|), the step that balances truncation and rounding error for a
central difference). An op with a kink (``OpSpec.kink``: relu at 0, max at a
tie) whose inputs sit on it, or cross it within ±h, makes the function
non-differentiable there: such inputs are flagged, not failed.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ..engine.display import fmt
from ..engine.graph import ComputationGraph
from ..engine.registry import OPS

EPS_CBRT = 6.055454452393343e-06  # (2.2e-16) ** (1/3)
REL_TOL = 1e-5
ABS_TOL = 1e-7


@dataclass
class Check:
    node: str
    value: float
    h: float
    backprop: float
    numeric: float
    rel_error: float
    status: str            # "pass" | "fail" | "not differentiable"
    note: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update({f"{k}_text": fmt(d[k]) for k in ("value", "backprop", "numeric", "rel_error")})
        return d


def check_gradients(graph: ComputationGraph, output=None) -> list[Check]:
    """One Check per input node on a path to the output; ``graph`` is not changed."""
    work = ComputationGraph.from_dict(graph.to_dict(), graph.limits)
    out = work.output_node(output)
    grads = work.backward(out)
    inputs = [n for n, a in work.g.nodes(data=True) if a["op"] == "input" and n in grads]
    kinks = [(n, OPS[a["op"]]) for n, a in work.g.nodes(data=True) if OPS[a["op"]].kink and n in grads]
    results = []
    for nid in inputs:
        x = work.node(nid)["value"]
        h = EPS_CBRT * max(1.0, abs(x))
        sides = []  # per evaluation: which side of its kink each kinked op's inputs are on

        def f(v):
            work.set_value(nid, v)
            values = work.forward()
            sides.append([spec.kink(*(values[s] for s in work._inputs[k])) for k, spec in kinks])
            return values[out]
        plus, minus = f(x + h), f(x - h)
        work.set_value(nid, x)
        numeric = (plus - minus) / (2 * h)
        ana = grads[nid]
        err = abs(numeric - ana) / max(abs(numeric), abs(ana), 1e-12)
        status, note = "pass", ""
        # A kink matters when this input moves an op's inputs across (or onto) it.
        crossed: dict[str, list] = {}  # kink note → the nodes it is about
        for (k, spec), before, after in zip(kinks, sides[0], sides[1]):
            if before != after:
                crossed.setdefault(spec.kink_note, []).append(k)
        if crossed:
            status = "not differentiable"
            note = "; ".join(f"{', '.join(nodes)}: {why}" for why, nodes in crossed.items())
        elif not (math.isfinite(numeric) and math.isfinite(ana)):
            status, note = "fail", "a value is NaN or infinite"
        elif err > REL_TOL and abs(numeric - ana) > ABS_TOL:
            status = "fail"
        results.append(Check(nid, x, h, ana, numeric, err, status, note))
    return results
