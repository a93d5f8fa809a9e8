"""The delta of a value edit, worked out from the nodes it changed (issue 15).

``delta.diff`` compares two whole visible states: O(N), tens of milliseconds at
10,000 nodes, although a value edit that touches a few nodes changes a few
entries. ``graph.changes()`` names the nodes whose values and gradients changed
(computing only their cone), so the delta can be written from those nodes alone,
with the same entries ``engine/visible.py`` would give them.

It is only done when that is sure to give the same delta as a full rebuild, and
``None`` (rebuild) is returned otherwise. In particular the display rule for
cancellation noise (``display.noise_of``) is global, so this needs a state with
no noise shown, and it checks that the changed nodes bring none: a summing op
within 64 ulp of its inputs, or a fan-out's gradient within 64 ulp of its terms.
Errors (a forward that overflowed, a NaN gradient) may stand elsewhere in the
graph, as they do in big random graphs, but not at a changed node or one computed
from it, before or after: then the errors and the nodes they affect are as they were.
"""
from __future__ import annotations

import math
from ..engine.display import NOISE_ULPS, fmt
from ..engine.document import jsonable
from ..engine.registry import OPS

CANCELS = frozenset(name for name, spec in OPS.items() if spec.cancels)


def quiet(state: dict) -> bool:
    """Whether a visible state shows no cancellation noise: what an incremental delta needs."""
    exact = state["display"]["exact"]
    return not (exact["values"] or exact["grads"])


def value_delta(graph, cursor, seen: dict, changed) -> dict | None:
    """The delta from ``seen`` (the quiet state the room has) after value edits that changed
    ``changed`` (``graph.changes()``), or None when only a full rebuild can say it."""
    values_changed, grads_changed = changed.values, changed.grads
    if values_changed is None or not quiet(seen):
        return None
    plan = graph.plan
    if plan.incomplete:
        return None
    phase, step = cursor.phase, cursor.step
    index, vals, ids = plan.index, plan.vals, plan.ids
    output = seen["output"]
    backward = phase == "backward" and step > 0
    if backward:
        if grads_changed is None or output is None or output not in index:
            return None
        grads, egrads, mask = plan.run_backward(index[output])
    v_idx = sorted(index[n] for n in values_changed)
    if phase == "forward":
        v_shown = [i for i in v_idx if i < step]  # the forward order is the plan's
    elif phase == "backward":
        v_shown = v_idx
    else:
        v_shown = []
    errors, faults = seen["errors"], plan.faults
    if any(vals[i].__class__ is not float for i in v_idx):
        return None  # a tensor: its texts and shapes are the full rebuild's to write
    if not all(map(math.isfinite, map(vals.__getitem__, v_idx))):
        return None
    if errors or faults:  # a fault at a changed node or one computed from it: its message would change
        v_set = set(values_changed)
        for nid in {*errors, *(ids[i] for i in faults)}:
            if nid in v_set or any(s in v_set for s in graph._inputs.get(nid, ())):
                return None
    g_shown: list = []
    if backward:
        g_shown = _shown_grads(plan, grads_changed, mask, step, seen)
        if g_shown is None:
            return None
        for i in g_shown:
            g = egrads[i]  # what it sends back: None for an input, a tuple for two ports
            sent = () if g is None else g if type(g) is tuple else (g,)
            if grads[i].__class__ is not float or any(x.__class__ is not float for x in sent):
                return None
            if ids[i] in errors or not math.isfinite(grads[i]) or not all(map(math.isfinite, sent)):
                return None

    if _new_value_noise(graph, plan, v_shown, phase, step) or backward and _new_grad_noise(graph, plan, g_shown, grads, egrads):
        return None

    sym, out = graph.symbols, {}
    values = {ids[i]: jsonable(vals[i]) for i in v_shown}
    texts = {ids[i]: fmt(vals[i]) for i in v_shown}
    _put(out, "values", values)
    _put(out, "display.values", texts)
    grad_set = set(g_shown)
    if backward:
        _put(out, "grads", {ids[i]: jsonable(grads[i]) for i in g_shown})
        _put(out, "display.grads", {ids[i]: fmt(grads[i]) for i in g_shown})
    inputs = {n: fmt(graph.g.nodes[n]["value"]) for n in values_changed if graph.g.nodes[n]["op"] == "input"}
    _put(out, "display.inputs", {n: t for n, t in inputs.items() if seen["display"]["inputs"].get(n) != t})

    edges, g = [], graph.g
    keys = set()
    for i in v_shown:
        keys.update((t, p) for _, t, p in g.out_edges(ids[i], keys=True))
    for i in g_shown:
        nid = ids[i]
        keys.update((nid, p) for p in range(OPS[g.nodes[nid]["op"]].arity))
    wired = graph._wired
    for t, p in keys:
        s = wired.get((t, p))
        if s is None:
            continue
        si, ti = index.get(s), index.get(t)
        edge = {"source": s, "target": t, "port": p, "value": None, "grad": None, "value_text": None,
                "grad_text": None, "value_symbol": None, "grad_symbol": None}
        if si is not None and _value_shown(si, phase, step):
            edge["value"], edge["value_text"], edge["value_symbol"] = jsonable(vals[si]), fmt(vals[si]), sym.names[s]
        if ti is not None and backward and _grad_shown(ti, grad_set, seen, t):
            eg = egrads[ti]
            raw = eg if OPS[g.nodes[t]["op"]].arity == 1 else eg[p]
            edge["grad"], edge["grad_text"], edge["grad_symbol"] = jsonable(raw), fmt(raw), sym.edges[(s, t, p)]
        edges.append(edge)
    if edges:
        out["edges"] = {"set": edges}
    return out


