"""A chain of adds at 10^4, 10^5 and 10^6 nodes: load and evaluation time against
building the document itself, in one run.

Run: .venv/bin/python benchmarks/chain.py [--sizes 10000,100000,1000000]

The chain is x0 → (+c) → (+c) → …, every add also reading the constant c (so c fans
out to n − 2 nodes). For each size it times, once each (a million-node run takes
tens of seconds; repeats would not change the picture):

- build: making the document's list of node and edge dicts (the baseline: the
  least any loader must do is look at each of them once);
- load: ComputationGraph.from_dict with limits raised to fit;
- forward+backward: the first evaluation, the plan built in the timed region;
- set c, forward: set_value on c (every add is downstream of it), then forward.

Each is shown in seconds and as a ratio to build. Linear work keeps the ratios
level from row to row; a quadratic step would multiply its ratio by ten per row.
The recursion limit is held a little above the current stack depth throughout, so a
recursive walk over the chain would fail here (tests/test_scale.py checks the same
at 10^4 on every test run).
"""
from __future__ import annotations

import argparse
import gc
import inspect
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.engine.document import Limits  # noqa: E402
from server.engine.graph import ComputationGraph  # noqa: E402


def add_chain(n: int, x0: float = 0.5, c: float = 1.0) -> dict:
    """x0 → (+c) → (+c) → … : n nodes in all; every add also reads the constant c."""
    nodes = [{"id": "c", "op": "input", "value": c}, {"id": "n0", "op": "input", "value": x0}]
    nodes += [{"id": f"n{k}", "op": "add"} for k in range(1, n - 1)]
    edges = []
    for k in range(1, n - 1):
        edges.append({"source": f"n{k - 1}", "target": f"n{k}", "port": 0})
        edges.append({"source": "c", "target": f"n{k}", "port": 1})
    return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": f"n{n - 2}"}


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run(n: int) -> dict:
    gc.collect()
    gc.disable()  # millions of small dicts: keep the collector's full scans out of every row alike
    try:
        doc, build = timed(lambda: add_chain(n))
        g, load = timed(lambda: ComputationGraph.from_dict(doc, Limits(max_nodes=n, max_bytes=10 ** 9)))
        (values, grads), evaluate = timed(lambda: (g.forward(), g.backward()))

        def again():
            g.set_value("c", 2.0)
            return g.forward()
        values2, reeval = timed(again)
    finally:
        gc.enable()
    last = f"n{n - 2}"
    # The numbers are checked, so a fast wrong answer cannot pass for a fast right one.
    assert values[last] == 0.5 + (n - 2) * 1.0 and grads["c"] == n - 2 and grads["n0"] == 1.0
    assert values2[last] == 0.5 + (n - 2) * 2.0
    return {"n": n, "build": build, "load": load, "evaluate": evaluate, "reeval": reeval}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 200)  # far below any chain's depth
    try:
        rows = [run(n) for n in sizes]
    finally:
        sys.setrecursionlimit(limit)

    print("| nodes | build (baseline) | load (from_dict) | forward+backward | set c, forward |")
    print("|---|---|---|---|---|")
    for r in rows:
        cell = lambda key: f"{r[key]:.2f} s ({r[key] / r['build']:.1f}×)"  # noqa: E731
        print(f"| {r['n']:,} | {r['build']:.2f} s | {cell('load')} | {cell('evaluate')} | {cell('reeval')} |")


if __name__ == "__main__":
    main()
