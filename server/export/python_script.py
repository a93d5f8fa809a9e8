"""Python: a runnable script in the style of the book's buy_apple.py.

It builds the layers from ``server.engine.layers``, calls forward and backward in the
engine's order (so fan-out accumulates in the same order and every printed
float is the engine's, to the last digit) and prints every value and gradient.
"""
from __future__ import annotations

import keyword
import re

from ..engine.document import GraphError
from ..engine.registry import OPS


def identifiers(ids) -> dict[str, str]:
    """A unique Python name per node id: 'doughnut price' → 'doughnut_price'."""
    names, used = {}, set()
    for nid in ids:
        base = re.sub(r"\W", "_", nid) or "node"
        if base[0].isdigit() or keyword.iskeyword(base) or base.startswith("d_"):
            base = "n_" + base
        name, k = base, 2
        while name in used or "d_" + name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        names[nid] = name
    return names


def render(fig) -> str:
    from ..engine.graph import ComputationGraph
    graph = ComputationGraph.from_dict(fig.document)
    plan = graph.plan
    graph._require_complete(plan)
    out = plan.index[graph.output_node()]
    _, _, mask = plan.run_backward(out)
    ids = plan.ids
    name = identifiers(ids)
    classes = sorted({OPS[graph.g.nodes[n]["op"]].layer.__name__ for n in ids
                      if OPS[graph.g.nodes[n]["op"]].arity})
    title = " ".join((fig.title or "gradcanvas graph").split())  # one comment line, whatever the title holds
    lines = [f"# {title}: exported from gradcanvas.",
             "# Forward and backward through the layers of server.engine.layers, as in the book's buy_apple.py."]
    if classes:
        lines.append(f"from server.engine.layers import {', '.join(classes)}")
    lines += ["", "# inputs"]
    for i in plan.leaves:
        lines.append(f"{name[ids[i]]} = {graph.g.nodes[ids[i]]['value']!r}")
    lines += ["", "# layers"]
    for o, *_ in plan.steps:
        attrs = graph.g.nodes[ids[o]]
        spec = OPS[attrs["op"]]
        args = ", ".join(f"{k}={v!r}" for k, v in attrs.get("params", {}).items())
        lines.append(f"{name[ids[o]]}_layer = {spec.layer.__name__}({args})")
    lines += ["", "# forward"]
    for o, _, a, b, _ in plan.steps:
        args = name[ids[a]] + (f", {name[ids[b]]}" if b >= 0 else "")
        lines.append(f"{name[ids[o]]} = {name[ids[o]]}_layer.forward({args})")

    # How many gradients reach each node decides between `d = ...` and `d += ...`.
    arrivals = [0] * len(ids)
    for o, _, a, b, _ in plan.steps:
        if mask[o]:
            arrivals[a] += 1
            if b >= 0:
                arrivals[b] += 1
    lines += ["", "# backward", f"d_{name[ids[out]]} = 1.0"]
    for i in range(len(ids)):
        if mask[i] and i != out and arrivals[i] > 1:
            lines.append(f"d_{name[ids[i]]} = 0.0  # gradients from {arrivals[i]} edges add up here")
    for o, _, a, b, _ in reversed(plan.steps):
        if not mask[o]:
            continue
        call = f"{name[ids[o]]}_layer.backward(d_{name[ids[o]]})"
        targets = [a] if b < 0 else [a, b]
        if all(arrivals[t] == 1 for t in targets) and len(set(targets)) == len(targets):
            lines.append(f"{', '.join('d_' + name[ids[t]] for t in targets)} = {call}")
        else:
            tmp = ["dx", "dy"][:len(targets)]
            lines.append(f"{', '.join(tmp)} = {call}")
            for t, v in zip(targets, tmp):
                op = "+=" if arrivals[t] > 1 else "="
                lines.append(f"d_{name[ids[t]]} {op} {v}")
    lines += ["", "# every value and gradient (raw floats)"]
    for i, nid in enumerate(ids):
        lines.append(f"print({('value ' + nid)!r}, '=', {name[nid]})")
    for i, nid in enumerate(ids):
        if mask[i]:
            lines.append(f"print({('grad ' + nid)!r}, '=', d_{name[nid]})")
    return "\n".join(lines) + "\n"


__all__ = ["render", "GraphError"]