def _put(out: dict, path: str, entries: dict):
    if entries:
        out[path] = {"set": entries}


def _value_shown(i, phase, step) -> bool:
    return phase == "backward" or phase == "forward" and i < step


def _grad_shown(i, changed_shown: set, seen: dict, nid) -> bool:
    """A gradient is shown when the room had it (its node's gradient text is in the state)."""
    return i in changed_shown or nid in seen["display"]["grads"]


def _shown_grads(plan, grads_changed, mask, step, seen) -> list | None:
    """The changed gradients that the cursor reveals: those the room already shows (a value
    edit moves no cursor, so the revealed set is the same nodes as before)."""
    shown = seen["display"]["grads"]
    index = plan.index
    out = []
    for n in grads_changed:
        i = index.get(n)
        if i is None:
            return None
        if n in shown:
            out.append(i)
    return sorted(out)


def _new_value_noise(graph, plan, v_shown, phase, step) -> bool:
    """Whether a shown value that changed, or one computed from it, is now cancellation noise
    (rule 5). Values not shown do not matter: nothing of them is sent, and what is computed
    from them is not shown either (the forward pass reveals a prefix of the order)."""
    vals, layers, ulp, index = plan.vals, plan.layers, math.ulp, plan.index
    look = set(v_shown)
    for i in v_shown:
        look.update(index[t] for t in graph.g.successors(plan.ids[i]) if t in index)
    if phase == "forward":
        look = {i for i in look if i < step}
    for i in look:
        layer = layers[i]
        if getattr(layer, "op", None) not in CANCELS:
            continue
        v = vals[i]
        if v == 0 or v - v != 0:
            continue
        srcs = graph._inputs.get(plan.ids[i], [])
        m = max((abs(vals[plan.index[s]]) for s in srcs), default=0.0)
        if abs(v) <= NOISE_ULPS * ulp(m) and m - m == 0:
            return True
    return False


def _new_grad_noise(graph, plan, g_shown, grads, egrads) -> bool:
    """Whether a shown gradient that receives a changed term is a fan-out sum within 64 ulp of
    its largest term (rule 5): the terms it receives are the gradients its consumers send."""
    index, ids, g, ulp = plan.index, plan.ids, graph.g, math.ulp
    look = set(g_shown)
    for i in g_shown:
        look.update(index[s] for s in graph._inputs.get(ids[i], []) if s in index)
    for i in look:
        gi = grads[i]
        if gi == 0 or gi - gi != 0:
            continue
        terms = []
        for _, t, p in g.out_edges(ids[i], keys=True):
            ti = index.get(t)
            if ti is None:
                continue
            eg = egrads[ti]
            terms.append(eg if type(eg) is not tuple else eg[p])
        if len(terms) > 1:
            largest = max((abs(x) for x in terms if abs(x) != math.inf), default=0.0)
            if abs(gi) <= NOISE_ULPS * ulp(largest):
                return True
    return False


def applied(state: dict, delta: dict, edge_at: dict) -> dict:
    """``state`` with ``delta`` (as ``value_delta`` writes them: map entries set, edges replaced
    in place) applied, as a new object: only the containers the delta changes are copied, since
    the old state may still be on its way to a client. ``edge_at``: (target, port) → the edge's
    position in ``state["edges"]``, the same in the result."""
    out = dict(state)
    out["display"] = dict(state["display"])
    for path, change in delta.items():
        if path == "edges":
            edges = out["edges"] = list(state["edges"])
            for e in change["set"]:
                edges[edge_at[(e["target"], e["port"])]] = e
            continue
        *parents, last = path.split(".")
        host = out
        for p in parents:
            host = host[p]
        host[last] = {**host[last], **change["set"]}
    return out
