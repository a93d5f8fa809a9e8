"""After a value edit, recompute only the cone it affects, with the very same floats.

Forward, the cone is what lies downstream of the changed inputs. Backward, a step
must run again when its inputs' values changed (its local derivatives did) or when
its own gradient did; a node's gradient changes when one of those steps feeds it,
so the backward cone is everything upstream of the forward cone, on a path to the
output. Each changed gradient is summed afresh from all of its terms, in plan order
(the unchanged terms are the last backward's), so it is the same double, bit for
bit, as a full backward's: float addition is not associative, and the order is kept.

When the cone is most of the graph, the full pass (plan.py) is cheaper and is used.
"""
from __future__ import annotations

import math
from heapq import heapify, heappop, heappush
from math import copysign

from . import tensor

NAN = math.nan
FULL = 0.25  # a backward cone of more than this share of the steps on the path: run them all


def links(plan):
    """(consumers, step position) per node index: who reads a node, and where its step is."""
    if plan._links is None:
        n = len(plan.ids)
        consumers = [[] for _ in range(n)]
        position = [-1] * n
        for k, (o, _, a, b, _) in enumerate(plan.steps):
            position[o] = k
            consumers[a].append(o)
            if b >= 0 and b != a:
                consumers[b].append(o)
            elif b < -1:
                for i in dict.fromkeys(plan.more[o][1:]):
                    if i != a:
                        consumers[i].append(o)
        plan._links = (consumers, position)
    return plan._links


def downstream_positions(plan, node_ids) -> list[int]:
    """Plan positions, in order, of the steps fed, directly or not, by ``node_ids``."""
    consumers, position = links(plan)
    index = plan.index
    seen = set()
    stack = [index[nid] for nid in node_ids if nid in index]
    while stack:
        for o in consumers[stack.pop()]:
            if o not in seen:
                seen.add(o)
                stack.append(o)
    return sorted(position[o] for o in seen)


def send_back_cone(plan, out: int):
    """The backward from ``out`` updated for the values recomputed since the last one, or None.

    None means: no earlier backward to start from, the values all changed, or the
    cone is too big to be worth it; the caller runs the full backward.

    Steps are taken from the output down (a heap of plan positions). A step runs again
    when its values were recomputed or its gradient changed; a node's gradient is summed
    afresh, from all its terms in the full backward's order, when one of the terms sent
    to it changed bit for bit. So the walk stops where nothing changes any more: an add
    sends back 1.0 whatever its inputs' values.
    """
    prev = plan._last_backward.get(out)
    changed = plan._forward_since.get(out)
    if prev is None or changed is None:
        return None
    if not changed:
        plan.touched_grads.setdefault(out, set())
        return prev
    mask, path_steps = plan.paths_to(out)
    limit = FULL * len(path_steps)
    if len(changed) > limit:
        return None  # most of the values changed: so will most of the gradients
    consumers, position = links(plan)
    steps, faults = plan.steps, plan.faults
    grads0, egrads0, _ = prev
    grads, egrads = grads0[:], egrads0[:]
    heap = [-o for o in changed if mask[o]]
    heapify(heap)
    queued = set(changed)
    resum = set()        # nodes one of whose terms changed
    ran = set()          # steps run again
    while heap:
        o = -heappop(heap)
        if o in resum:
            grads[o] = _sum_terms(o, consumers[o], mask, steps, position, egrads, plan.more)
        if o not in changed and same(grads[o], grads0[o]):
            continue  # neither its values nor its gradient changed: its step sends the same
        ran.add(o)
        if len(ran) > limit:
            return None
        _, _, a, b, bwd = steps[position[o]]
        try:
            if faults and o in faults:
                raise ValueError("forward failed here")
            e = bwd(grads[o])
        except (ArithmeticError, ValueError):
            e = NAN if b == -1 else (NAN,) * len(plan.inputs(o, a, b))
        egrads[o] = e
        if b == -1:
            moved = () if same(e, egrads0[o]) else (a,)
        else:
            e0 = egrads0[o]
            moved = [i for i, x, y in zip(plan.inputs(o, a, b), e, e0) if not same(x, y)]
        for i in moved:
            resum.add(i)
            if i not in queued:
                queued.add(i)
                if position[i] >= 0:
                    heappush(heap, -i)
    for i in resum:
        if position[i] < 0:  # an input node: summed here, after every consumer ran
            grads[i] = _sum_terms(i, consumers[i], mask, steps, position, egrads, plan.more)
    touched = plan.touched_grads.get(out, set())
    if touched is not None:
        touched.update(resum)
        touched.update(ran)
        plan.touched_grads[out] = touched
    return grads, egrads, mask


def _sum_terms(i, readers, mask, steps, position, egrads, more) -> float:
    """Node ``i``'s gradient: its terms added as the full backward adds them (last reader first)."""
    total = -0.0
    for o in reversed(readers):
        if not mask[o]:
            continue
        _, _, a, b, _ = steps[position[o]]
        e = egrads[o]
        if b == -1:
            total += e
        elif b >= 0:
            if a == i:
                total += e[0]
            if b == i:
                total += e[1]
        else:
            for k, g in zip(more[o], e):
                if k == i:
                    total += g
    return total


def same(x, y) -> bool:
    """Bit for bit, as far as a reader can tell: NaN is NaN, −0.0 is not 0.0 (tensors alike)."""
    try:
        return (x == y and copysign(1.0, x) == copysign(1.0, y)) or (x != x and y != y)
    except (TypeError, ValueError):  # a tensor: its truth is ambiguous
        return tensor.same(x, y)
