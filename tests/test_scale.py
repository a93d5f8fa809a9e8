"""Deep and wide graphs: a chain evaluated with nothing recursing, and a wide graph
recomputed in one pass. How fast the engine is at 10^4 to 10^6 nodes is measured by
benchmarks/chain.py and benchmarks/engine.py, which print tables; these tests check
behaviour."""
import inspect
import sys
import time

import pytest

from server.engine.document import Limits
from server.engine.graph import ComputationGraph

N = 10 ** 4


def add_chain(n: int, x0: float, c: float) -> dict:
    """x0 → (+c) → (+c) → … : n nodes in all; every add also reads the constant c (fan-out n−2)."""
    nodes = [{"id": "c", "op": "input", "value": c}, {"id": "n0", "op": "input", "value": x0}]
    nodes += [{"id": f"n{k}", "op": "add"} for k in range(1, n - 1)]
    edges = []
    for k in range(1, n - 1):
        edges.append({"source": f"n{k - 1}", "target": f"n{k}", "port": 0})
        edges.append({"source": "c", "target": f"n{k}", "port": 1})
    return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": f"n{n - 2}"}


def test_a_chain_far_deeper_than_the_recursion_limit_loads_and_evaluates_forward_and_backward():
    doc = add_chain(N, x0=0.5, c=1.0)
    last = f"n{N - 2}"
    # 200 frames above this one, while the chain is 10,000 nodes deep: any recursion over
    # the graph (loading, ordering, forward, backward, re-evaluating) raises RecursionError.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 200)
    try:
        g = ComputationGraph.from_dict(doc, Limits(max_nodes=N))
        values = g.forward()
        grads = g.backward()
        g.set_value("c", 2.0)  # every add is downstream of c: all of them run again
        again = g.forward()[last]
        round_trip = ComputationGraph.from_dict(g.to_dict(), Limits(max_nodes=N)).forward()[last]
    finally:
        sys.setrecursionlimit(limit)

    assert len(g) == N and len(values) == N
    assert values[last] == 0.5 + (N - 2) * 1.0  # exact: sums of 1.0 stay integers in a float
    assert values["n1"] == 1.5 and values["n5000"] == 5000.5
    assert grads[last] == 1.0
    assert grads["n0"] == 1.0 and grads["n1"] == 1.0
    assert grads["c"] == N - 2  # one gradient of 1 from each of the N−2 adds, accumulated
    assert again == round_trip == 0.5 + (N - 2) * 2.0
    assert g.faults() == {}


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
