"""Plans kept up to date edit by edit (engine/order.py, engine/cone.py) against plans built
from scratch (issue 15): after any sequence of edits the order is a topological order,
the same list as a fresh one, and every value, gradient and edge gradient is the same
double, NaN for NaN and −0.0 for −0.0; ``changes()`` names exactly the nodes that differ."""
from __future__ import annotations

import struct

import networkx as nx
from hypothesis import given, settings, strategies as st

import server.engine.layers  # noqa: F401
from server.engine import cone
from server.engine.document import GraphError
from server.engine.graph import Changes, ComputationGraph
from server.engine.order import Order
from server.engine.registry import OPS

OPNAMES = [n for n, s in OPS.items() if s.arity and s.takes_scalars]  # ops of numbers
VALUES = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e-300, 1e300, -3.0, 0.5, 7.0])

# One edit as drawn: its kind and some numbers that pick nodes, ports, ops and values.
EDIT = st.tuples(st.sampled_from(["input", "op", "connect", "connect", "connect", "disconnect",
                                  "remove", "value", "value", "params"]),
                 st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 1), VALUES)


def bits(x):
    """A float as its bits (every NaN as one), a tuple of them, or None."""
    if x is None:
        return None
    if isinstance(x, tuple):
        return tuple(map(bits, x))
    return "nan" if x != x else struct.pack("<d", x)


def apply_drawn(g: ComputationGraph, edit, counter):
    kind, i, j, port, value = edit
    ids = list(g.g)
    try:
        if kind == "input" or not ids:
            g.apply({"type": "add_node", "node": {"id": f"n{next(counter)}", "op": "input", "value": value}})
        elif kind == "op":
            g.apply({"type": "add_node", "node": {"id": f"n{next(counter)}", "op": OPNAMES[i % len(OPNAMES)]}})
        elif kind == "connect":
            g.apply({"type": "connect", "source": ids[i % len(ids)], "target": ids[j % len(ids)], "port": port})
        elif kind == "disconnect" and g._wired:
            target, p = list(g._wired)[i % len(g._wired)]
            g.apply({"type": "disconnect", "target": target, "port": p})
        elif kind == "remove":
            g.apply({"type": "remove_node", "id": ids[i % len(ids)]})
        elif kind == "value":
            g.apply({"type": "set_value", "id": ids[i % len(ids)], "value": value})
        elif kind == "params":
            g.apply({"type": "set_params", "id": ids[i % len(ids)], "params": {"exponent": value}})
    except GraphError:
        pass  # refused (a cycle, a taken port, not an input…): the graph is unchanged


def evaluated(g: ComputationGraph):
    """Values, faults and, from every sink, gradients and edge gradients, by node id, as bits."""
    plan = g.plan
    out = {"ids": list(plan.ids), "incomplete": dict(plan.incomplete),
           "vals": [bits(v) for v in plan.vals], "faults": dict(plan.faults)}
    for nid in plan.ids:
        if g.g.out_degree(nid) == 0:
            grads, egrads, mask = plan.run_backward(plan.index[nid])
            out[nid] = ([bits(x) for x in grads], [bits(x) for x in egrads], list(mask))
    return out


def check_against_scratch(g: ComputationGraph):
    order = g._order.nodes if g._order is not None else Order(g.g).nodes
    position = {n: k for k, n in enumerate(order)}
    assert sorted(order) == sorted(g.g)
    assert all(position[s] < position[t] for s, t in g.g.edges())  # a topological order
    assert order == Order(g.g).nodes                                  # the canonical one
    scratch = ComputationGraph.from_dict(g.to_dict())
    assert evaluated(g) == evaluated(scratch)


def counter_from(k=0):
    while True:
        yield k
        k += 1


@settings(max_examples=150, deadline=None)
@given(st.lists(EDIT, min_size=1, max_size=40))
def test_after_any_edits_the_kept_plan_equals_one_built_from_scratch(edits):
    g, counter = ComputationGraph(), counter_from()
    g.plan  # an order to keep up to date from the start
    for k, edit in enumerate(edits):
        apply_drawn(g, edit, counter)
        if k % 3 == 2 or k == len(edits) - 1:  # evaluate now and then: several edits per rebuild too
            check_against_scratch(g)


VALUE_EDITS = st.lists(st.tuples(st.integers(0, 10**6), VALUES), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(EDIT, min_size=5, max_size=40), VALUE_EDITS)
def test_value_edits_recompute_the_cone_to_the_same_bits_and_report_what_changed(edits, value_edits):
    check_value_edits(edits, value_edits)


