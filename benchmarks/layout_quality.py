"""How clean the auto-layout draws random small graphs: crossings, edges through nodes, and
labels on nodes or on each other, per graph (tests/figure_geometry.py measures them on the
geometry the canvas and the SVG export share).

Baseline, in the same run: the same layers without any ordering (document order in each
column), so the table shows what the ordering (barycentre sweeps with port order, and a
stand-in row for each edge that skips a column) buys.

    .venv/bin/python benchmarks/layout_quality.py [graphs per size]
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from figure_geometry import measure  # noqa: E402

from server.teaching import layout as layout_module  # noqa: E402


def random_doc(rng: random.Random, ops: int) -> dict:
    nodes = [{"id": f"x{k}", "op": "input", "value": rng.choice([1, 2, 3, 0.5])} for k in range(rng.randint(2, 4))]
    edges = []
    for k in range(ops):
        kind = rng.choice(["add", "mul", "mul", "sub", "exp", "sigmoid"])
        nid = f"{kind}{k}"
        arity = 2 if kind in ("add", "mul", "sub") else 1
        for port in range(arity):
            edges.append({"source": rng.choice(nodes)["id"], "target": nid, "port": port})
        nodes.append({"id": nid, "op": kind})
    return {"format": "gradcanvas", "version": 1, "title": "", "nodes": nodes, "edges": edges,
            "output": nodes[-1]["id"]}


def run(count: int):
    print("| ops | layout | crossings | edges through nodes | labels on nodes | labels on labels | clean graphs |")
    print("|---|---|---|---|---|---|---|")
    for ops in (3, 6, 10):
        for name, sweeps in (("columns only (baseline)", 0), ("gradcanvas", layout_module.SWEEPS)):
            rng = random.Random(ops)
            totals = [0, 0, 0, 0]
            clean = 0
            saved = layout_module.SWEEPS
            layout_module.SWEEPS = sweeps
            try:
                for _ in range(count):
                    r = measure(layout_module.layout(random_doc(rng, ops)))
                    parts = [len(r.crossings), len(r.through_nodes), len(r.labels_on_nodes), len(r.labels_on_labels)]
                    totals = [a + b for a, b in zip(totals, parts)]
                    clean += r.total() == 0
            finally:
                layout_module.SWEEPS = saved
            per = " | ".join(f"{t / count:.2f}" for t in totals)
            print(f"| {ops} | {name} | {per} | {clean}/{count} |")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
