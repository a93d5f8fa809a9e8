"""The flattened evaluation plan: topological order compiled to index tuples.

A plan is built from the graph's evaluation order (engine/order.py, kept up to date
edit by edit, so no sort), reusing the layer objects of the plan it replaces; it is
cached by the graph and rebuilt only when the structure changes. Running it is two tight loops over tuples
``(out, layer.forward, a, b, layer.backward)``, with values and gradients in flat
lists, so a forward+backward costs about two bound-method calls per node. After
a value edit only the steps downstream run again. Nothing recurses.
"""
from __future__ import annotations

import gc
import math
from contextlib import contextmanager

import networkx as nx
import numpy as np

from . import cone
from .registry import OPS
from .tensor import all_finite, finite, seed_like

NAN = math.nan


def fault_reason(err: Exception) -> str:
    if isinstance(err, ZeroDivisionError):
        return "division by zero"
    if isinstance(err, OverflowError):
        return "overflow: the result is too large for a float"
    return "input outside the function's domain"


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building many objects that stay alive.

    A burst of allocations makes CPython re-scan every live object in one full
    collection after another; for a 10^6-node graph that was about half of the load
    time, and none of it found garbage. Cycles made meanwhile are collected later.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Plan:
    """One compiled evaluation order for a fixed graph structure."""

    def __init__(self, g: nx.MultiDiGraph, inputs_of: dict[str, list], order: list | None = None,
                 reuse: "Plan | None" = None, fresh=()):
        """``order``: a topological order of ``g`` (default: engine/order.py's, from scratch).

        ``reuse``: the plan this one replaces, whose layers are taken over for the nodes
        that are still the same node (the same attribute dict) and not in ``fresh``
        (nodes whose params changed).
        """
        if order is None:
            from .order import Order
            order = Order(g).nodes
        with gc_paused():
            self._build(g, inputs_of, order, self._reusable(reuse, fresh))

    @staticmethod
    def _reusable(reuse, fresh) -> dict:
        """node id → (its attribute dict, its layer) from the plan being replaced."""
        if reuse is None:
            return {}
        out = dict(zip(reuse.ids, zip(reuse.node_attrs, reuse.layers)))
        for nid in fresh:
            out.pop(nid, None)
        return out

    def _build(self, g: nx.MultiDiGraph, inputs_of: dict[str, list], order, reusable: dict):
        self.incomplete: dict[str, str] = {}   # node id → why it cannot be computed
        ids, index, node_attrs = [], {}, []
        layers, steps, leaves = [], [], []
        more = {}  # op of three or more inputs → their indices (its step's b is −2)
        nodes = g._node  # networkx's own dict of attribute dicts: g.nodes[n] goes through a view
        ops = {name: (spec, spec.arity) for name, spec in OPS.items()}
        for nid in order:
            attrs = nodes[nid]
            spec, arity = ops[attrs["op"]]
            i = len(ids)
            if not arity:
                ids.append(nid)
                index[nid] = i
                node_attrs.append(attrs)
                layers.append(None)
                leaves.append(i)
                continue
            srcs = inputs_of.get(nid)
            try:  # every port wired to a computable node: the common case, checked in passing
                a = index[srcs[0]]
                b = index[srcs[1]] if arity == 2 else -1
                if arity > 2:  # affine's x, W, b: all its inputs in ``more``, and b = −2
                    more[i], b = tuple(index[s] for s in srcs), -2
            except (TypeError, KeyError):
                self.incomplete[nid] = self._why_incomplete(nid, spec, srcs or (), index)
                continue
            ids.append(nid)
            index[nid] = i
            node_attrs.append(attrs)
            old = reusable.get(nid)
            if old is not None and old[0] is attrs:  # the same node: its layer (and params) still hold
                layer = old[1]
            else:
                layer = spec.layer(**attrs.get("params", {})) if spec.params else spec.layer()
            layers.append(layer)
            steps.append((i, layer.forward, a, b, layer.backward))
        self.ids, self.index, self.layers = ids, index, layers
        self.node_attrs = node_attrs             # each node's attribute dict (what a later plan reuses by)
        self.steps = steps                     # op nodes, topological order
        self.leaves = leaves                   # input nodes' indices
        # The inputs' attribute dicts, which set_value writes into: read without a lookup per run.
        self._leaf_attrs = [(i, node_attrs[i]) for i in leaves]
        self.vals = [0.0] * len(ids)
        self.more = more
        if more:  # its forward takes the first input as the loop gives it, and reads the others
            for k, (o, fwd, a, b, bwd) in enumerate(steps):
                if b == -2:
                    steps[k] = (o, _reading(fwd, self.vals, more[o][1:]), a, b, bwd)
        self.faults: dict[int, str] = {}        # index → message, where forward raised
        self._backward_cache: dict[int, tuple] = {}  # output → result, until the values change
        # For recomputing only a cone (engine/cone.py): output → the last backward from it, and
        # the nodes recomputed forward since (None: all of them).
        self._last_backward: dict[int, tuple] = {}
        self._forward_since: dict[int, set | None] = {}
        self._links = None                            # (consumers, step position) per node, built when needed
        # What was recomputed since the graph last asked (ComputationGraph.changes): None, everything.
        self.touched_values: set[int] | None = None
        self.touched_grads: dict[int, set | None] = {}
        self._paths: dict[int, tuple] = {}           # output → (mask, steps on a path), as long as the plan
        self._grad_faults: dict[int, tuple] = {}     # output → (the backward it is of, grad_faults())
        self.ran = False

    def inputs(self, o, a, b) -> tuple:
        """The input indices of the step at ``o`` (its a and b as the step holds them)."""
        return (a,) if b == -1 else (a, b) if b >= 0 else self.more[o]

    @staticmethod
    def _why_incomplete(nid, spec, srcs, index) -> str:
        missing = [f"port {p} ({spec.ports[p]})" for p in range(spec.arity)
                   if p >= len(srcs) or srcs[p] is None]
        if missing:
            return f"{nid!r} ({spec.name}): {', '.join(missing)} not wired"
        blocked = [s for s in srcs if s not in index]
        return f"{nid!r} depends on {blocked[0]!r}, which cannot be computed"

    # -- forward -------------------------------------------------------------
    def run_forward(self, positions=None):
        """Run every step, or only those at ``positions`` (sorted), filling ``vals``."""
        with np.errstate(all="ignore"):  # a tensor's overflow is found as a fault, as a number's: no warning
            self._run_forward(positions)

    def _run_forward(self, positions):
        vals, faults = self.vals, self.faults
        self.ran = True
        for i, attrs in self._leaf_attrs:
            vals[i] = attrs["value"]
        if positions is None:
            steps = self.steps
            faults.clear()
            self.touched_values = None
            for out in self._forward_since:
                self._forward_since[out] = None
        else:
            steps = [self.steps[k] for k in positions]
            for s in steps:
                faults.pop(s[0], None)
            outs = [s[0] for s in steps]
            if self.touched_values is not None:
                self.touched_values.update(outs)
            for since in self._forward_since.values():
                if since is not None:
                    since.update(outs)
        for o, fwd, a, b, _ in steps:
            try:
                vals[o] = fwd(vals[a]) if b < 0 else fwd(vals[a], vals[b])
            except (ArithmeticError, ValueError) as err:
                self._fault(o, a, b, err)
        self._backward_cache.clear()
        # One C-speed sum finds any NaN/∞ at all; only then look for where it began. After a
        # cone, only its steps can have changed: the others' faults were found when they ran.
        if positions is None:
            if faults or not all_finite(vals):
                self._find_silent_faults(self.steps)
        elif not all_finite([vals[s[0]] for s in steps]):
            self._find_silent_faults(steps)

    def _fault(self, o, a, b, err):
        """A layer raised: store IEEE's answer (its ``fault()``, else NaN).

        It is a fault of this node only when its inputs are finite; with a NaN or ±∞
        input, the node is downstream of a fault and so *affected* (``graph.affected``).
        """
        vals, layer = self.vals, self.layers[o]
        args = tuple(vals[k] for k in self.inputs(o, a, b))
        fault = getattr(layer, "fault", None)
        vals[o] = fault(*args) if fault else NAN
        if all(map(finite, args)):
            self.faults[o] = f"{fault_reason(err)} (inputs: {', '.join(repr(x) for x in args)})"

    def _find_silent_faults(self, steps):
        """Overflow such as 1e200 × 1e200 gives ∞ without raising: flag where it starts.

        A fault is a NaN or ±∞ computed from finite inputs; every other non-finite
        value lies downstream of one.
        """
        vals = self.vals
        for o, _, a, b, _ in steps:
            if o in self.faults or finite(vals[o]):
                continue
            if all(finite(vals[k]) for k in self.inputs(o, a, b)):
                self.faults[o] = "overflow: the result is too large for a float"

    # -- backward ------------------------------------------------------------
    def ancestors_mask(self, out: int) -> list[bool]:
        """Which nodes lie on a path to ``out`` (and so receive a gradient)."""
        mask = [False] * len(self.ids)
        mask[out] = True
        more = self.more
        for o, _, a, b, _ in reversed(self.steps):
            if mask[o]:
                mask[a] = True
                if b >= 0:
                    mask[b] = True
                elif b < -1:
                    for k in more[o]:
                        mask[k] = True
        return mask

    def paths_to(self, out: int) -> tuple[list, list]:
        """(mask, steps): the nodes on a path to ``out``, and their steps in backward order.

        They depend only on the structure, so they are kept as long as the plan.
        """
        paths = self._paths.get(out)
        if paths is None:
            mask = self.ancestors_mask(out)
            if all(mask):
                steps = self.steps[::-1]
            else:
                steps = [s for s in reversed(self.steps) if mask[s[0]]]
            paths = self._paths[out] = (mask, steps)
        return paths

    def run_backward(self, out: int):
        """Seed 1.0 at ``out`` and send gradients back; returns (grads, edge_grads, mask)."""
        cached = self._backward_cache.get(out)
        if cached is None:
            with gc_paused(), np.errstate(all="ignore"):  # (gc: one (dx, dy) tuple per binary node)
                cached = cone.send_back_cone(self, out)
                if cached is None:
                    cached = self._send_back(out)
                    self.touched_grads[out] = None
            self._backward_cache[out] = self._last_backward[out] = cached
            self._forward_since[out] = set()
        return cached

    def _send_back(self, out: int):
        n = len(self.ids)
        # −0.0 is IEEE's additive identity (−0 + x is x, even for x = −0), so a node's
        # gradient is its terms' sum exactly, signed zeros included, as PyTorch's.
        grads = [-0.0] * n
        egrads = [None] * n   # per op node: dx (unary) or (dx, dy) (binary), as backward returned
        grads[out] = seed_like(self.vals[out])  # 1.0; ones for a tensor output
        mask, steps = self.paths_to(out)
        faults = self.faults
        for o, _, a, b, bwd in steps:
            d = grads[o]
            try:
                if faults and o in faults:
                    raise ValueError("forward failed here")
                if b >= 0:
                    egrads[o] = r = bwd(d)
                    grads[a] += r[0]
                    grads[b] += r[1]
                elif b == -1:
                    egrads[o] = g = bwd(d)
                    grads[a] += g
                else:
                    egrads[o] = r = bwd(d)
                    for k, g in zip(self.more[o], r):
                        grads[k] += g
            except (ArithmeticError, ValueError):
                # No gradient can pass a failed node: send NaN so it shows, never a guess.
                if b == -1:
                    egrads[o] = NAN
                    grads[a] += NAN
                else:
                    ins = self.inputs(o, a, b)
                    egrads[o] = (NAN,) * len(ins)
                    for k in ins:
                        grads[k] += NAN
        return grads, egrads, mask

    def grad_faults(self, out: int) -> dict[int, str]:
        """Where a non-finite gradient starts, {index: message}, for the backward from ``out``.

        That is an op whose backward sent NaN or ±∞ from a finite dout and finite
        values (an overflow, or an infinite slope such as x^0.5's at 0), or a node
        whose finite arriving gradients add up to ±∞. A failed node's NaN is its
        fault's; every other non-finite gradient lies upstream of one of these.
        """
        ran = self.run_backward(out)
        known = self._grad_faults.get(out)
        if known is not None and known[0] is ran:
            return known[1]
        grads, egrads, mask = ran
        found = {}
        if not all_finite(grads):  # off the paths, gradients stay −0.0
            vals, faults = self.vals, self.faults
            nonfinite_term = bytearray(len(grads))
            for o, _, a, b, _ in self.paths_to(out)[1]:
                sent = (egrads[o],) if b == -1 else egrads[o]
                ins = self.inputs(o, a, b)
                bad = [k for k, g in enumerate(sent) if not finite(g)]
                for k in bad:
                    nonfinite_term[ins[k]] = 1
                if not bad or o in faults or not finite(grads[o]):
                    continue
                inputs = tuple(vals[k] for k in ins)
                if not all(map(finite, inputs)) or not finite(vals[o]):
                    continue  # downstream of a forward fault: affected
                why = getattr(self.layers[o], "backward_fault", lambda: None)()
                k = bad[0]
                to = self.ids[ins[k]]
                what = _what(sent[k])
                found[o] = (f"the gradient sent to {to!r} is {what}: "
                            + (why or ("∞ × 0 has no value" if what == "NaN"
                                       else "overflow: it is too large for a float"))
                            + f" (dout: {grads[o]!r})")
            for i, g in enumerate(grads):
                if mask[i] and not finite(g) and not nonfinite_term[i] and i != out and i not in found:
                    found[i] = "overflow: the sum of the gradients arriving here is too large for a float"
        self._grad_faults[out] = (ran, found)
        return found

    def positions_downstream(self, node_ids) -> list[int]:
        """Plan positions, in order, of every step fed, directly or not, by ``node_ids``.

        Walked along the consumers from the changed nodes (engine/cone.py), so it costs
        the cone, not the plan (after one pass to index the consumers, per plan).
        """
        return cone.downstream_positions(self, node_ids)


def _what(g) -> str:
    """What a non-finite gradient is: 'NaN', '∞' or '−∞' (a tensor's first non-finite element)."""
    if g.__class__ is not float:
        import numpy as np
        g = float(np.asarray(g).ravel()[~np.isfinite(np.asarray(g).ravel())][0])
    return "NaN" if g != g else ("∞" if g > 0 else "−∞")


def _reading(forward, vals, others):
    """An op of three or more inputs as the loops call it: with its first input, the others read here."""
    def step(x):
        return forward(x, *[vals[k] for k in others])
    return step
