"""ComputationGraph: the book's examples, refused edits, atomic batches, inverses,
incremental recompute and step events."""
import copy
import math

import pytest

import server.engine.layers  # noqa: F401
from server.engine.display import fmt
from server.engine.document import GraphError
from server.teaching.examples import NAMES, example_doc
from server.engine.graph import ComputationGraph
from server.engine.layers import AddLayer, MulLayer, NegLayer

from conftest import evaluation


def doc(nodes, edges, output=None):
    return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": output}


def wire(*triples):
    return [{"source": s, "target": t, "port": p} for s, t, p in triples]


def example(name):
    return ComputationGraph.from_dict(example_doc(name))


def snapshot(g):
    """Everything observable about a graph: its document and its numbers."""
    return copy.deepcopy(g.to_dict()), g.forward(), g.backward()


# -- the book's examples -------------------------------------------------------
def test_doughnut_costs_220_with_the_books_gradients():
    g = example("doughnut")
    values, grads = g.forward(), g.backward()
    assert values["m1"] == pytest.approx(200)
    assert values["m2"] == pytest.approx(220)
    assert grads["doughnut"] == pytest.approx(2.2)
    assert grads["count"] == pytest.approx(110)
    assert grads["tax"] == pytest.approx(200)
    assert grads["m1"] == pytest.approx(1.1) and grads["m2"] == 1.0


def test_doughnut_numbers_display_exactly_as_in_the_book():
    g = example("doughnut")
    values, grads = g.forward(), g.backward()
    assert fmt(values["m2"]) == "220"  # 220.00000000000003 underneath
    assert (fmt(grads["doughnut"]), fmt(grads["count"]), fmt(grads["tax"])) == ("2.2", "110", "200")


def test_doughnut_and_cupcake_cost_715_with_the_books_gradients():
    g = example("doughnut_cupcake")
    values, grads = g.forward(), g.backward()
    assert values["a1"] == pytest.approx(650)
    assert values["m3"] == pytest.approx(715)
    expected = {"doughnut": 2.2, "dcount": 110, "cupcake": 3.3, "ccount": 165, "tax": 650,
                "m1": 1.1, "m2": 1.1, "a1": 1.1, "m3": 1}
    assert grads == pytest.approx(expected)
    assert [fmt(grads[k]) for k in expected] == ["2.2", "110", "3.3", "165", "650", "1.1", "1.1", "1.1", "1"]
    assert fmt(values["m3"]) == "715"


def test_sigmoid_neuron_gradient_is_out_times_one_minus_out():
    g = example("sigmoid_neuron")
    values, grads = g.forward(), g.backward()
    y = 1 / (1 + math.exp(-(0.5 * 2 - 0.5)))
    assert values["y"] == pytest.approx(y)
    assert grads["z"] == pytest.approx(y * (1 - y))
    assert grads["w"] == pytest.approx(y * (1 - y) * 2)
    assert grads["x"] == pytest.approx(y * (1 - y) * 0.5)
    assert grads["b"] == pytest.approx(y * (1 - y))


@pytest.mark.parametrize("x", [3.0, -1.5, 0.0, 1e3])
def test_x_times_x_has_gradient_2x(x):
    g = ComputationGraph.from_dict(doc([{"id": "x", "op": "input", "value": x}, {"id": "sq", "op": "mul"}],
                                       wire(("x", "sq", 0), ("x", "sq", 1))))
    assert g.forward()["sq"] == x * x
    assert g.backward()["x"] == 2 * x


def test_fan_out_accumulates_gradients_x_times_x_plus_x_is_7_at_3():
    g = example("x_times_x")
    assert g.forward()["out"] == 12
    assert g.backward()["x"] == 7  # 3 + 3 from x·x, 1 from + x


def test_fan_out_into_many_nodes_sums_every_path():
    nodes = [{"id": "x", "op": "input", "value": 2.0}] + \
            [{"id": f"n{k}", "op": "neg"} for k in range(5)] + \
            [{"id": f"s{k}", "op": "add"} for k in range(4)]
    edges = wire(*[("x", f"n{k}", 0) for k in range(5)], ("n0", "s0", 0), ("n1", "s0", 1),
                 *[(f"s{k-1}", f"s{k}", 0) for k in range(1, 4)], *[(f"n{k+1}", f"s{k}", 1) for k in range(1, 4)])
    g = ComputationGraph.from_dict(doc(nodes, edges))
    assert g.forward()["s3"] == -10
    assert g.backward()["x"] == -5


