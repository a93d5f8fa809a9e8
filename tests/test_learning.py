"""The gradient-descent step: trainable inputs, the learning rate, update, the loss curve."""
import math

import pytest

from server.engine.document import GraphError, validate
from server.teaching.examples import example_doc
from server.teaching.gradcheck import check_gradients
from server.engine.graph import ComputationGraph
from server.teaching.learning import MAX_UPDATES, loss, train, update_ops
from server.service import GraphService
from server.service.delta import apply

from conftest import editor_join


def fit_session() -> GraphService:
    return GraphService(ComputationGraph.from_dict(example_doc("one_neuron_fit")), "fit")


def test_fit_example_marks_w_and_b_as_parameters_with_a_learning_rate():
    graph = ComputationGraph.from_dict(example_doc("one_neuron_fit"))
    assert graph.trainable() == ["w", "b"]
    assert graph.to_dict()["learning_rate"] == 0.5


def test_twenty_training_steps_lower_the_fit_loss_at_every_step():
    session = fit_session()
    first = loss(session.graph)
    losses = session.train(20).reply["losses"]
    assert len(losses) == 21 and losses[0] == pytest.approx(first)
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    assert losses[-1] < first / 100  # it visibly learns: 0.515 → about 0.001


def test_one_update_moves_each_parameter_against_its_numerical_gradient():
    # The oracle is a central difference, not the engine's own backward pass.
    graph = ComputationGraph.from_dict(example_doc("one_neuron_fit"))
    numeric = {c.node: c.numeric for c in check_gradients(graph)}
    ops = update_ops(graph)
    assert [op["id"] for op in ops] == ["w", "b"]
    for op, start in zip(ops, (-1.0, 0.5)):
        assert op["value"] == pytest.approx(start - 0.5 * numeric[op["id"]], rel=1e-7)


def test_train_leaves_the_graph_unchanged_and_returns_net_values():
    graph = ComputationGraph.from_dict(example_doc("one_neuron_fit"))
    ops, losses = train(graph, 3)
    assert graph.node("w")["value"] == -1.0 and graph.node("b")["value"] == 0.5
    assert len(losses) == 3 and [op["id"] for op in ops] == ["w", "b"]
    graph.apply_batch(ops)
    assert loss(graph) == pytest.approx(losses[-1])


def test_update_is_one_edit_that_an_inverse_undoes():
    session = fit_session()
    first = loss(session.graph)
    version = session.train(5).reply["version"]
    assert version == 1 and loss(session.graph) < first
    session.graph.apply_batch([{"type": "set_value", "id": "w", "value": -1.0},
                               {"type": "set_value", "id": "b", "value": 0.5}])
    assert loss(session.graph) == first


def test_update_without_parameters_is_refused():
    session = GraphService(ComputationGraph.from_dict(example_doc("doughnut")), "d")
    with pytest.raises(GraphError, match="mark at least one input as trainable"):
        session.train(1)
    assert session.version == 0 and session.training.losses == []


def test_diverging_update_is_refused_and_changes_nothing():
    doc = {"format": "gradcanvas", "version": 1, "learning_rate": 1e6,
           "nodes": [{"id": "a", "op": "input", "value": 3, "trainable": True},
                     {"id": "sq", "op": "mul"}],
           "edges": [{"source": "a", "target": "sq", "port": 0}, {"source": "a", "target": "sq", "port": 1}]}
    session = GraphService(ComputationGraph.from_dict(doc), "e")
    with pytest.raises(GraphError, match="lower the learning rate"):
        session.train(100)  # a ← a − 10⁶·2a grows 2·10⁶-fold a step, past the largest float
    assert session.graph.node("a")["value"] == 3.0 and session.version == 0


@pytest.mark.parametrize("count", [0, -1, 1.5, True, "all", MAX_UPDATES + 1])
def test_update_count_must_be_a_bounded_whole_number(count):
    with pytest.raises(GraphError, match="count must be a whole number"):
        fit_session().train(count)


def test_a_value_edit_starts_a_new_loss_curve_but_a_move_does_not():
    session = fit_session()
    session.train(2)
    session.edit([{"type": "move_node", "id": "w", "x": 5, "y": 5}])
    assert len(session.training.losses) == 3
    session.edit([{"type": "set_value", "id": "x", "value": 1.0}])
    assert session.training.losses == []
    assert session.state()["learning"]["losses"] == []


def test_set_trainable_and_learning_rate_are_edits_with_inverses():
    graph = ComputationGraph.from_dict(example_doc("doughnut"))
    change, inverse = graph.apply({"type": "set_trainable", "id": "tax", "trainable": True})
    assert graph.trainable() == ["tax"] and inverse == [{"type": "set_trainable", "id": "tax", "trainable": False}]
    _, inverse = graph.apply({"type": "set_learning_rate", "value": 0.01})
    assert graph.to_dict()["learning_rate"] == 0.01
    graph.apply_batch(inverse)
    assert "learning_rate" not in graph.to_dict()


@pytest.mark.parametrize("op, message", [
    ({"type": "set_trainable", "id": "m1", "trainable": True}, "only input nodes can be trainable"),
    ({"type": "set_trainable", "id": "tax", "trainable": "yes"}, "must be true or false"),
    ({"type": "set_learning_rate", "value": 0}, "greater than 0"),
    ({"type": "set_learning_rate", "value": float("nan")}, "finite number"),
    ({"type": "set_learning_rate", "value": "0.1"}, "finite number"),
])
def test_bad_learning_edits_are_refused_clearly(op, message):
    graph = ComputationGraph.from_dict(example_doc("doughnut"))
    before = graph.to_dict()
    with pytest.raises(GraphError, match=message):
        graph.apply(op)
    assert graph.to_dict() == before


def test_document_refuses_a_trainable_op_node_and_a_negative_rate():
    doc = example_doc("doughnut")
    doc["nodes"][2]["trainable"] = True
    doc["learning_rate"] = -1
    with pytest.raises(GraphError) as err:
        validate(doc)
    assert "nodes[2].trainable: only input nodes can be trainable parameters" in err.value.problems
    assert "learning_rate: must be greater than 0 and at most 1,000,000" in err.value.problems


def test_update_event_broadcasts_one_patch_with_the_loss_curve(app, socket_client):
    session = app.extensions["gradcanvas.sessions"].create(example_doc("one_neuron_fit"))
    a, b = socket_client(), socket_client()
    for c in (a, b):
        joined = c.emit("join", editor_join(app, session.id), callback=True)
        c.get_received()
    ack = a.emit("update", {"graph_id": session.id, "count": 20}, callback=True)
    assert ack["ok"] and ack["version"] == 1 and len(ack["losses"]) == 21
    patches = [m["args"][0] for m in b.get_received() if m["name"] == "patch"]
    assert len(patches) == 1
    assert [op["type"] for op in patches[0]["ops"]] == ["set_value", "set_value"]
    learning = apply(joined["state"], patches[0]["delta"])["learning"]  # what b's page has after the patch
    assert learning["trainable"] == ["w", "b"] and learning["learning_rate_text"] == "0.5"
    assert learning["losses"] == ack["losses"] and not math.isnan(learning["losses"][-1])
    refused = a.emit("update", {"graph_id": session.id, "count": 0}, callback=True)
    assert refused["ok"] is False and "count must be" in refused["error"]
