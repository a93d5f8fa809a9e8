"""Generated benchmark graphs, as gradcanvas documents with positions."""
from __future__ import annotations

import random

BINARY = ("add", "mul", "sub")
UNARY = ("tanh", "sigmoid", "neg")


def layered_dag(n: int, seed: int = 1, width: int = 40) -> dict:
    """A random DAG of about ``n`` nodes in columns of ``width``, with fan-out and x*x.

    A tenth are inputs; ops take their inputs from the previous few columns, so
    values stay bounded (tanh and sigmoid squash) and every node has a position.
    """
    rng = random.Random(seed)
    nodes, edges = [], []
    n_inputs = max(2, n // 10)
    for i in range(n_inputs):
        nodes.append({"id": f"i{i}", "op": "input", "value": round(rng.uniform(-1, 1), 3),
                      "x": 0.0, "y": 90.0 * i})
    ids = [f"i{i}" for i in range(n_inputs)]
    for k in range(n - n_inputs):
        nid = f"n{k}"
        col = 1 + k // width
        recent = ids[-3 * width:]
        if rng.random() < 0.35:
            op = rng.choice(UNARY)
            srcs = [rng.choice(recent)]
        else:
            op = rng.choice(BINARY)
            a = rng.choice(recent)
            srcs = [a, a] if rng.random() < 0.05 else [a, rng.choice(recent)]  # some x*x
        nodes.append({"id": nid, "op": op, "x": 220.0 * col, "y": 90.0 * (k % width)})
        edges += [{"source": s, "target": nid, "port": p} for p, s in enumerate(srcs)]
        ids.append(nid)
    # One sum at the end so the output is unambiguous: fold the sinks together.
    used = {e["source"] for e in edges}
    sinks = [nid for nid in ids[n_inputs:] if nid not in used]
    acc = sinks[0]
    for j, s in enumerate(sinks[1:]):
        nid = f"s{j}"
        nodes.append({"id": nid, "op": "add", "x": 220.0 * (col + 2 + j // width), "y": 90.0 * (j % width)})
        edges += [{"source": acc, "target": nid, "port": 0}, {"source": s, "target": nid, "port": 1}]
        acc = nid
    return {"format": "gradcanvas", "version": 1, "title": f"random DAG of {len(nodes)} nodes",
            "nodes": nodes, "edges": edges, "output": acc}