# -- refused edits leave the graph unchanged --------------------------------------
def chain():
    """a → n1 → n2 (neg, neg); b → s (add) with port 1 free; n2 → s port 0."""
    return ComputationGraph.from_dict(doc(
        [{"id": "a", "op": "input", "value": 2}, {"id": "n1", "op": "neg"}, {"id": "n2", "op": "neg"},
         {"id": "b", "op": "input", "value": 5}, {"id": "s", "op": "add"}],
        wire(("a", "n1", 0), ("n1", "n2", 0), ("n2", "s", 0), ("b", "s", 1))))


REFUSALS = [
    # (edit op, words that must be in the message)
    ({"type": "add_node", "node": {"id": "m", "op": "mull"}}, ["unknown op 'mull'", "did you mean 'mul'"]),
    ({"type": "connect", "source": "a", "target": "s", "port": 2}, ["port 2", "out of range", "'s'"]),
    ({"type": "connect", "source": "a", "target": "n1", "port": 1}, ["out of range", "'n1'"]),
    ({"type": "connect", "source": "b", "target": "a", "port": 0}, ["'a'", "input node"]),
    ({"type": "connect", "source": "a", "target": "s", "port": 1}, ["already wired", "'s'", "'b'"]),
    ({"type": "connect", "source": "a", "target": "s", "port": True}, ["out of range"]),
    ({"type": "connect", "source": "zz", "target": "s", "port": 0}, ["no node", "'zz'"]),
    ({"type": "connect", "source": "a", "target": "zz", "port": 0}, ["no node", "'zz'"]),
    ({"type": "remove_node", "id": "zz"}, ["no node", "'zz'"]),
    ({"type": "disconnect", "target": "zz", "port": 0}, ["no node", "'zz'"]),
    ({"type": "disconnect", "target": "n1", "port": 1}, ["not wired"]),
    ({"type": "disconnect", "target": "s", "port": True}, ["not wired"]),  # True == 1, but is no port
    ({"type": "set_value", "id": "zz", "value": 1}, ["no node", "'zz'"]),
    ({"type": "move_node", "id": "zz", "x": 1, "y": 1}, ["no node", "'zz'"]),
    ({"type": "add_node", "node": {"id": "a", "op": "input"}}, ["duplicate id", "'a'"]),
    ({"type": "set_value", "id": "a", "value": "3"}, ["must be a number", "'3'"]),
    ({"type": "set_value", "id": "a", "value": None}, ["must be a number"]),
    ({"type": "set_value", "id": "a", "value": True}, ["must be a number"]),
    ({"type": "set_value", "id": "a", "value": math.nan}, ["finite"]),
    ({"type": "set_value", "id": "a", "value": math.inf}, ["finite"]),
    ({"type": "set_value", "id": "a", "value": -math.inf}, ["finite"]),
    ({"type": "set_value", "id": "n1", "value": 3}, ["'neg'", "only input nodes"]),
    ({"type": "move_node", "id": "a", "x": math.nan, "y": 0}, ["finite"]),
    ({"type": "add_node", "node": {"id": "v", "op": "input", "value": math.nan}}, ["value", "finite"]),
    ({"type": "add_node", "node": {"id": "v", "op": "add", "value": 3}}, ["only input nodes hold a value"]),
    ({"type": "add_node", "node": {"id": "v", "op": "input", "valu": 3}}, ["valu", "unknown field"]),
    ({"type": "set_params", "id": "n1", "params": {"exponent": 3}}, ["exponent", "unknown parameter"]),
    ({"type": "set_label", "id": "a", "label": 5}, ["label", "text"]),
    ({"type": "set_output", "id": "zz"}, ["no node", "'zz'"]),
    ({"type": "frobnicate"}, ["unknown edit type", "frobnicate"]),
    ({"type": "add_node", "node": {"id": "v", "op": "input"}, "index": 6}, ["index", "from 0 to 5"]),
    ({"type": "add_node", "node": {"id": "v", "op": "input"}, "index": -1}, ["index"]),
    ({"type": "add_node", "node": {"id": "v", "op": "input"}, "index": "0"}, ["index"]),
    ({"type": "connect", "source": "n2", "target": "n1", "port": 0, "index": 1}, ["already wired"]),
    ({"type": "set_value", "id": "a"}, ["set_value", "wrong fields"]),
    ({"type": "set_value", "id": "a", "value": 1, "extra": 2}, ["set_value", "wrong fields"]),
    ({"type": "set_value", "id": ["a"], "value": 1}, ["set_value"]),
    ({"type": "set_value", "id": "a", "value": 10 ** 400}, ["value of 'a'", "finite"]),
    ({"type": "move_node", "id": "a", "x": 10 ** 400, "y": 0}, ["finite"]),
    ({"type": "add_node", "node": {"id": "v", "op": "pow", "params": {"exponent": 10 ** 400}}}, ["exponent"]),
]