@settings(max_examples=150, deadline=None)
@given(st.lists(EDIT, min_size=5, max_size=40), VALUE_EDITS)
def test_the_backward_cone_even_when_it_is_most_of_the_graph_gives_the_same_bits(edits, value_edits):
    # Small graphs' cones are often over cone.FULL of the path, where the full pass runs:
    # here the cone is always walked, so the oracle checks it on every draw.
    full, cone.FULL = cone.FULL, 1.0
    try:
        check_value_edits(edits, value_edits)
    finally:
        cone.FULL = full


# A random complete program: inputs, then ops each reading earlier nodes (fan-out, x·x).
PROGRAM = st.tuples(st.lists(VALUES, min_size=1, max_size=5),
                    st.lists(st.tuples(st.sampled_from(OPNAMES), st.integers(0, 10**6), st.integers(0, 10**6)),
                             min_size=1, max_size=30))


def program_graph(program) -> ComputationGraph:
    values, ops = program
    nodes = [{"id": f"i{k}", "op": "input", "value": v} for k, v in enumerate(values)]
    edges = []
    for k, (op, a, b) in enumerate(ops):
        earlier = [n["id"] for n in nodes]
        nodes.append({"id": f"o{k}", "op": op})
        for port, pick in enumerate((a, b)[:OPS[op].arity]):
            edges.append({"source": earlier[pick % len(earlier)], "target": f"o{k}", "port": port})
    return ComputationGraph.from_dict({"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges,
                                       "output": nodes[-1]["id"]})


@settings(max_examples=120, deadline=None)
@given(PROGRAM, VALUE_EDITS, st.booleans())
def test_value_edits_on_complete_programs_walk_the_cone_to_the_same_bits(program, value_edits, always):
    full = cone.FULL
    cone.FULL = 1.0 if always else full
    try:
        check_value_edits(program_graph(program), value_edits)
    finally:
        cone.FULL = full


def check_value_edits(edits, value_edits):
    if isinstance(edits, ComputationGraph):
        g = edits
    else:
        g, counter = ComputationGraph(), counter_from()
        for edit in edits:
            apply_drawn(g, edit, counter)
    inputs = [n for n in g.g if g.g.nodes[n]["op"] == "input"]
    if not inputs:
        return
    check_against_scratch(g)
    g.changes()
    for i, value in value_edits:
        before = evaluated(g)
        g.apply({"type": "set_value", "id": inputs[i % len(inputs)], "value": value})
        after_scratch = evaluated(ComputationGraph.from_dict(g.to_dict()))
        changes = g.changes()
        assert evaluated(g) == after_scratch
        ids = before["ids"]
        assert changes.values == {ids[k] for k, (x, y) in enumerate(zip(before["vals"], after_scratch["vals"]))
                                  if x != y}
        try:
            out = g.output_node()
        except GraphError:
            out = None
        if out is not None and not g.plan.incomplete and out in before:
            (g0, e0, _), (g1, e1, _) = before[out], after_scratch[out]
            assert changes.grads == {ids[k] for k in range(len(ids)) if g0[k] != g1[k] or e0[k] != e1[k]}


def chain_with_fan_out(n: int) -> dict:
    """x feeds every add of a chain: x's gradient sums n terms, so their order shows."""
    nodes = [{"id": "x", "op": "input", "value": 1.01}, {"id": "c", "op": "input", "value": 1e-3}]
    edges, prev = [], "c"
    for k in range(n):
        nodes.append({"id": f"m{k}", "op": "mul"})
        nodes.append({"id": f"a{k}", "op": "add"})
        edges += [{"source": "x", "target": f"m{k}", "port": 0}, {"source": prev, "target": f"m{k}", "port": 1},
                  {"source": f"m{k}", "target": f"a{k}", "port": 0}, {"source": "x", "target": f"a{k}", "port": 1}]
        prev = f"a{k}"
    return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": prev}


def two_branches(n_left: int, n_right: int) -> dict:
    """out = left + right, each branch a chain of (mul, add) pairs on its own inputs."""
    doc = {"format": "gradcanvas", "version": 1, "nodes": [], "edges": [], "output": "out"}
    for side, n in (("l", n_left), ("r", n_right)):
        part = chain_with_fan_out(n)
        rename = lambda nid: f"{side}_{nid}"  # noqa: E731
        doc["nodes"] += [dict(node, id=rename(node["id"])) for node in part["nodes"]]
        doc["edges"] += [dict(e, source=rename(e["source"]), target=rename(e["target"])) for e in part["edges"]]
    doc["nodes"].append({"id": "out", "op": "add"})
    doc["edges"] += [{"source": f"l_a{n_left - 1}", "target": "out", "port": 0},
                     {"source": f"r_a{n_right - 1}", "target": "out", "port": 1}]
    return doc


