"""State deltas: what changed between two visible states (docs/protocol.md, "State deltas").

A patch after an edit carries ``diff(before, after)`` instead of the whole
visible state: at 10,000 nodes the whole state is megabytes, and an edit that
touches a few nodes changes a few entries of it. ``apply(before, delta)`` gives
``after`` exactly (the same JSON); the browser's ``GraphModel.applyDelta`` does
the same to its model.

A delta is a flat object keyed by the state's paths (``values``,
``display.values``, ``learning.losses``, …); a path's kind says how its change
is written:

- a map (node id → entry): ``{"set": {id: entry}, "unset": [id]}``;
- ``edges`` (keyed by target and port): ``{"set": [edge], "unset": [[target, port]]}``,
  where a set edge replaces the edge with its key in place or is appended, and
  ``"order": [[target, port], …]`` when the edges' order is not what that gives;
- a list (``order``, ``affected``, ``learning.losses``, ``learning.trainable``):
  a splice ``{"at": i, "cut": n, "put": [...]}``: ``new = old[:i] + put + old[i + n:]``;
- anything else (``cursor``, ``output``, the totals, …): its new value.

Comparisons are exact as JSON: ``0.0`` and ``-0.0`` differ, so do ``1`` and ``1.0``.
"""
from __future__ import annotations

from math import copysign

MAPS = frozenset({
    "values", "grads", "errors",
    "display.values", "display.grads", "display.inputs", "display.symbols", "display.value_symbols",
    "display.grad_symbols", "display.grad_sums", "display.exact.values", "display.exact.grads",
    "display.shapes",
})
LISTS = frozenset({"order", "affected", "learning.losses", "learning.trainable", "learning.accuracy"})
NESTED = frozenset({"display", "display.exact", "learning"})  # objects whose fields are diffed one by one
EDGES = "edges"
_MISSING = object()


def same(a, b) -> bool:
    """Equal as JSON: Python's ``==`` but telling ``0.0`` from ``-0.0`` and ``1`` from ``1.0``/``True``.

    ``==`` (in C) first; then, only for what it calls equal, the types and zeros' signs,
    in one loop over a dict's fields (an edge's), without a call per field."""
    if a is b:
        return True
    t = type(a)
    if t is not type(b) or a != b:
        return False
    if t is float:
        return a != 0.0 or copysign(1.0, a) == copysign(1.0, b)
    if t is dict:
        for k, v in a.items():
            w, tv = b[k], type(v)
            if tv is not type(w):
                return False
            if tv is float:
                if v == 0.0 and copysign(1.0, v) != copysign(1.0, w):
                    return False
            elif (tv is dict or tv is list) and not same(v, w):
                return False
        return True
    if t is list:
        return all(map(same, a, b))
    return True


def diff(old: dict, new: dict) -> dict | None:
    """The delta from ``old`` to ``new``, or None when it cannot be written as one
    (the state's shape changed): then the whole state must be sent."""
    out: dict = {}
    return out if _walk(old, new, "", out) else None


def _walk(old: dict, new: dict, prefix: str, out: dict) -> bool:
    if old.keys() != new.keys():
        return False
    for key, now in new.items():
        path = prefix + key
        was = old[key]
        if path in MAPS:
            if type(was) is not dict or type(now) is not dict:
                return False
            change = _map(was, now)
        elif path == EDGES:
            change = _edges(was, now)
        elif path in LISTS:
            if type(was) is not list or type(now) is not list:
                return False
            change = _splice(was, now)
        elif path in NESTED:
            if type(was) is not dict or type(now) is not dict or not _walk(was, now, path + ".", out):
                return False
            continue
        else:
            change = _MISSING if same(was, now) else now
        if change is not _MISSING:
            out[path] = change
    return True


def _differs(w, v) -> bool:
    """``not same(w, v)`` for a map's or list's entry, inlined where it is hot (see ``_map``)."""
    return w != v or type(w) is not type(v) \
        or (type(v) is float and v == 0.0 and copysign(1.0, v) != copysign(1.0, w)) \
        or (type(v) in (dict, list) and not same(w, v))


def _map(old: dict, new: dict):
    put = {k: v for k, v in new.items()
           if (w := old.get(k, _MISSING)) != v or type(w) is not type(v)
           or type(v) is float and v == 0.0 and copysign(1.0, v) != copysign(1.0, w)
           or type(v) in (dict, list) and not same(w, v)}
    gone = [k for k in old if k not in new]
    if not put and not gone:
        return _MISSING
    change: dict = {}
    if put:
        change["set"] = put
    if gone:
        change["unset"] = gone
    return change


def _splice(old: list, new: list):
    n, m = len(old), len(new)
    if n == m and old == new and all(type(v) is str for v in new):
        return _MISSING  # a list of ids, equal in C: strings have no signs or types to tell apart
    head = 0
    while head < n and head < m and not _differs(old[head], new[head]):
        head += 1
    if head == n == m:
        return _MISSING
    tail = 0
    while tail < n - head and tail < m - head and not _differs(old[n - 1 - tail], new[m - 1 - tail]):
        tail += 1
    return {"at": head, "cut": n - head - tail, "put": new[head:m - tail]}