@pytest.mark.parametrize("op, words", REFUSALS, ids=[f"{k}-{op['type']}" for k, (op, _) in enumerate(REFUSALS)])
def test_a_refused_edit_says_why_and_leaves_the_graph_unchanged(op, words):
    g = chain()
    before = snapshot(g)
    with pytest.raises(GraphError) as err:
        g.apply(op)
    for w in words:
        assert w in str(err.value)
    assert snapshot(g) == before
    assert err.value.problems and all(isinstance(p, str) for p in err.value.problems)


def snapshot_structure(g):
    return copy.deepcopy(g.to_dict()), evaluation(g)


def test_a_cycle_is_refused_with_every_node_on_it_named():
    g = chain()
    g.disconnect("n1", 0)  # free n1's port so that only the cycle is wrong
    before = snapshot_structure(g)
    with pytest.raises(GraphError, match="cycle") as err:
        g.connect("s", "n1", 0)
    assert "n1 → n2 → s → n1" in str(err.value)
    assert snapshot_structure(g) == before


def test_connecting_a_node_to_itself_is_a_cycle():
    g = chain()
    g.disconnect("n1", 0)
    with pytest.raises(GraphError, match="n1 → n1"):
        g.connect("n1", "n1", 0)


def test_a_document_with_a_cycle_names_the_nodes_on_it():
    d = doc([{"id": "a", "op": "add"}, {"id": "b", "op": "neg"}, {"id": "c", "op": "input"}],
            wire(("a", "b", 0), ("b", "a", 0), ("c", "a", 1)))
    with pytest.raises(GraphError, match="cycle") as err:
        ComputationGraph.from_dict(d)
    assert "a → b → a" in str(err.value) or "b → a → b" in str(err.value)


def test_set_params_on_an_op_without_parameters_is_refused_and_changes_nothing():
    g = chain()
    before = snapshot(g)
    with pytest.raises(GraphError, match="param"):
        g.set_params("a", {})
    assert snapshot(g) == before


def test_adding_a_node_beyond_the_limit_is_refused():
    from server.engine.document import Limits
    g = ComputationGraph.from_dict(example_doc("doughnut"), Limits(max_nodes=5))
    before = snapshot(g)
    with pytest.raises(GraphError, match="limit"):
        g.add_node({"id": "extra", "op": "input"})
    assert snapshot(g) == before


# -- batches ----------------------------------------------------------------------
def test_a_batch_whose_third_op_fails_leaves_the_graph_as_before():
    g = example("doughnut_cupcake")
    before = snapshot(g)
    steps_before = [e["node"] for e in g.forward_steps()]
    batch = [
        {"type": "remove_node", "id": "m1"},                                  # takes 3 edges with it
        {"type": "set_value", "id": "tax", "value": 2.0},
        {"type": "connect", "source": "m3", "target": "m2", "port": 0},       # port taken: refused
        {"type": "add_node", "node": {"id": "never", "op": "input"}},
    ]
    with pytest.raises(GraphError) as err:
        g.apply_batch(batch)
    assert str(err.value).startswith("ops[2]: ")
    assert "already wired" in str(err.value)
    assert snapshot(g) == before
    assert [e["node"] for e in g.forward_steps()] == steps_before
    assert "never" not in g.g


