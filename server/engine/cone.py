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

NAN = math.nan
FULL = 0.5  # a backward cone of more than this share of the steps on the path: run them all


def links(plan):
    """(consumers, step position) per node index: who reads a node, and where its step is."""
    if plan._links is None:
        n = len(plan.ids)
        consumers = [()] * n
        position = [-1] * n
        for k, (o, _, a, b, _) in enumerate(plan.steps):
            position[o] = k
            consumers[a] = consumers[a] + (o,)
            if b >= 0 and b != a:
                consumers[b] = consumers[b] + (o,)
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
    """
    prev = plan._last_backward.get(out)
    changed = plan._forward_since.get(out)
    if prev is None or changed is None:
        return None
    if not changed:
        plan.touched_grads.setdefault(out, set())
        return prev
    mask, path_steps = plan.paths_to(out)
    consumers, position = links(plan)
    steps = plan.steps
    # The steps to run again (dirty) and the nodes whose gradient is summed afresh (fresh).
    dirty, fresh = set(), set()
    stack = [o for o in changed if mask[o]]
    limit = FULL * len(path_steps)
    while stack:
        o = stack.pop()
        if o in dirty:
            continue
        dirty.add(o)
        if len(dirty) > limit:
            return None
        _, _, a, b, _ = steps[position[o]]
        for i in (a, b) if b >= 0 else (a,):
            if i not in fresh:
                fresh.add(i)
                if position[i] >= 0:
                    stack.append(i)
    # Every term of a fresh gradient: the steps of its consumers on the path, dirty or not.
    replay = set(dirty)
    for i in fresh:
        replay.update(o for o in consumers[i] if mask[o])
    if len(replay) > limit:
        return None
    grads0, egrads0, _ = prev
    grads, egrads = grads0[:], egrads0[:]
    for i in fresh:
        grads[i] = -0.0
    faults = plan.faults
    for o in sorted(replay, reverse=True):  # node indices are plan positions: reverse topological
        _, _, a, b, bwd = steps[position[o]]
        if o in dirty:
            d = grads[o]
            try:
                if faults and o in faults:
                    raise ValueError("forward failed here")
                egrads[o] = bwd(d)
            except (ArithmeticError, ValueError):
                egrads[o] = NAN if b < 0 else (NAN, NAN)
        e = egrads[o]
        if b < 0:
            if a in fresh:
                grads[a] += e
        else:
            if a in fresh:
                grads[a] += e[0]
            if b in fresh:
                grads[b] += e[1]
    touched = plan.touched_grads.get(out, set())
    if touched is not None:
        touched.update(fresh)
        touched.update(dirty)
        plan.touched_grads[out] = touched
    return grads, egrads, mask
