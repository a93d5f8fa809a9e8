"""Loading a stored document that no longer validates, without losing the graph.

A store should never hold such a document (it is checked on the way in), but a
record written by an older version, or damaged on disk, must not make a graph
unreachable. ``load_leniently`` keeps everything that is still valid and says
what it had to change.
"""
from __future__ import annotations

import networkx as nx

from .document import FORMAT, VERSION, GraphError, Limits, parse_node
from .graph import ComputationGraph
from .text import text_problem


def _clean(text, newline=True) -> str:
    """The text without the characters it may not hold."""
    if not isinstance(text, str):
        return ""
    return "".join(ch for ch in text if not text_problem(ch, newline=newline))


def load_leniently(doc, limits: Limits = Limits()) -> tuple[ComputationGraph, list[str]]:
    """The graph, and a list of what was repaired (empty if the document was valid)."""
    try:
        return ComputationGraph.from_dict(doc, limits), []
    except GraphError as err:
        problems = [f"the stored document was invalid: {p}" for p in err.problems]
    doc = doc if isinstance(doc, dict) else {}
    ids: dict[str, str] = {}
    nodes = []
    for i, raw in enumerate(doc.get("nodes") or []):
        if not isinstance(raw, dict):
            continue
        node = dict(raw)
        node["id"] = ids.setdefault(str(raw.get("id")), _clean(str(raw.get("id")), newline=False) or f"node{i}")
        if "label" in node:
            node["label"] = _clean(node["label"]) or None
        try:
            nodes.append(parse_node(node, f"nodes[{i}]"))
        except GraphError as err:
            problems.append(f"nodes[{i}] was dropped: {err}")
    kept = {n["id"] for n in nodes}
    edges, taken = [], set()
    for i, e in enumerate(doc.get("edges") or []):
        if not isinstance(e, dict):
            continue
        s, t, p = ids.get(str(e.get("source"))), ids.get(str(e.get("target"))), e.get("port")
        if s in kept and t in kept and isinstance(p, int) and (t, p) not in taken:
            edges.append({"source": s, "target": t, "port": p})
            taken.add((t, p))
        else:
            problems.append(f"edges[{i}] was dropped")
    g = nx.MultiDiGraph()
    g.add_edges_from((e["source"], e["target"]) for e in edges)
    while True:  # a cycle: drop the edge that closes it
        try:
            s, t = nx.find_cycle(g)[-1][:2]
        except nx.NetworkXNoCycle:
            break
        g.remove_edge(s, t)
        drop = next(e for e in edges if (e["source"], e["target"]) == (s, t))
        edges.remove(drop)
        problems.append(f"the edge {s} → {t} closed a cycle and was dropped")
    output = ids.get(str(doc.get("output")))
    fixed = {"format": FORMAT, "version": VERSION, "title": _clean(doc.get("title", ""))[:500],
             "nodes": nodes, "edges": edges, "output": output if output in kept else None}
    try:
        return ComputationGraph.from_dict(fixed, limits), problems
    except GraphError as err:  # ports out of range and the like: keep the nodes, drop the wiring
        problems += [f"the wiring was dropped: {p}" for p in err.problems]
        return ComputationGraph.from_dict({**fixed, "edges": [], "output": None}, limits), problems