def test_a_batch_that_succeeds_returns_its_changes_and_one_inverse_that_undoes_it_all():
    g = example("doughnut")
    before = snapshot(g)
    changes, inverse = g.apply_batch([
        {"type": "add_node", "node": {"id": "n", "op": "neg"}},
        {"type": "connect", "source": "m2", "target": "n", "port": 0},
        {"type": "set_output", "id": "n"},
        {"type": "set_value", "id": "count", "value": 3},
    ])
    assert [c["type"] for c in changes] == ["add_node", "connect", "set_output", "set_value"]
    assert g.forward()["n"] == pytest.approx(-330)
    assert g.backward()["count"] == pytest.approx(-110)
    g.apply_batch(inverse)
    assert snapshot(g) == before


def test_an_empty_or_malformed_batch_is_refused():
    g = example("doughnut")
    for bad in ([], None, "ops", [42]):
        with pytest.raises(GraphError):
            g.apply_batch(bad)


# -- inverse ops --------------------------------------------------------------------
INVERTIBLE = [
    {"type": "add_node", "node": {"id": "p", "op": "pow", "params": {"exponent": 3}, "x": 5, "y": 6}},
    {"type": "remove_node", "id": "m1"},
    {"type": "remove_node", "id": "doughnut"},
    {"type": "remove_node", "id": "m2"},          # the marked output
    {"type": "disconnect", "target": "m1", "port": 0},
    {"type": "connect", "source": "tax", "target": "a1", "port": 1},
    {"type": "set_value", "id": "tax", "value": 1.25},
    {"type": "set_label", "id": "tax", "label": "VAT"},
    {"type": "set_label", "id": "tax", "label": None},
    {"type": "set_label", "id": "m1", "label": "subtotal"},
    {"type": "set_params", "id": "sq", "params": {"exponent": 3}},
    {"type": "move_node", "id": "m1", "x": -40.5, "y": 1e4},
    {"type": "set_output", "id": "m1"},
    {"type": "set_output", "id": None},
]


def editable():
    """The doughnut plus a loose add and a pow, so every kind of edit has something to act on."""
    d = example_doc("doughnut")
    d["nodes"] += [{"id": "a1", "op": "add", "x": 1, "y": 2},
                   {"id": "sq", "op": "pow", "params": {"exponent": 2}}]
    d["edges"] += wire(("m1", "a1", 0), ("m2", "sq", 0))
    return ComputationGraph.from_dict(d)


@pytest.mark.parametrize("op", INVERTIBLE, ids=[f"{k}-{op['type']}" for k, op in enumerate(INVERTIBLE)])
def test_applying_an_edit_then_its_inverse_restores_the_graph_exactly(op):
    g = editable()
    before = copy.deepcopy(g.to_dict())
    state = evaluation(g)
    steps = [e["node"] for e in g.forward_steps()]
    change, inverse = g.apply(op)
    assert g.to_dict() != before
    for iop in inverse:
        g.apply(iop)
    assert g.to_dict() == before
    assert evaluation(g) == state
    assert [e["node"] for e in g.forward_steps()] == steps


SEQUENCE = [INVERTIBLE[k] for k in (0, 5, 6, 7, 10, 11, 12, 4, 3, 2)]  # each still valid after the ones before


def test_a_sequence_of_edits_replays_on_a_copy_and_undoes_in_reverse_to_the_start():
    g, replica = editable(), editable()
    start = copy.deepcopy(g.to_dict())
    undo = []
    for op in SEQUENCE:
        change, inverse = g.apply(op)
        undo.append(inverse)
        for c in change:
            replica.apply(c)
        assert replica.to_dict() == g.to_dict()
    assert sorted(n["id"] for n in g.to_dict()["nodes"]) == ["a1", "count", "m1", "p", "sq", "tax"]
    for inverse in reversed(undo):
        for iop in inverse:
            g.apply(iop)
    assert g.to_dict() == start
    assert evaluation(g) == evaluation(editable())


