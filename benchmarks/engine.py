"""Engine benchmark: forward+backward time per node, against a straight-line floor.

    .venv/bin/python benchmarks/engine.py [--sizes 1000,10000,100000] [--repeats 5]

For a chain and for a random DAG with fan-out and x*x, at each size, it times:

- gradcanvas, cold: the first forward()+backward() with the plan built in the
  timed region (the structure is marked changed first, as after an edit);
- gradcanvas, warm: forward()+backward() after set_value on every input, the plan
  cached (the set_value calls themselves are not timed);
- the floor: the same graph generated as straight-line Python source
  (``v3 = v1 * v2`` forward, ``g1 += g3 * v2`` backward, gradients accumulated),
  returning dicts of values and gradients, compiled in this run; only the call is timed;
- micrograd, if it is importable.

Each time is the median of several repeats (time.perf_counter; the rows take
turns within a repeat, so a busy machine slows them alike), shown in µs per node
and as a ratio to the floor. The target is warm ≤ 3× the floor at 10^4 and
10^5 for the random DAG.
"""
from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.engine.document import Limits  # noqa: E402
from server.engine.graph import ComputationGraph  # noqa: E402

BINARY = ("add", "mul", "sub")
UNARY = ("tanh", "sigmoid", "neg")


# -- graphs -------------------------------------------------------------------------
def chain(n: int) -> dict:
    """x → (·a) → (+c) → (·a) → … : n nodes, values bounded since a = 0.5."""
    nodes = [{"id": "x", "op": "input", "value": 1.0}, {"id": "a", "op": "input", "value": 0.5},
             {"id": "c", "op": "input", "value": 1.0}]
    edges = []
    prev = "x"
    for k in range(n - 3):
        nid = f"n{k}"
        op, const = ("mul", "a") if k % 2 == 0 else ("add", "c")
        nodes.append({"id": nid, "op": op})
        edges += [{"source": prev, "target": nid, "port": 0}, {"source": const, "target": nid, "port": 1}]
        prev = nid
    return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": prev}


def random_dag(n: int, seed: int = 1, window: int = 120) -> dict:
    """n nodes: a tenth inputs, the rest ops reading recent nodes (fan-out), 5% of binary ops
    x*x, and a final chain of adds folding the sinks together so that the output is single.

    Values stay bounded, so nothing overflows: binary ops read only inputs and squashed
    nodes (tanh, sigmoid: |v| ≤ 1), and unary ops read anything recent.
    """
    rng = random.Random(seed)
    n_inputs = max(2, n // 10)
    nodes = [{"id": f"i{k}", "op": "input", "value": round(rng.uniform(-1, 1), 3)} for k in range(n_inputs)]
    ids = [nd["id"] for nd in nodes]
    bounded = list(ids)
    edges = []
    sinks: dict[str, None] = {}  # in creation order
    k = 0
    while len(nodes) + max(0, len(sinks) - 1) < n:  # the folding adds len(sinks) - 1 nodes
        nid = f"n{k}"
        k += 1
        if rng.random() < 0.4:
            op, srcs = rng.choice(UNARY), [rng.choice(ids[-window:])]
        else:
            op = rng.choice(BINARY)
            a = rng.choice(bounded[-window:])
            srcs = [a, a] if rng.random() < 0.05 else [a, rng.choice(bounded[-window:])]
        nodes.append({"id": nid, "op": op})
        edges += [{"source": s, "target": nid, "port": p} for p, s in enumerate(srcs)]
        for s in srcs:
            sinks.pop(s, None)
        sinks[nid] = None
        ids.append(nid)
        if op in ("tanh", "sigmoid"):
            bounded.append(nid)
    sinks = list(sinks)
    acc = sinks[0]
    for j, s in enumerate(sinks[1:]):
        nid = f"s{j}"
        nodes.append({"id": nid, "op": "add"})
        edges += [{"source": acc, "target": nid, "port": 0}, {"source": s, "target": nid, "port": 1}]
        acc = nid
    return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": acc}


# -- the straight-line floor ----------------------------------------------------------
FORWARD = {"add": "{o} = {a} + {b}", "sub": "{o} = {a} - {b}", "mul": "{o} = {a} * {b}",
           "neg": "{o} = -{a}", "tanh": "{o} = tanh({a})", "sigmoid": "{o} = 1.0 / (1.0 + exp(-{a}))"}
BACKWARD = {"add": ["{ga} += {go}", "{gb} += {go}"], "sub": ["{ga} += {go}", "{gb} -= {go}"],
            "mul": ["{ga} += {go} * {b}", "{gb} += {go} * {a}"], "neg": ["{ga} -= {go}"],
            "tanh": ["{ga} += {go} * (1.0 - {o} * {o})"], "sigmoid": ["{ga} += {go} * (1.0 - {o}) * {o}"]}


def floor_source(doc: dict) -> str:
    """One Python function evaluating ``doc`` forward and backward in straight-line code."""
    var = {nd["id"]: f"v{k}" for k, nd in enumerate(doc["nodes"])}
    grad = {nd["id"]: f"g{k}" for k, nd in enumerate(doc["nodes"])}
    srcs: dict[str, list] = {}
    for e in doc["edges"]:
        srcs.setdefault(e["target"], [None, None])[e["port"]] = e["source"]
    order = [nd for nd in doc["nodes"]]  # generated in topological order
    lines = ["def run(inputs):"]
    for nd in order:
        if nd["op"] == "input":
            lines.append(f"    {var[nd['id']]} = inputs[{nd['id']!r}]")
        else:
            a, b = srcs[nd["id"]]
            lines.append("    " + FORWARD[nd["op"]].format(o=var[nd["id"]], a=var[a], b=var.get(b)))
    for nd in order:
        lines.append(f"    {grad[nd['id']]} = 0.0")
    lines.append(f"    {grad[doc['output']]} = 1.0")
    for nd in reversed(order):
        if nd["op"] == "input":
            continue
        a, b = srcs[nd["id"]]
        for template in BACKWARD[nd["op"]]:
            lines.append("    " + template.format(o=var[nd["id"]], go=grad[nd["id"]], a=var[a], b=var.get(b),
                                                  ga=grad[a], gb=grad.get(b)))
    lines.append("    values = {" + ", ".join(f"{nd['id']!r}: {var[nd['id']]}" for nd in order) + "}")
    lines.append("    grads = {" + ", ".join(f"{nd['id']!r}: {grad[nd['id']]}" for nd in order) + "}")
    lines.append("    return values, grads")
    return "\n".join(lines) + "\n"


def compile_floor(doc: dict):
    namespace = {"tanh": math.tanh, "exp": math.exp}
    exec(compile(floor_source(doc), f"<floor of {len(doc['nodes'])} nodes>", "exec"), namespace)
    return namespace["run"]


# -- micrograd, if present -------------------------------------------------------------
def micrograd_runner(doc: dict):
    try:
        from micrograd.engine import Value
    except ImportError:
        return None
    srcs: dict[str, list] = {}
    for e in doc["edges"]:
        srcs.setdefault(e["target"], [None, None])[e["port"]] = e["source"]
    ops = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "neg": lambda a, b: -a, "tanh": lambda a, b: a.tanh(), "sigmoid": lambda a, b: 1 / (1 + (-a).exp())}

    def run(inputs):
        v = {}
        for nd in doc["nodes"]:
            if nd["op"] == "input":
                v[nd["id"]] = Value(inputs[nd["id"]])
            else:
                a, b = srcs[nd["id"]]
                v[nd["id"]] = ops[nd["op"]](v[a], v.get(b))
        v[doc["output"]].backward()  # recursive topological sort: deep graphs overflow the stack
        return v
    return run


