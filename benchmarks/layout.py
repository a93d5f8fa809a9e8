"""Auto-layout time (server/teaching/layout.py) against loading the same document, in one run.

Run: .venv/bin/python benchmarks/layout.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from graphs import layered_dag  # noqa: E402
from server.engine.document import Limits  # noqa: E402
from server.teaching.formula import parse_formula  # noqa: E402
from server.engine.graph import ComputationGraph  # noqa: E402
from server.teaching.layout import layout  # noqa: E402


def best(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main():
    limits = Limits(max_nodes=20_000, max_bytes=50_000_000)
    print("| graph | nodes | layout min / median | load (from_dict) median | layout ÷ load |")
    print("|---|---|---|---|---|")
    for n in (500, 5000):
        doc = layered_dag(n)
        lay_min, lay_med = best(lambda: layout(doc))
        _, load_med = best(lambda: ComputationGraph.from_dict(doc, limits))
        print(f"| random DAG | {len(doc['nodes']):,} | {lay_min * 1000:.0f} / {lay_med * 1000:.0f} ms | "
              f"{load_med * 1000:.0f} ms | {lay_med / load_med:.1f}× |")
    text = "\n".join(["a0 = 1"] + [f"a{i} = a{i - 1} * 1.001 + {i}" for i in range(1, 2500)])
    doc = parse_formula(text, limits=limits)  # laid out already; time the layout alone again
    lay_min, lay_med = best(lambda: layout(doc))
    _, load_med = best(lambda: ComputationGraph.from_dict(doc, limits))
    print(f"| formula chain | {len(doc['nodes']):,} | {lay_min * 1000:.0f} / {lay_med * 1000:.0f} ms | "
          f"{load_med * 1000:.0f} ms | {lay_med / load_med:.1f}× |")


if __name__ == "__main__":
    main()