def test_add_node_and_connect_at_an_index_keep_document_order():
    g = chain()
    g.disconnect("n1", 0)
    change, _ = g.add_node({"id": "v", "op": "input", "value": 9}, index=1)
    assert change == [{"type": "add_node", "node": {"id": "v", "op": "input", "value": 9.0, "x": 0.0, "y": 0.0},
                       "index": 1}]
    assert [n["id"] for n in g.to_dict()["nodes"]] == ["a", "v", "n1", "n2", "b", "s"]
    g.connect("v", "n1", 0, index=0)
    assert g.to_dict()["edges"][0] == {"source": "v", "target": "n1", "port": 0}
    assert g.forward()["s"] == 9 + 5
    g.disconnect("s", 1)
    before = g.to_dict()
    with pytest.raises(GraphError, match="index must be a whole number from 0 to 3, got 5"):
        g.connect("b", "s", 1, index=5)
    assert g.to_dict() == before


# -- which node is wrong ------------------------------------------------------------
def test_an_ambiguous_output_names_the_candidates():
    g = ComputationGraph.from_dict(doc(
        [{"id": "a", "op": "input"}, {"id": "left", "op": "neg"}, {"id": "right", "op": "exp"}],
        wire(("a", "left", 0), ("a", "right", 0))))
    with pytest.raises(GraphError, match="ambiguous") as err:
        g.backward()
    assert "'left'" in str(err.value) and "'right'" in str(err.value)
    g.set_output("right")
    assert g.backward()["a"] == pytest.approx(1.0)


def test_an_input_sink_does_not_make_the_output_ambiguous():
    g = example("doughnut")
    g.set_output(None)
    g.add_node({"id": "loose", "op": "input", "value": 7})
    assert g.output_node() == "m2"


def test_an_empty_graph_has_no_output():
    with pytest.raises(GraphError, match="empty"):
        ComputationGraph().backward()


def test_an_unwired_op_input_names_the_node_and_port():
    g = example("doughnut")
    g.disconnect("m2", 1)
    with pytest.raises(GraphError) as err:
        g.forward()
    assert "'m2'" in str(err.value) and "port 1 (y)" in str(err.value)
    state = evaluation(g)  # lenient: everything computable is still there
    assert state["values"]["m1"] == 200
    assert "m2" not in state["values"]
    assert "port 1 (y) not wired" in state["errors"]["m2"]


def test_nodes_downstream_of_an_unwired_port_cannot_be_computed_and_say_why():
    g = example("doughnut_cupcake")
    g.disconnect("m1", 0)
    state = evaluation(g)
    assert "m1" not in state["values"] and "a1" not in state["values"]
    assert "'m1'" in state["errors"]["a1"]
    assert state["values"]["m2"] == 450
    with pytest.raises(GraphError, match="'m1'"):
        g.backward()


# -- incremental recompute ----------------------------------------------------------
def test_set_value_then_forward_equals_a_fresh_evaluation():
    g = example("doughnut_cupcake")
    g.forward(), g.backward()
    g.set_value("cupcake", 120)
    g.set_value("tax", 1.08)
    fresh = ComputationGraph.from_dict(g.to_dict())
    assert g.forward() == fresh.forward()
    assert g.backward() == fresh.backward()
    assert g.forward()["m3"] == pytest.approx((200 + 360) * 1.08)


def count_calls(monkeypatch, cls):
    calls = []
    original = cls.forward

    def forward(self, *args):
        calls.append(args)
        return original(self, *args)
    monkeypatch.setattr(cls, "forward", forward)
    return calls


def test_set_value_recomputes_only_the_steps_downstream(monkeypatch):
    muls = count_calls(monkeypatch, MulLayer)
    adds = count_calls(monkeypatch, AddLayer)
    g = example("doughnut_cupcake")   # the plan binds the counting forward
    g.forward()
    assert (len(muls), len(adds)) == (3, 1)
    muls.clear(), adds.clear()
    g.set_value("cupcake", 120)
    g.forward()
    assert muls == [(120.0, 3.0), (560.0, 1.1)]  # m2 and m3; m1 is not recomputed
    assert adds == [(200.0, 360.0)]
    muls.clear(), adds.clear()
    g.set_value("tax", 2.0)
    g.forward()
    assert muls == [(560.0, 2.0)] and adds == []
    muls.clear()
    g.forward(), g.backward(), evaluation(g)
    assert muls == [] and adds == []  # nothing changed: nothing runs


