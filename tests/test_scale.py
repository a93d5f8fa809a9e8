"""A million-node chain: loaded, evaluated forward and backward, with nothing recursing."""
import gc
import inspect
import sys
import time

import pytest

from server.engine.document import Limits
from server.engine.graph import ComputationGraph

N = 10 ** 6


def add_chain(n: int, x0: float, c: float) -> dict:
    """x0 → (+c) → (+c) → … : n nodes in all; every add also reads the constant c (fan-out n−2)."""
    gc.disable()  # building millions of dicts: skip the collector's repeated full scans
    try:
        nodes = [{"id": "c", "op": "input", "value": c}, {"id": "n0", "op": "input", "value": x0}]
        nodes += [{"id": f"n{k}", "op": "add"} for k in range(1, n - 1)]
        edges = []
        for k in range(1, n - 1):
            edges.append({"source": f"n{k - 1}", "target": f"n{k}", "port": 0})
            edges.append({"source": "c", "target": f"n{k}", "port": 1})
        return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": f"n{n - 2}"}
    finally:
        gc.enable()


@pytest.mark.slow
def test_a_million_node_chain_evaluates_forward_and_backward_without_recursion():
    doc = add_chain(N, x0=0.5, c=1.0)
    last = f"n{N - 2}"
    # Far below the chain's depth: any recursion over the graph would raise RecursionError.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 200)
    try:
        t0 = time.perf_counter()
        g = ComputationGraph.from_dict(doc, Limits(max_nodes=N, max_bytes=10 ** 9))
        t1 = time.perf_counter()
        values = g.forward()
        grads = g.backward()
        t2 = time.perf_counter()
        g.set_value("c", 2.0)  # every add is downstream of c: all of them run again
        again = g.forward()[last]
        t3 = time.perf_counter()
    finally:
        sys.setrecursionlimit(limit)
    print(f"\n{N:,} nodes: from_dict {t1 - t0:.1f} s, forward+backward {t2 - t1:.1f} s, "
          f"set_value+forward {t3 - t2:.1f} s")

    assert len(g) == N and len(values) == N
    assert values[last] == 0.5 + (N - 2) * 1.0  # exact: sums of 1.0 stay integers in a float
    assert values["n1"] == 1.5 and values["n500000"] == 500000.5
    assert grads[last] == 1.0
    assert grads["n0"] == 1.0 and grads["n1"] == 1.0
    assert grads["c"] == N - 2  # one gradient of 1 from each of the N−2 adds, accumulated
    assert again == 0.5 + (N - 2) * 2.0
    assert g.faults() == {}
    # Generous: a quadratic step would take hours at this size, a linear one takes seconds.
    assert t3 - t0 < 600


def wide_sum(width: int) -> dict:
    """width inputs, each negated, all summed by a chain of adds: input k feeds ~width−k adds."""
    nodes = [{"id": f"x{k}", "op": "input", "value": float(k)} for k in range(width)]
    nodes += [{"id": f"m{k}", "op": "neg"} for k in range(width)]
    nodes += [{"id": f"s{k}", "op": "add"} for k in range(1, width)]
    edges = [{"source": f"x{k}", "target": f"m{k}", "port": 0} for k in range(width)]
    for k in range(1, width):
        edges.append({"source": "m0" if k == 1 else f"s{k - 1}", "target": f"s{k}", "port": 0})
        edges.append({"source": f"m{k}", "target": f"s{k}", "port": 1})
    return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": f"s{width - 1}"}


@pytest.mark.slow
def test_changing_half_the_inputs_of_a_wide_graph_recomputes_in_linear_time():
    width = 20_000
    g = ComputationGraph.from_dict(wide_sum(width), Limits(max_nodes=3 * width))
    out = f"s{width - 1}"
    assert g.forward()[out] == -sum(range(width))
    t0 = time.perf_counter()
    for k in range(0, width, 2):
        g.set_value(f"x{k}", 1.0)
    values = g.forward()
    elapsed = time.perf_counter() - t0
    print(f"\nset_value on {width // 2:,} of {width:,} inputs, then forward: {elapsed:.2f} s")
    assert values[out] == -(width // 2) - sum(range(1, width, 2))
    assert values == ComputationGraph.from_dict(g.to_dict(), Limits(max_nodes=3 * width)).forward()
    # Finding what is downstream of each changed input separately costs changed × graph size
    # (minutes here); one pass over the plan costs well under a second.
    assert elapsed < 20
