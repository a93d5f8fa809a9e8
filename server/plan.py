"""The flattened evaluation plan: topological order compiled to index tuples.

Building a plan costs a topological sort; it is cached by the graph and rebuilt
only when the structure changes. Running it is two tight loops over tuples
``(out, layer.forward, a, b)``, with values and gradients in flat lists, so a
forward+backward costs about two bound-method calls per node. Nothing recurses.
"""
from __future__ import annotations

import math

import networkx as nx

from .registry import OPS

NAN = math.nan


def fault_reason(err: Exception) -> str:
    if isinstance(err, ZeroDivisionError):
        return "division by zero"
    if isinstance(err, OverflowError):
        return "overflow: the result is too large for a float"
    return "input outside the function's domain"


class Plan:
    """One compiled evaluation order for a fixed graph structure."""

    def __init__(self, g: nx.MultiDiGraph, inputs_of: dict[str, list]):
        order = list(nx.topological_sort(g))
        self.incomplete: dict[str, str] = {}   # node id → why it cannot be computed
        ids, index = [], {}
        layers, steps, leaves = [], [], []
        for nid in order:
            attrs = g.nodes[nid]
            spec = OPS[attrs["op"]]
            srcs = inputs_of.get(nid, ())
            if spec.arity:
                missing = [f"port {p} ({spec.ports[p]})" for p in range(spec.arity)
                           if p >= len(srcs) or srcs[p] is None]
                if missing:
                    self.incomplete[nid] = f"{nid!r} ({spec.name}): {', '.join(missing)} not wired"
                    continue
                blocked = [s for s in srcs if s not in index]
                if blocked:
                    self.incomplete[nid] = f"{nid!r} depends on {blocked[0]!r}, which cannot be computed"
                    continue
            i = len(ids)
            ids.append(nid)
            index[nid] = i
            if spec.arity == 0:
                layers.append(None)
                leaves.append(i)
            else:
                layer = spec.layer(**attrs.get("params", {})) if spec.params else spec.layer()
                layers.append(layer)
                a = index[srcs[0]]
                b = index[srcs[1]] if spec.arity == 2 else -1
                steps.append((i, layer.forward, a, b, layer.backward))
        self.ids, self.index, self.layers = ids, index, layers
        self.steps = steps                     # op nodes, topological order
        self.leaves = leaves                   # input nodes' indices
        self.step_pos = {s[0]: k for k, s in enumerate(steps)}
        self.vals = [0.0] * len(ids)
        self.faults: dict[int, str] = {}        # index → message, where forward raised
        self._backward_cache: dict[int, tuple] = {}
        self.ran = False

    # -- forward -------------------------------------------------------------
    def run_forward(self, g, positions=None):
        """Run every step, or only those at ``positions`` (sorted), filling ``vals``."""
        vals, faults = self.vals, self.faults
        self.ran = True
        for i in self.leaves:
            vals[i] = g.nodes[self.ids[i]]["value"]
        steps = self.steps if positions is None else [self.steps[k] for k in positions]
        if positions is None:
            faults.clear()
        else:
            for s in steps:
                faults.pop(s[0], None)
        for o, fwd, a, b, _ in steps:
            try:
                if b < 0:
                    vals[o] = fwd(vals[a])
                else:
                    vals[o] = fwd(vals[a], vals[b])
            except (ArithmeticError, ValueError) as err:
                self._fault(o, a, b, err)
        self._backward_cache.clear()
        # One C-speed sum finds any NaN/∞ at all; only then look for where it began.
        if faults or not math.isfinite(sum(vals)):
            self._find_silent_faults()

    def _fault(self, o, a, b, err):
        vals, layer = self.vals, self.layers[o]
        args = (vals[a],) if b < 0 else (vals[a], vals[b])
        fault = getattr(layer, "fault", None)
        vals[o] = fault(*args) if fault else NAN
        self.faults[o] = f"{fault_reason(err)} (inputs: {', '.join(repr(x) for x in args)})"

    def _find_silent_faults(self):
        """Overflow such as 1e200 × 1e200 gives ∞ without raising: flag where it starts."""
        vals = self.vals
        for o, _, a, b, _ in self.steps:
            if o in self.faults or math.isfinite(vals[o]):
                continue
            if math.isfinite(vals[a]) and (b < 0 or math.isfinite(vals[b])):
                self.faults[o] = "overflow: the result is too large for a float"

    # -- backward ------------------------------------------------------------
    def ancestors_mask(self, out: int) -> list[bool]:
        """Which nodes lie on a path to ``out`` (and so receive a gradient)."""
        mask = [False] * len(self.ids)
        mask[out] = True
        for o, _, a, b, _ in reversed(self.steps):
            if mask[o]:
                mask[a] = True
                if b >= 0:
                    mask[b] = True
        return mask

    def run_backward(self, out: int):
        """Seed 1.0 at ``out`` and send gradients back; returns (grads, edge_grads, mask)."""
        cached = self._backward_cache.get(out)
        if cached is not None:
            return cached
        n = len(self.ids)
        grads = [0.0] * n
        egrads = [None] * n   # per op node: dx (unary) or (dx, dy) (binary), as backward returned
        grads[out] = 1.0
        mask = self.ancestors_mask(out)
        steps = [s for s in reversed(self.steps) if mask[s[0]]]
        faults = self.faults
        for o, _, a, b, bwd in steps:
            d = grads[o]
            try:
                if faults and o in faults:
                    raise ValueError("forward failed here")
                if b < 0:
                    egrads[o] = g = bwd(d)
                    grads[a] += g
                else:
                    egrads[o] = r = bwd(d)
                    grads[a] += r[0]
                    grads[b] += r[1]
            except (ArithmeticError, ValueError):
                # No gradient can pass a failed node: send NaN so it shows, never a guess.
                if b < 0:
                    egrads[o] = NAN
                    grads[a] += NAN
                else:
                    egrads[o] = (NAN, NAN)
                    grads[a] += NAN
                    grads[b] += NAN
        result = (grads, egrads, mask)
        self._backward_cache[out] = result
        return result

    def positions_downstream(self, g, node_ids) -> list[int]:
        """Plan positions of every step fed, directly or not, by ``node_ids``."""
        seen: set = set()
        for nid in node_ids:
            if nid not in seen:
                seen |= nx.descendants(g, nid)
        pos = self.step_pos
        index = self.index
        return sorted(pos[index[d]] for d in seen if d in index and index[d] in pos)