def test_incremental_recompute_clears_and_sets_faults():
    g = ComputationGraph.from_dict(doc(
        [{"id": "a", "op": "input", "value": 1}, {"id": "l", "op": "log"}, {"id": "n", "op": "neg"},
         {"id": "b", "op": "input", "value": 5}, {"id": "e", "op": "exp"}],
        wire(("a", "l", 0), ("l", "n", 0), ("b", "e", 0))))
    assert g.faults() == {}
    g.set_value("a", -1)
    assert set(g.faults()) == {"l"} and g.affected() == {"n"}
    g.set_value("b", 1000)
    assert set(g.faults()) == {"l", "e"}
    g.set_value("a", math.e)
    assert set(g.faults()) == {"e"}
    assert g.forward()["n"] == pytest.approx(-1)
    assert g.affected() == set()


def test_set_value_on_many_inputs_matches_a_fresh_evaluation_of_a_larger_graph():
    nodes = [{"id": f"i{k}", "op": "input", "value": k / 10} for k in range(30)]
    edges = []
    prev = "i0"
    for k in range(1, 30):
        op = ("add", "mul", "sub")[k % 3]
        nodes.append({"id": f"o{k}", "op": op})
        edges += wire((prev, f"o{k}", 0), (f"i{k}", f"o{k}", 1))
        nodes.append({"id": f"t{k}", "op": "tanh"})
        edges += wire((f"o{k}", f"t{k}", 0))
        prev = f"t{k}"
    g = ComputationGraph.from_dict(doc(nodes, edges))
    g.forward()
    for k in (3, 17, 29):
        g.set_value(f"i{k}", -k / 7)
    fresh = ComputationGraph.from_dict(g.to_dict())
    assert g.forward() == fresh.forward()
    assert g.backward() == fresh.backward()


def test_a_structural_change_after_set_value_still_evaluates_correctly():
    g = example("doughnut")
    g.forward()
    g.set_value("tax", 2)
    g.add_node({"id": "n", "op": "neg"})
    g.connect("m2", "n", 0)
    assert g.forward()["n"] == -400
    g.set_value("count", 3)
    assert g.forward()["n"] == -600
    assert g.backward("n")["count"] == -200
    assert g.backward()["count"] == 200  # the marked output is still m2


def test_set_params_rebuilds_the_layer_with_the_new_exponent():
    g = ComputationGraph.from_dict(doc([{"id": "x", "op": "input", "value": 2}, {"id": "p", "op": "pow"}],
                                       wire(("x", "p", 0))))
    assert g.forward()["p"] == 4 and g.backward()["x"] == 4
    g.set_params("p", {"exponent": 3})
    assert g.forward()["p"] == 8 and g.backward()["x"] == 12


# -- step events --------------------------------------------------------------------
def test_forward_steps_of_the_doughnut_carry_each_value_with_its_arithmetic():
    events = list(example("doughnut").forward_steps())
    assert [e["phase"] for e in events] == ["forward"] * 5
    assert [e["index"] for e in events] == [1, 2, 3, 4, 5] and {e["total"] for e in events} == {5}
    by_node = {e["node"]: e for e in events}
    assert [by_node[n]["value"] for n in ("doughnut", "count", "tax", "m1")] == [100, 2, 1.1, 200]
    assert by_node["m2"]["value"] == pytest.approx(220)
    assert by_node["m1"]["inputs"] == [100, 2]
    assert by_node["m1"]["text"] == "m1 = doughnut × count = 100 × 2 = 200"
    assert by_node["m2"]["text"] == "m2 = m1 × tax = 200 × 1.1 = 220"
    assert by_node["tax"]["text"] == "tax = 1.1"
    assert by_node["m1"]["edges"] == [{"source": "m1", "target": "m2", "port": 0, "value": 200, "value_text": "200"}]
    # every node comes after the nodes it reads
    order = [e["node"] for e in events]
    assert order.index("m1") > max(order.index("doughnut"), order.index("count"))
    assert order.index("m2") > max(order.index("m1"), order.index("tax"))


