"""Python: a standalone script in the style of the book's buy_apple.py.

The script defines the layers it uses, from the engine's own source (see
engine/standalone.py), so it runs with any Python 3 and nothing installed. It calls
forward and backward in the engine's order, through two small runner
functions that handle faults as the engine does (plan.py), so every printed
float is what ``gradcanvas eval`` computes, to the last digit, NaN and the sign
of zero included. It re-imports to the same graph (teaching/pyimport.py).

Safety: the first two lines are fixed; user text appears only as ascii()
literals; every variable is an ASCII identifier, unique, and never a keyword,
a builtin, a layer class or a name the script itself defines.
"""
from __future__ import annotations

import builtins
import keyword
import re
import unicodedata

from ..engine.document import GraphError
from ..engine.registry import OPS
from ..engine.standalone import RUNNER, RUNNER_NAMES, NotStandalone, support_for_ops

class Names:
    """Unique ASCII Python names, none of them reserved."""

    def __init__(self, reserved):
        self.used = set(reserved)

    @staticmethod
    def base(text: str) -> str:
        """'doughnut price' → 'doughnut_price', '가격' → 'node', '2x' → 'n_2x'. ASCII only:
        Python folds identifiers by NFKC ('ﬁ' and 'fi' are one name)."""
        folded = unicodedata.normalize("NFKC", text)
        base = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", folded)).strip("_") or "node"
        return "n_" + base if base[0].isdigit() else base

    def take(self, base: str, *forms: str) -> str:
        """The first of base, base_2, base_3 … free in every form ('{}', '{}_layer', 'd{}')."""
        forms = forms or ("{}",)
        name, k = base, 2
        while any(f.format(name) in self.used for f in forms):
            name, k = f"{base}_{k}", k + 1
        self.used |= {f.format(name) for f in forms}
        return name


def reserved_names(support_names=()) -> set[str]:
    return (set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins)) | set(RUNNER_NAMES)
            | {"math"} | set(support_names) | {s.layer.__name__ for s in OPS.values()})


def node_names(graph, ids, reserved) -> tuple[Names, dict[str, str]]:
    """A variable per node: its label where that is an ASCII identifier, else its id, made safe."""
    names = Names(reserved)
    out = {}
    for nid in ids:
        label = graph.g.nodes[nid].get("label") or ""
        source = label if label.isascii() and label.isidentifier() else nid
        out[nid] = names.take(Names.base(source), "{}", "{}_layer", "d{}")
    return names, out


def render(fig) -> str:
    from ..engine.graph import ComputationGraph
    graph = ComputationGraph.from_dict(fig.document)
    plan = graph.plan
    graph._require_complete(plan)
    out = plan.index[graph.output_node()]
    _, _, mask = plan.run_backward(out)
    ids = plan.ids
    op_of = [graph.g.nodes[nid]["op"] for nid in ids]
    try:
        support = support_for_ops(sorted({op_of[o] for o, *_ in plan.steps}, key=list(OPS).index))
    except NotStandalone as err:
        raise GraphError(f"the Python export cannot define a layer: {err}") from None
    names, name = node_names(graph, ids, reserved_names(support.names))
    var = [name[nid] for nid in ids]

    # The first two lines are fixed: a title there could declare another source encoding (PEP 263,
    # "coding: utf-7") and turn a label into code. User text appears only as ascii() literals.
    title = fig.title or "gradcanvas graph"
    lines = ["# -*- coding: utf-8 -*-",
             "# Exported from gradcanvas: forward and backward through the layers, as in the book's buy_apple.py.",
             ascii(title),
             "# It runs on its own with any Python 3: the layers it uses are defined below, as the book",
             "# writes them, and it prints every value and gradient as `gradcanvas eval` computes them.",
             ""]
    lines += [f"import {m}" for m in sorted({"math", *support.imports})]
    if support.blocks:
        lines += ["", "", support.source()]
    lines += ["", "", "# The runner: forward and backward as gradcanvas runs them, faults included.",
              RUNNER.rstrip("\n"), "", ""]

    lines += ["# inputs"]
    lines += [f"{var[i]} = {graph.g.nodes[ids[i]]['value']!r}" for i in plan.leaves]
    lines += ["", "# layers"]
    for o, *_ in plan.steps:
        attrs = graph.g.nodes[ids[o]]
        args = ", ".join(f"{k}={v!r}" for k, v in attrs.get("params", {}).items())
        lines.append(f"{var[o]}_layer = {OPS[op_of[o]].layer.__name__}({args})")
    lines += ["", "# forward"]
    for o, _, a, b, _ in plan.steps:
        args = var[a] + (f", {var[b]}" if b >= 0 else "")
        lines.append(f"{var[o]} = forward({var[o]}_layer, {args})")

    # A node that receives gradients along several edges gets one part per edge, added up in
    # the engine's order (the order the edges send them back) once the last part has arrived.
    arrivals = [0] * len(ids)
    for o, _, a, b, _ in plan.steps:
        if mask[o]:
            arrivals[a] += 1
            if b >= 0:
                arrivals[b] += 1
    parts: dict[int, list[str]] = {}
    lines += ["", "# backward", f"d{var[out]} = 1.0"]
    for o, _, a, b, _ in reversed(plan.steps):
        if not mask[o]:
            continue
        targets = [a] if b < 0 else [a, b]
        results, sums = [], []
        for t in targets:
            if arrivals[t] == 1:
                results.append(f"d{var[t]}")
                continue
            part = names.take(f"d{var[t]}_{len(parts.get(t, ())) + 1}")
            parts.setdefault(t, []).append(part)
            results.append(part)
            if len(parts[t]) == arrivals[t]:
                sums.append(f"d{var[t]} = {' + '.join(parts[t])}  # {arrivals[t]} edges send gradients here")
        lines.append(f"{', '.join(results)} = backward({var[o]}_layer, d{var[o]})")
        lines += sums

    lines += ["", "# every value and gradient, as gradcanvas eval computes them (raw floats)"]
    for i, nid in enumerate(ids):
        lines.append(f"print({ascii('value ' + nid)}, '=', {var[i]})")
    for i, nid in enumerate(ids):
        if mask[i]:
            lines.append(f"print({ascii('grad ' + nid)}, '=', d{var[i]})")
    return "\n".join(lines) + "\n"


__all__ = ["render", "GraphError", "reserved_names"]
