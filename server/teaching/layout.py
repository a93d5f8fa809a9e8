"""Auto-layout, left to right as in the book's figures.

Layers come from topological generations (networkx); an input sits one layer
before its first consumer, as the book draws `tax` beside the last multiply.
Within layers, a few barycentre sweeps reduce crossings. Spacing leaves room
for the value above and the gradient below each edge. Positions are the
nodes' top-left corners (docs/format.md).
"""
from __future__ import annotations

import networkx as nx

from ..engine.registry import OPS

LAYER_GAP = 220      # x distance between layers: room for a value and a gradient on each edge
ROW_GAP = 120        # y distance between nodes in a layer
MARGIN = 40
SWEEPS = 4
PORT_SPREAD = 0.5   # less than one row: ports order sources that feed one op, not across ops


def layout(doc: dict) -> dict:
    """The document with every node's x, y set; returns the same dict."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(n["id"] for n in doc["nodes"])
    g.add_edges_from((e["source"], e["target"], {"port": e["port"]}) for e in doc["edges"])
    ports = {n["id"]: OPS[n["op"]].arity if n["op"] in OPS else 1 for n in doc["nodes"]}
    layer: dict[str, int] = {}
    for depth, generation in enumerate(nx.topological_generations(g)):
        for nid in generation:
            layer[nid] = depth
    # Sources (inputs) move right, next to their earliest consumer.
    for nid in g:
        if g.in_degree(nid) == 0 and g.out_degree(nid) > 0:
            layer[nid] = max(0, min(layer[t] for t in g.successors(nid)) - 1)
    depth_count = max(layer.values(), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(depth_count)]
    for n in doc["nodes"]:  # document order is the starting order
        layers[layer[n["id"]]].append(n["id"])
    # An edge that skips layers gets a stand-in row in each layer it passes (as in Sugiyama's
    # method): the ordering then keeps room for it, so it runs beside the nodes there, not
    # through them, and crosses no edge it need not.
    for k, (s, t, d) in enumerate(list(g.edges(data=True))):
        if layer[t] - layer[s] <= 1:
            continue
        g.remove_edge(s, t)
        chain = [s] + [f"\0pass{k}:{depth}" for depth in range(layer[s] + 1, layer[t])] + [t]
        for a, b in zip(chain, chain[1:]):
            if b != t:
                layer[b], ports[b] = layer[a] + 1, 1
                layers[layer[b]].append(b)
            g.add_edge(a, b, port=d["port"] if b == t else 0)

    pos = {nid: i for lay in layers for i, nid in enumerate(lay)}

    def sweep(order, neighbours):
        for lay in order:
            bary = {}
            for i, nid in enumerate(lay):
                ns = neighbours(nid)
                bary[nid] = sum(ns) / len(ns) if ns else pos[nid]
            lay.sort(key=lambda nid: (bary[nid], pos[nid]))
            for i, nid in enumerate(lay):
                pos[nid] = i

    def inputs(nid):
        return [pos[s] for s in g.predecessors(nid)]

    def consumers(nid):
        # Where this node's edges arrive, port by port: a node feeding an op's upper port
        # (port 0) sits above one feeding its lower port, so the two edges do not cross.
        return [pos[t] + PORT_SPREAD * (d["port"] - (ports[t] - 1) / 2)
                for _, t, d in g.out_edges(nid, data=True)]

    for _ in range(SWEEPS):
        sweep(layers[1:], inputs)          # left to right: follow the inputs
        sweep(layers[-2::-1], consumers)   # right to left: follow the consumers and their ports

    tallest = max((len(lay) for lay in layers), default=0)
    coords = {}
    for depth, lay in enumerate(layers):
        offset = (tallest - len(lay)) * ROW_GAP / 2  # centre each layer
        for i, nid in enumerate(lay):
            coords[nid] = (MARGIN + depth * LAYER_GAP, MARGIN + offset + i * ROW_GAP)
    for n in doc["nodes"]:
        n["x"], n["y"] = map(float, coords[n["id"]])
    return doc