def test_backward_steps_of_the_doughnut_carry_dout_as_grad_and_edge_gradients():
    events = list(example("doughnut").backward_steps())
    assert [e["node"] for e in events][:2] == ["m2", "m1"]
    by_node = {e["node"]: e for e in events}
    assert by_node["m2"]["grad"] == 1 and by_node["m1"]["grad"] == pytest.approx(1.1)
    assert not any("dout" in e for e in events)  # grad is the node's dout; no second copy
    edge_grads = {(e["source"], e["target"]): e["grad"] for ev in events for e in ev["edges"]}
    assert edge_grads == pytest.approx({("m1", "m2"): 1.1, ("tax", "m2"): 200,
                                        ("doughnut", "m1"): 2.2, ("count", "m1"): 110})
    rules = [r["text"] for r in by_node["m1"]["rules"]]
    assert rules == ["dx = dout · y = 1.1 × 2 = 2.2", "dy = dout · x = 1.1 × 100 = 110"]
    # a rule's port is the port index, as in edges; its name is beside it
    assert [(r["port"], r["port_name"]) for r in by_node["m1"]["rules"]] == [(0, "x"), (1, "y")]
    assert "dx = dout · y = 1.1 × 2 = 2.2" in by_node["m1"]["text"]
    assert by_node["m2"]["text"].startswith("∂L/∂m2 = 1")
    assert by_node["doughnut"]["text"] == "∂L/∂doughnut = 2.2"
    assert by_node["doughnut"]["grad"] == pytest.approx(2.2)


def test_backward_step_at_a_fan_out_shows_the_sum_of_what_arrives():
    events = {e["node"]: e for e in example("x_times_x").backward_steps()}
    x = events["x"]
    assert x["grad"] == 7
    assert sorted(t["grad"] for t in x["dout_terms"]) == [1, 3, 3]
    assert x["text"].startswith("dout = 3 + 3 + 1 = 7")
    assert "sum of the 3 gradients" in x["text"]


def test_backward_steps_use_the_same_numbers_as_backward():
    g = example("doughnut_cupcake")
    grads = g.backward()
    events = list(g.backward_steps())
    assert {e["node"]: e["grad"] for e in events} == grads


def test_forward_step_of_a_faulted_node_carries_its_fault():
    g = ComputationGraph.from_dict(doc([{"id": "a", "op": "input", "value": -1}, {"id": "l", "op": "log"}],
                                       wire(("a", "l", 0))))
    events = {e["node"]: e for e in g.forward_steps()}
    assert "domain" in events["l"]["fault"]
    assert events["l"]["text"] == "l = log(a) = log(\u22121) = NaN"
    assert "fault" not in events["a"]


def test_step_texts_parenthesise_negative_operands_of_binary_ops():
    g = ComputationGraph.from_dict(doc([{"id": "a", "op": "input", "value": -2}, {"id": "b", "op": "input", "value": 3},
                                        {"id": "m", "op": "mul"}, {"id": "p", "op": "pow"}],
                                       wire(("a", "m", 0), ("b", "m", 1), ("a", "p", 0)), output="m"))
    events = {e["node"]: e for e in g.forward_steps()}
    assert events["m"]["text"] == "m = a × b = (\u22122) × 3 = \u22126"
    assert events["p"]["text"] == "p = a^2 = (\u22122)^2 = 4"
    back = {e["node"]: e for e in g.backward_steps()}
    assert back["m"]["rules"][0]["text"] == "dx = dout · y = 1 × 3 = 3"
    assert back["m"]["rules"][1]["text"] == "dy = dout · x = 1 × (\u22122) = \u22122"


def test_every_example_evaluates_without_faults():
    for name in NAMES:
        g = example(name)
        g.forward(), g.backward()
        assert g.faults() == {} and g.affected() == set()