def _key(edge) -> tuple:
    return edge["target"], edge["port"]


def _edges(old: list, new: list):
    if len(old) == len(new):  # the same edges in the same order (a value edit): pairwise, no lookups
        put, fast = [], True
        for was, e in zip(old, new):
            if was["target"] != e["target"] or was["port"] != e["port"] or was["source"] != e["source"]:
                fast = False
                break
            if was != e or ((v := e["value"]) == 0.0 and type(v) is float) or ((g := e["grad"]) == 0.0
                                                                               and type(g) is float):
                if not same(was, e):
                    put.append(e)
        if fast:
            return {"set": put} if put else _MISSING
    before = {_key(e): e for e in old}
    after = {_key(e) for e in new}
    unset = [k for k in before if k not in after]
    put = []
    for e in new:
        k = _key(e)
        was = before.get(k)
        if was is None:
            put.append(e)
        elif was["source"] != e["source"]:  # rewired: a new edge under the same key, appended
            unset.append(k)
            put.append(e)
        elif not same(was, e):
            put.append(e)
    change: dict = {}
    if put:
        change["set"] = put
    if unset:
        change["unset"] = [list(k) for k in unset]
    if _edge_keys(old, change) != [_key(e) for e in new]:
        change["order"] = [list(_key(e)) for e in new]
    return change or _MISSING


def _edge_keys(old: list, change: dict) -> list:
    """The edges' keys in the order ``set`` and ``unset`` alone leave them."""
    gone = {tuple(k) for k in change.get("unset", ())}
    keys = [k for k in map(_key, old) if k not in gone]
    have = set(keys)
    for e in change.get("set", ()):
        k = _key(e)
        if k not in have:
            keys.append(k)
            have.add(k)
    return keys


def touches(delta: dict, ids: set) -> bool:
    """Whether ``delta`` changes anything of the nodes ``ids``: an entry of theirs in a map, an
    edge into or out of one of them, or anything not kept per node (the cursor, the order…)."""
    for path, change in delta.items():
        if path in MAPS:
            if any(k in ids for k in change.get("set", ())) or any(k in ids for k in change.get("unset", ())):
                return True
        elif path == EDGES:
            if any(e["source"] in ids or e["target"] in ids for e in change.get("set", ())) \
                    or any(t in ids for t, _ in change.get("unset", ())) or "order" in change:
                return True
        elif not path.startswith("learning."):
            return True
    return False


def size(value) -> int:
    """How many entries a state or a delta holds: a cheap stand-in for its size on the wire.
    A map or list is counted by its length when its first entry is not itself a map or list."""
    t = type(value)
    if t is dict or t is list:
        items = list(value.values()) if t is dict else value
        if not items:
            return 1
        if type(items[0]) in (dict, list) and t is dict or type(items[0]) is list:
            return sum(size(v) for v in items)
        return len(items)
    return 1


# -- applying: what the browser does, in Python for the tests ----------------------------------
def apply(state: dict, delta: dict) -> dict:
    """``state`` changed by ``delta`` (a new object; ``state`` is left as it was)."""
    out = _copy(state)
    for path, change in delta.items():
        *parents, last = path.split(".")
        host = out
        for p in parents:
            host = host[p]
        if path in MAPS:
            m = host[last]
            for k in change.get("unset", ()):
                m.pop(k, None)
            m.update(change.get("set", {}))
        elif path == EDGES:
            host[last] = _apply_edges(host[last], change)
        elif path in LISTS:
            lst, at = host[last], change["at"]
            host[last] = lst[:at] + list(change["put"]) + lst[at + change["cut"]:]
        else:
            host[last] = change
    return out


def _apply_edges(edges: list, change: dict) -> list:
    gone = {tuple(k) for k in change.get("unset", ())}
    kept = [e for e in edges if _key(e) not in gone]
    where = {_key(e): i for i, e in enumerate(kept)}
    for e in change.get("set", ()):
        i = where.get(_key(e))
        if i is None:
            where[_key(e)] = len(kept)
            kept.append(e)
        else:
            kept[i] = e
    if "order" in change:
        by = {_key(e): e for e in kept}
        kept = [by[tuple(k)] for k in change["order"]]
    return kept


def _copy(state: dict) -> dict:
    """Copies of the containers a delta changes; the entries themselves are replaced, never changed."""
    out = dict(state)
    for path in sorted(NESTED, key=len):  # a parent before its children
        *parents, last = path.split(".")
        host = out
        for p in parents:
            host = host.get(p, {})
        if isinstance(host.get(last), dict):
            host[last] = dict(host[last])
    for path in MAPS:
        *parents, last = path.split(".")
        host = out
        for p in parents:
            host = host.get(p, {})
        if isinstance(host.get(last), dict):
            host[last] = dict(host[last])
    return out