# -- timing -----------------------------------------------------------------------------
def timed(fn, setup=None) -> float:
    if setup is not None:
        setup()
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(doc: dict, repeats: int) -> dict:
    """Median seconds per row. The rows take turns within each repeat, so that a
    machine busy with something else slows them alike and the ratios hold."""
    n = len(doc["nodes"])
    limits = Limits()  # the engine has no cap by default (issue 15)
    inputs = [nd["id"] for nd in doc["nodes"] if nd["op"] == "input"]

    t0 = time.perf_counter()
    g = ComputationGraph.from_dict(doc, limits)
    load = time.perf_counter() - t0

    def evaluate():
        g.forward()
        g.backward()

    rng = random.Random(7)

    def change_every_input():
        for nid in inputs:
            g.set_value(nid, rng.uniform(-1, 1))

    run = compile_floor(doc)
    values = {nid: g.node(nid)["value"] for nid in inputs}
    micro = micrograd_runner(doc)
    evaluate()
    times: dict[str, list] = {"cold": [], "warm": [], "floor": []}
    for _ in range(repeats):
        times["cold"].append(timed(evaluate, setup=g._structure_changed))
        times["warm"].append(timed(evaluate, setup=change_every_input))
        times["floor"].append(timed(lambda: run(values)))
        if micro is not None:
            try:
                times.setdefault("micrograd", []).append(timed(lambda: micro(values)))
            except RecursionError:
                times["micrograd"] = [None]
                micro = None
    rows = {key: (statistics.median(ts) if None not in ts else None) for key, ts in times.items()}
    rows["load"] = load

    # The floor and the engine agree: same graph, same numbers.
    values = {nid: g.node(nid)["value"] for nid in inputs}
    fv, fg = run(values)
    ev, eg = g.forward(), g.backward()
    assert all(math.isclose(fv[k], ev[k], rel_tol=1e-9, abs_tol=1e-12) for k in ev), "floor values differ"
    assert all(math.isclose(fg[k], eg[k], rel_tol=1e-9, abs_tol=1e-9) for k in eg), "floor grads differ"
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    try:
        import micrograd  # noqa: F401
        micro_note = "micrograd: installed, timed below"
    except ImportError:
        micro_note = "micrograd: not installed (pip install micrograd to add its row)"

    print(f"gradcanvas engine: forward+backward, µs per node (median of {args.repeats}); "
          f"ratio = time / straight-line floor")
    print(f"Python {sys.version.split()[0]}; {micro_note}")
    header = f"{'graph':<11}{'N':>8}  {'row':<34}{'µs/node':>9}{'× floor':>9}"
    print(header)
    print("-" * len(header))
    labels = {"cold": "gradcanvas cold (plan build incl.)", "warm": "gradcanvas warm (plan cached)",
              "floor": "straight-line floor", "micrograd": "micrograd", "load": "from_dict (load, not in ratio)"}
    for name, make in (("chain", chain), ("random DAG", random_dag)):
        for size in sizes:
            doc = make(size)
            n = len(doc["nodes"])
            rows = measure(doc, args.repeats if size < 100_000 else max(3, args.repeats // 2))
            for key in ("cold", "warm", "floor", "micrograd", "load"):
                if key not in rows:
                    continue
                t = rows[key]
                if t is None:
                    print(f"{name:<11}{n:>8}  {labels[key]:<34}{'RecursionError':>18}")
                    continue
                ratio = "" if key == "load" else f"{t / rows['floor']:>8.2f}×"
                print(f"{name:<11}{n:>8}  {labels[key]:<34}{t / n * 1e6:>9.3f}{ratio:>9}")
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