def test_a_value_edit_recomputes_only_its_cone_forward_and_backward():
    g = ComputationGraph.from_dict(two_branches(150, 30))
    g.changes()
    g.apply({"type": "set_value", "id": "r_c", "value": 2e-3})
    plan = g.plan
    cone = plan.positions_downstream(["r_c"])
    assert len(cone) == 61 < len(plan.steps) == 361  # the right branch and the sum, not the left
    changes = g.changes()
    right = {n for n in g.g if n.startswith("r_")}
    assert changes.values == right - {"r_x"} | {"out"}
    # The sum passes 1.0 to each branch whatever the values: the left's gradients stand.
    # x's gradient depends on c; c's own (a product of x's) does not.
    assert changes.grads <= right and "r_x" in changes.grads and "r_c" not in changes.grads
    g.apply({"type": "set_value", "id": "r_c", "value": 3e-3})
    assert g.plan is plan
    plan.run_backward(plan.index["out"])
    touched = plan.touched_grads[plan.index["out"]]
    assert touched is not None  # the cone was used, not a full pass, and it stayed on the right
    assert touched and all(plan.ids[i].startswith("r_") or plan.ids[i] == "out" for i in touched)
    assert evaluated(g) == evaluated(ComputationGraph.from_dict(g.to_dict()))


def test_a_value_edit_off_the_path_to_the_output_changes_no_gradient():
    g = ComputationGraph.from_dict(chain_with_fan_out(20))
    g.apply({"type": "add_node", "node": {"id": "late", "op": "input", "value": 2.0}})
    g.apply({"type": "add_node", "node": {"id": "end", "op": "mul"}})
    g.apply({"type": "connect", "source": "a19", "target": "end", "port": 0})
    g.apply({"type": "connect", "source": "late", "target": "end", "port": 1})
    assert g.changes() == Changes(None, None)  # structural edits: everything is to be sent
    g.apply({"type": "set_value", "id": "late", "value": 3.0})
    assert g.plan.positions_downstream(["late"]) == [len(g.plan.steps) - 1]  # one step, not 41
    assert g.changes() == Changes(frozenset({"late", "end"}), frozenset())  # the output is a19
    g.apply({"type": "set_output", "id": "end"})
    assert g.changes() == Changes(frozenset(), None)  # another output: every gradient is new
    g.apply({"type": "set_value", "id": "late", "value": 3.0})
    assert g.changes() == Changes(frozenset(), frozenset())  # the same value: nothing changed


def test_a_structural_edit_keeps_the_order():
    g = ComputationGraph.from_dict(chain_with_fan_out(50))
    order = list(g._order.nodes)
    g.apply({"type": "add_node", "node": {"id": "y", "op": "input", "value": 1.0}})
    assert g._order.nodes == order[:2] + ["y"] + order[2:]  # level 0, last in the document
    g.apply({"type": "add_node", "node": {"id": "z", "op": "neg"}})
    g.apply({"type": "connect", "source": "a49", "target": "z", "port": 0})
    assert g._order.nodes == order[:2] + ["y"] + order[2:] + ["z"]
    g.apply({"type": "remove_node", "id": "y"})
    assert g._order.nodes == order + ["z"]  # removing keeps the order minus the removed
    g.apply({"type": "remove_node", "id": "m3"})  # a3 and what follows fall a level: they move
    assert g._order.nodes.index("a3") < g._order.nodes.index("a2")
    check_against_scratch(g)


def test_an_edge_against_the_order_moves_only_what_it_must():
    g = ComputationGraph.from_dict({"format": "gradcanvas", "version": 1, "nodes": [
        {"id": "a", "op": "input"}, {"id": "n", "op": "neg"}, {"id": "m", "op": "neg"}, {"id": "b", "op": "input"}],
        "edges": [{"source": "a", "target": "n", "port": 0}]})
    assert g._order.nodes == ["a", "m", "b", "n"]
    g.apply({"type": "connect", "source": "n", "target": "m", "port": 0})  # m now follows n
    assert g._order.nodes == ["a", "b", "n", "m"]
    g.apply({"type": "disconnect", "target": "n", "port": 0})  # n and then m fall back
    assert g._order.nodes == ["a", "n", "b", "m"]
    check_against_scratch(g)
    assert nx.is_directed_acyclic_graph(g.g)
