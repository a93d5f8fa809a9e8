"""Python: a standalone script in the style of the book's buy_apple.py.

The script defines the layers it uses, from the engine's own source (see
engine/standalone.py), so it runs with any Python 3 and nothing installed; a
graph of tensors is written with numpy, its layers under the names of the book's
common/layers.py (``Affine``, ``Relu``, ``SoftmaxWithLoss``), and needs numpy only. It calls
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
from ..engine.standalone import (RUNNER, RUNNER_NAMES, TENSOR_RUNNER, TENSOR_RUNNER_NAMES, NotStandalone,
                                 class_name, support_for_ops)
from ..engine.tensor import is_tensor

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


def reserved_names(support_names=(), runner_names=RUNNER_NAMES) -> set[str]:
    return (set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins)) | set(runner_names)
            | {"math", "np", "numpy"} | set(support_names) | {s.layer.__name__ for s in OPS.values()}
            | {s.book for s in OPS.values() if s.book})


def node_names(graph, ids, reserved) -> tuple[Names, dict[str, str]]:
    """A variable per node: its label where that is an ASCII identifier, else its id, made safe."""
    names = Names(reserved)
    out = {}
    for nid in ids:
        label = graph.g.nodes[nid].get("label") or ""
        source = label if label.isascii() and label.isidentifier() else nid
        out[nid] = names.take(Names.base(source), "{}", "{}_layer", "d{}")
    return names, out


def literal(value, indent: str = "") -> str:
    """An input's value as Python: a float's repr, or ``np.array([...])`` of the exact floats,
    a matrix one row a line."""
    if not is_tensor(value):
        return repr(value)
    if value.ndim == 1:
        return f"np.array({value.tolist()!r})"
    rows = "".join(f"{indent}    {row!r},\n" for row in value.tolist())
    return f"np.array([\n{rows}{indent}])"


def render(fig) -> str:
    from ..engine.graph import ComputationGraph
    graph = ComputationGraph.from_dict(fig.document)
    plan = graph.plan
    graph._require_complete(plan)
    out = plan.index[graph.output_node()]
    _, _, mask = plan.run_backward(out)
    ids = plan.ids
    op_of = [graph.g.nodes[nid]["op"] for nid in ids]
    # A graph of tensors is written with numpy, its layers under the names of the book's
    # common/layers.py (Affine, Relu, SoftmaxWithLoss); a graph of numbers needs nothing.
    tensors = any(is_tensor(graph.g.nodes[ids[i]]["value"]) for i in plan.leaves)
    try:
        support = support_for_ops(sorted({op_of[o] for o, *_ in plan.steps}, key=list(OPS).index), book=tensors)
    except NotStandalone as err:
        raise GraphError(f"the Python export cannot define a layer: {err}") from None
    runner, runner_names = (TENSOR_RUNNER, TENSOR_RUNNER_NAMES) if tensors else (RUNNER, RUNNER_NAMES)
    names, name = node_names(graph, ids, reserved_names(support.names, runner_names))
    var = [name[nid] for nid in ids]

    # The first two lines are fixed: a title there could declare another source encoding (PEP 263,
    # "coding: utf-7") and turn a label into code. User text appears only as ascii() literals.
    title = fig.title or "gradcanvas graph"
    if tensors:
        intro = ["# -*- coding: utf-8 -*-",
                 "# Exported from gradcanvas: forward and backward through the layers, as in the book's common/layers.py.",
                 ascii(title),
                 "# It runs on its own with Python 3 and numpy: the layers it uses are defined below, as the",
                 "# book writes them, and it prints every value and gradient as `gradcanvas eval` computes them.",
                 ""]
    else:
        intro = ["# -*- coding: utf-8 -*-",
                 "# Exported from gradcanvas: forward and backward through the layers, as in the book's buy_apple.py.",
                 ascii(title),
                 "# It runs on its own with any Python 3: the layers it uses are defined below, as the book",
                 "# writes them, and it prints every value and gradient as `gradcanvas eval` computes them.",
                 ""]
    lines = intro + [f"import {m}" for m in sorted({"math", *support.imports})]
    if tensors and "numpy as np" not in support.imports:
        lines.append("import numpy as np")
    if support.blocks:
        lines += ["", "", support.source()]
    lines += ["", "", "# The runner: forward and backward as gradcanvas runs them, faults included.",
              runner.rstrip("\n"), "", ""]

    lines += ["# inputs"]
    lines += [f"{var[i]} = {literal(graph.g.nodes[ids[i]]['value'])}" for i in plan.leaves]
    lines += ["", "# layers"]
    for o, *_ in plan.steps:
        attrs = graph.g.nodes[ids[o]]
        args = ", ".join(f"{k}={v!r}" for k, v in attrs.get("params", {}).items())
        lines.append(f"{var[o]}_layer = {class_name(op_of[o], tensors)}({args})")
    lines += ["", "# forward"]
    for o, _, a, b, _ in plan.steps:
        args = ", ".join(var[k] for k in plan.inputs(o, a, b))
        lines.append(f"{var[o]} = forward({var[o]}_layer, {args})")

    # A node that receives gradients along several edges gets one part per edge, added up in
    # the engine's order (the order the edges send them back) once the last part has arrived.
    arrivals = [0] * len(ids)
    for o, _, a, b, _ in plan.steps:
        if mask[o]:
            for k in plan.inputs(o, a, b):
                arrivals[k] += 1
    parts: dict[int, list[str]] = {}
    seed = f"np.ones_like({var[out]})" if is_tensor(plan.vals[out]) else "1.0"
    lines += ["", "# backward", f"d{var[out]} = {seed}"]
    for o, _, a, b, _ in reversed(plan.steps):
        if not mask[o]:
            continue
        results, sums = [], []
        for t in plan.inputs(o, a, b):
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

    shown = "listed({})" if tensors else "{}"
    lines += ["", "# every value and gradient, as gradcanvas eval computes them (raw floats"
              + (", arrays as nested lists)" if tensors else ")")]
    for i, nid in enumerate(ids):
        lines.append(f"print({ascii('value ' + nid)}, '=', {shown.format(var[i])})")
    for i, nid in enumerate(ids):
        if mask[i]:
            lines.append(f"print({ascii('grad ' + nid)}, '=', {shown.format('d' + var[i])})")
    return "\n".join(lines) + "\n"


__all__ = ["render", "GraphError", "reserved_names"]
