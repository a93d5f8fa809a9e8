"""Python: a runnable script in the style of the book's buy_apple.py.

It builds the layers from ``server.engine.layers``, calls forward and backward in the
engine's order (so fan-out accumulates in the same order and every printed
float is the engine's, to the last digit) and prints every value and gradient.
"""
from __future__ import annotations

import builtins
import keyword
import re
import unicodedata

from ..engine.document import GraphError
from ..engine.registry import OPS


# Names the script itself uses, which no node's variable may take.
OWN_NAMES = {"dx", "dy"}


def identifiers(ids) -> dict[str, str]:
    """A unique ASCII Python name per node id: 'doughnut price' → 'doughnut_price', '가격' → 'node'.

    ASCII only, because Python folds identifiers by NFKC ('ﬁ' and 'fi' are one name);
    each name n also takes n_layer and d_n, and none of the three may be a keyword, a
    builtin, a layer class or one of the script's own names."""
    reserved = set(keyword.kwlist) | set(dir(builtins)) | OWN_NAMES | {s.layer.__name__ for s in OPS.values()}
    names, used = {}, set(reserved)
    for nid in ids:
        folded = unicodedata.normalize("NFKC", nid)
        base = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", folded)).strip("_") or "node"
        if base[0].isdigit():
            base = "n_" + base
        name, k = base, 2
        while {name, f"{name}_layer", f"d_{name}"} & used:
            name, k = f"{base}_{k}", k + 1
        used |= {name, f"{name}_layer", f"d_{name}"}
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
    # The first two lines are fixed: a title there could declare another source encoding (PEP 263,
    # "coding: utf-7") and turn a label into code. User text appears only as ascii() literals.
    title = " ".join((fig.title or "gradcanvas graph").split())
    lines = ["# -*- coding: utf-8 -*-",
             "# Exported from gradcanvas: forward and backward through the layers, as in the book's buy_apple.py.",
             f"# Title: {ascii(title)}"]
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
        lines.append(f"print({ascii('value ' + nid)}, '=', {name[nid]})")
    for i, nid in enumerate(ids):
        if mask[i]:
            lines.append(f"print({ascii('grad ' + nid)}, '=', d_{name[nid]})")
    return "\n".join(lines) + "\n"


__all__ = ["render", "GraphError"]
