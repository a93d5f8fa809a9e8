"""What a client may see: the evaluation filtered by the step cursor, with display strings.

The browser draws these strings as they are; ``display.fmt`` stays the one
function that formats numbers for a person.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .display import fmt
from .document import jsonable
from .graph import ComputationGraph


@dataclass
class Cursor:
    phase: str = "idle"   # "idle" | "forward" | "backward"
    step: int = 0         # steps revealed in this phase
    total: int = 0        # steps in this phase

    def to_dict(self) -> dict:
        return asdict(self)


def _num(x):
    return jsonable(x), fmt(x)


def visible_state(graph: ComputationGraph, cursor: Cursor, fwd_order: list, bwd_order: list) -> dict:
    """The evaluation as far as the cursor has revealed it (see docs/protocol.md)."""
    full = graph.evaluate()
    plan = graph.plan
    if cursor.phase == "forward":
        shown_v = set(fwd_order[:cursor.step])
    elif cursor.phase == "backward":
        shown_v = set(fwd_order)
    else:
        shown_v = set()
    shown_g = set(bwd_order[:cursor.step]) if cursor.phase == "backward" else set()
    vals = plan.vals
    values = {nid: jsonable(vals[plan.index[nid]]) for nid in fwd_order if nid in shown_v}
    grads = {nid: g for nid, g in full["grads"].items() if nid in shown_g}
    edges = []
    for e in full["edges"]:
        v = e["value"] if e["source"] in shown_v else None
        g = e["grad"] if e["target"] in shown_g else None
        edges.append({**e, "value": v, "grad": g,
                      "value_text": fmt(_float(v)) if v is not None else None,
                      "grad_text": fmt(_float(g)) if g is not None else None})
    inputs = {nid: fmt(a["value"]) for nid, a in graph.g.nodes(data=True) if a["op"] == "input"}
    return {
        "cursor": cursor.to_dict(),
        "values": values, "grads": grads, "edges": edges,
        "display": {"values": {k: fmt(_float(v)) for k, v in values.items()},
                    "grads": {k: fmt(_float(v)) for k, v in grads.items()},
                    "inputs": inputs},
        "errors": full["errors"], "affected": full["affected"],
        "output": full["output"], "output_error": full.get("output_error"),
        "forward_total": len(fwd_order), "backward_total": len(bwd_order),
    }


def _float(x):
    return float(x)  # "NaN"/"Infinity" strings from jsonable read back as floats


def wire_event(event: dict) -> dict:
    """A step event made JSON-safe, with display strings beside its numbers."""
    out = dict(event)
    if "value" in out:
        out["value_text"] = fmt(out["value"])
        out["value"] = jsonable(out["value"])
        out["inputs"] = [jsonable(v) for v in out.get("inputs", [])]
    if "grad" in out:
        out["grad_text"] = fmt(out["grad"])
        out["grad"] = jsonable(out["grad"])
        out["dout"] = jsonable(out["dout"])
    for key in ("edges", "dout_terms", "rules"):
        if key in out:
            items = []
            for item in out[key]:
                item = dict(item)
                for f in ("value", "grad"):
                    if f in item:
                        item[f + "_text"] = fmt(item[f])
                        item[f] = jsonable(item[f])
                items.append(item)
            out[key] = items
    return out
