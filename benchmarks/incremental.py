"""Edits against a warm forward+backward: what an edit costs the engine, before and after issue 15.

    .venv/bin/python benchmarks/incremental.py [--sizes 1000,10000,50000] [--repeats 7]

On the layered random DAG of benchmarks/graphs.py, at each size, it times, each row
as the edit (its undo untimed) plus bringing values and the output's gradients up
to date (``graph.plan`` and ``plan.run_backward``):

- warm forward+backward: every input changed, the plan cached (the baseline, 1×);
- a structural edit evaluated as before issue 15: the plan built from scratch (a
  topological sort of the whole graph, new layer objects), then forward+backward;
- the same edits now: the order kept up to date edit by edit (engine/order.py), the
  layers reused, then forward+backward:
  - add a node: a new input wired into a new add node fed by the output;
  - an edge against the order: a new neg node (level 0, early in the order) fed by
    the output, so it must move to the end;
  - remove a node: a sink added beforehand, removed;
- a value edit, only its cone recomputed (engine/cone.py), against the same edit
  recomputed in full: of an input that feeds most of the graph, and of one that
  touches a few nodes (the graph's output is ``total = dag + knob · knob``, so a
  change of ``knob`` leaves every gradient in the DAG as it was).

Each time is the median of the repeats; the rows take turns within a repeat so a
busy machine slows them alike, and the ratios are to the warm forward+backward
measured in the same run.
"""
from __future__ import annotations

import argparse
import random
import statistics
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import timed  # noqa: E402  (the engine benchmark's timer: one clock for both tables)
from graphs import layered_dag  # noqa: E402
from server.engine.graph import ComputationGraph  # noqa: E402


def with_knob(doc: dict) -> dict:
    """total = (the DAG's output) + knob · knob: an input whose edits touch a few nodes."""
    nodes = doc["nodes"] + [{"id": "knob", "op": "input", "value": 0.5}, {"id": "side", "op": "mul"},
                            {"id": "total", "op": "add"}]
    edges = doc["edges"] + [{"source": "knob", "target": "side", "port": 0},
                            {"source": "knob", "target": "side", "port": 1},
                            {"source": doc["output"], "target": "total", "port": 0},
                            {"source": "side", "target": "total", "port": 1}]
    return {**doc, "nodes": nodes, "edges": edges, "output": "total"}


def bitwise(g: ComputationGraph):
    plan = g.plan
    grads = plan.run_backward(plan.index["total"])[0]
    return list(plan.ids), [struct.pack("<d", x) for x in plan.vals], [struct.pack("<d", x) for x in grads]


def measure(doc: dict, repeats: int) -> dict:
    g = ComputationGraph.from_dict(with_knob(doc))
    out = "total"
    inputs = [nd["id"] for nd in doc["nodes"] if nd["op"] == "input"]
    wide = inputs[-1]  # the last input feeds the first ops, and so most of the graph
    rng = random.Random(7)

    def evaluate():
        plan = g.plan
        plan.run_backward(plan.index[out])

    def change_every_input():
        for nid in inputs:
            g.set_value(nid, rng.uniform(-1, 1))

    def as_before():  # what a structural edit cost before: no kept order, no reused layers
        g._order = None
        g._old_plan = None

    def add_node():
        g.apply_batch([{"type": "add_node", "node": {"id": "new_in", "op": "input", "value": 0.5}},
                       {"type": "add_node", "node": {"id": "new_add", "op": "add"}},
                       {"type": "connect", "source": out, "target": "new_add", "port": 0},
                       {"type": "connect", "source": "new_in", "target": "new_add", "port": 1}])
        evaluate()

    def undo_add_node():
        g.apply_batch([{"type": "remove_node", "id": "new_add"}, {"type": "remove_node", "id": "new_in"}])
        evaluate()

    def against_order():
        g.apply({"type": "connect", "source": out, "target": "late", "port": 0})
        evaluate()

    def undo_against_order():
        g.apply({"type": "disconnect", "target": "late", "port": 0})
        evaluate()

    def remove_node():
        g.apply({"type": "remove_node", "id": "sink"})
        evaluate()

    def undo_remove_node():
        g.apply({"type": "add_node", "node": {"id": "sink", "op": "neg"}})
        g.apply({"type": "connect", "source": out, "target": "sink", "port": 0})
        evaluate()

    def value_edit(nid):
        g.set_value(nid, rng.uniform(-1, 1))
        evaluate()

    def value_edit_in_full(nid):
        g.set_value(nid, rng.uniform(-1, 1))
        g.plan.run_forward()
        plan = g.plan
        plan._backward_cache.clear()
        plan._last_backward.clear()
        evaluate()

    g.apply({"type": "add_node", "node": {"id": "late", "op": "neg"}})
    evaluate()
    rows = {k: [] for k in ("warm", "before", "add", "against", "remove", "wide_full", "wide", "knob_full", "knob")}
    for _ in range(repeats):
        rows["warm"].append(timed(evaluate, setup=change_every_input))
        rows["before"].append(timed(add_node, setup=lambda: (undo_add_node() if "new_in" in g.g else None,
                                                             as_before())))
        rows["add"].append(timed(add_node, setup=lambda: undo_add_node() if "new_in" in g.g else None))
        rows["against"].append(timed(against_order, setup=lambda: undo_against_order()
                                     if g._wired.get(("late", 0)) else evaluate()))
        rows["remove"].append(timed(remove_node, setup=undo_remove_node))
        for key, nid in (("wide", wide), ("knob", "knob")):
            rows[key].append(timed(lambda: value_edit(nid), setup=evaluate))
            rows[key + "_full"].append(timed(lambda: value_edit_in_full(nid), setup=evaluate))
    # The kept plan and a fresh one agree, bit for bit (NaN for NaN: some gradients overflow).
    fresh = ComputationGraph.from_dict(g.to_dict())
    assert bitwise(g) == bitwise(fresh), "the kept plan and a fresh one differ"
    return {k: statistics.median(v) for k, v in rows.items()}


LABELS = {
    "warm": "warm forward+backward (baseline)",
    "before": "add a node, plan from scratch (before)",
    "add": "add a node, order kept (now)",
    "against": "edge against the order (now)",
    "remove": "remove a node (now)",
    "wide_full": "value edit, wide cone, in full (before)",
    "wide": "value edit, wide cone, cone only (now)",
    "knob_full": "value edit, few nodes, in full (before)",
    "knob": "value edit, few nodes, cone only (now)",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"gradcanvas edits: median of {args.repeats}, each with forward+backward after it; "
          f"ratio = time / warm forward+backward in the same run")
    print(f"Python {sys.version.split()[0]}")
    header = f"{'N':>7}  {'row':<40}{'ms':>9}{'× warm':>9}"
    print(header)
    print("-" * len(header))
    for size in (int(s) for s in args.sizes.split(",")):
        doc = layered_dag(size)
        rows = measure(doc, args.repeats)
        n = len(doc["nodes"])
        for key, label in LABELS.items():
            print(f"{n:>7}  {label:<40}{rows[key] * 1e3:>9.2f}{rows[key] / rows['warm']:>8.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
