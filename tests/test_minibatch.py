"""Mini-batch SGD of the two-layer net on a dataset (teaching/minibatch.py): the book's
train_neuralnet.py loop, checked against the book's numpy TwoLayerNet, and the service's
one-edit-per-training-call with the loss and accuracy curves."""
import numpy as np
import pytest

from server.engine.document import GraphError
from server.engine.graph import ComputationGraph
from server.service import GraphService
from server.service.delta import apply
from server.store import SQLiteStore
from server.service.sessions import Sessions
from server.teaching import minibatch
from server.teaching.datasets import moons, spiral
from server.teaching.examples import example_doc

from test_tensor_net import book_softmax, book_two_layer_net

PARAMS = ("W1", "b1", "W2", "b2")


def net() -> ComputationGraph:
    return ComputationGraph.from_dict(example_doc("two_layer_net"))


def params_of(graph) -> dict:
    return {p: np.array(graph.node(p)["value"]) for p in PARAMS}


def sent(service) -> list:
    out = []
    service.outbox.drain(out.append)
    return out


def book_loss_and_accuracy(p, x, t):
    """The book's TwoLayerNet.loss and .accuracy on the whole set (numpy, not the engine)."""
    loss, _ = book_two_layer_net(p, x, t)
    scores = np.maximum(x @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]
    return loss, float(np.mean(np.argmax(book_softmax(scores), axis=1) == np.argmax(t, axis=1)))


def test_training_on_the_spiral_lowers_the_loss_and_raises_the_accuracy():
    graph, source = net(), minibatch.Source()
    x, t = spiral(100, 3, seed=0)
    loss0, acc0 = book_loss_and_accuracy(params_of(graph), x, t)
    ops, losses, accuracies = minibatch.train(graph, source, 150)
    graph.apply_batch(ops)
    loss1, acc1 = book_loss_and_accuracy(params_of(graph), x, t)
    assert loss0 == pytest.approx(np.log(3), abs=1e-3)  # the book's 0.01 initialisation: a uniform guess
    assert loss1 < loss0 - 0.3, (loss0, loss1)
    assert acc1 > acc0 + 0.25 and acc1 > 0.55, (acc0, acc1)
    assert len(losses) == len(accuracies) == 150
    assert accuracies[-1] == pytest.approx(acc1)  # the recorded accuracy is the whole set's
    again = net()
    ops2, losses2, _ = minibatch.train(again, source, 150)
    assert losses2 == losses and ops2[-1] == ops[-1]  # seeded: the same run every time


def test_one_step_is_p_minus_lr_grad_of_the_batch_in_x_and_t():
    graph, source = net(), minibatch.Source()
    x, t = np.array(graph.node("x")["value"]), np.array(graph.node("t")["value"])
    p = params_of(graph)
    _, grads = book_two_layer_net(p, x, t)
    ops, [loss], _ = minibatch.train(graph, source, 1)
    new = {op["id"]: np.asarray(op["value"]) for op in ops if op["type"] == "set_value"}
    for name in PARAMS:
        np.testing.assert_allclose(new[name], p[name] - 1.0 * grads[name], rtol=1e-12, atol=1e-15)
    spec = graph.dataset  # the graph is as it was: the caller commits the ops
    assert spec["drawn"] == 1 and ops[-1] == {"type": "set_dataset", "dataset": {**spec, "drawn": 2}}
    bx, bt = minibatch.draw(source.data(spec), spec, 1)  # the next batch is loaded …
    np.testing.assert_array_equal(new["x"], bx)
    np.testing.assert_array_equal(new["t"], bt)
    want, _ = book_two_layer_net({k: new[k] for k in PARAMS}, bx, bt)
    assert loss == pytest.approx(want, rel=1e-12)  # … and the loss recorded is on it, as the canvas shows


def test_batches_are_the_books_random_choice_from_a_seeded_generator():
    spec = {"name": "spiral", "seed": 4, "batch": 30, "drawn": 0, "x": "x", "t": "t"}
    data = minibatch.Source().data(spec)
    x1, t1 = minibatch.draw(data, spec, 3)
    x2, t2 = minibatch.draw(data, spec, 3)
    np.testing.assert_array_equal(x1, x2)
    rows = np.random.default_rng([4, 3]).choice(300, 30)
    np.testing.assert_array_equal(x1, spiral(100, 3, seed=4)[0][rows])
    np.testing.assert_array_equal(t1, spiral(100, 3, seed=4)[1][rows])
    assert not np.array_equal(x1, minibatch.draw(data, spec, 4)[0])


def test_the_moons_are_seeded_two_classes():
    x, t = moons(300, seed=1)
    assert x.shape == (300, 2) and t.shape == (300, 2) and (t.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(x, moons(300, seed=1)[0])
    assert t[:150, 0].all() and t[150:, 1].all()
    graph = ComputationGraph.from_dict(example_doc("two_layer_net_moons"))
    assert graph.dataset["name"] == "moons" and np.shape(graph.node("t")["value"]) == (30, 2)


def test_accuracy_runs_the_graph_on_the_whole_set_and_puts_x_back():
    graph, source = net(), minibatch.Source()
    ops, _, _ = minibatch.train(graph, source, 40)
    graph.apply_batch(ops)
    x_before = np.array(graph.node("x")["value"])
    x, t = spiral(100, 3, seed=0)
    assert minibatch.accuracy(graph, source.data(graph.dataset)) == \
        pytest.approx(book_loss_and_accuracy(params_of(graph), x, t)[1])
    np.testing.assert_array_equal(graph.node("x")["value"], x_before)


def test_next_batch_loads_x_and_t_and_keeps_the_parameters():
    graph, source = net(), minibatch.Source()
    p = params_of(graph)
    graph.apply_batch(minibatch.next_batch(graph, source))
    spec = graph.dataset
    bx, bt = minibatch.draw(source.data(spec), spec, 1)
    np.testing.assert_array_equal(graph.node("x")["value"], bx)
    np.testing.assert_array_equal(graph.node("t")["value"], bt)
    assert spec["drawn"] == 2 and all(np.array_equal(graph.node(k)["value"], p[k]) for k in PARAMS)


def test_a_dataset_whose_inputs_are_gone_is_refused_clearly():
    graph = net()
    graph.apply_batch([{"type": "remove_node", "id": "t"}])
    with pytest.raises(GraphError, match="the dataset's t is 't', which is no input node"):
        minibatch.next_batch(graph, minibatch.Source())
    graph = net()
    graph.apply_batch([{"type": "set_dataset", "dataset": {**graph.dataset, "name": "mnist"}}])
    with pytest.raises(GraphError, match="no MNIST files were given"):
        minibatch.train(graph, minibatch.Source(), 1)


# -- the document's dataset field ----------------------------------------------------------
def test_the_dataset_field_round_trips_and_is_checked_with_its_location():
    doc = example_doc("two_layer_net")
    assert doc["dataset"] == {"name": "spiral", "seed": 0, "batch": 30, "drawn": 1, "x": "x", "t": "t"}
    assert ComputationGraph.from_dict(doc).to_dict()["dataset"] == doc["dataset"]
    with pytest.raises(GraphError) as err:
        ComputationGraph.from_dict({**doc, "dataset": {"name": "cifar", "batch": 0, "sed": 1}})
    text = "\n".join(err.value.problems)
    assert "dataset.name" in text and "dataset.batch" in text and "dataset.sed: unknown field" in text
    plain = example_doc("doughnut")
    assert "dataset" not in ComputationGraph.from_dict(plain).to_dict()  # documents without one: as before


def test_set_dataset_is_an_edit_with_its_inverse():
    graph = net()
    old = graph.dataset
    change, inverse = graph.apply({"type": "set_dataset", "dataset": {"name": "moons", "batch": 30}})
    assert graph.dataset == {"name": "moons", "seed": 0, "batch": 30, "drawn": 0, "x": "x", "t": "t"}
    assert inverse == [{"type": "set_dataset", "dataset": old}]
    with pytest.raises(GraphError, match="dataset.seed"):
        graph.apply({"type": "set_dataset", "dataset": {"name": "moons", "batch": 30, "seed": -1}})
    graph.apply_batch(inverse)
    assert graph.dataset == old


# -- the service: one training call, one edit -------------------------------------------------
def test_a_training_call_is_one_version_one_patch_and_one_undo(tmp_path):
    store = SQLiteStore.in_dir(tmp_path)
    service = Sessions(store=store).create(example_doc("two_layer_net"))
    before = service.graph.to_dict()
    reply = service.train(20, "alice").reply
    assert reply["version"] == 1 and len(reply["losses"]) == len(reply["accuracy"]) == 21
    assert reply["accuracy_text"].endswith("%") and reply["losses"][-1] < reply["losses"][0]
    assert [m.event for m in sent(service)] == ["patch"]
    state = service.state()
    assert state["learning"]["dataset"] == {"name": "spiral", "seed": 0, "batch": 30, "drawn": 21,
                                            "available": True, "size": 300, "eval_size": 300, "eval_of": "all"}
    service.undo("alice")
    assert service.graph.to_dict() == before  # parameters, x, t and the count of batches drawn
    store.close()


def test_patches_of_training_and_next_batch_bring_the_room_to_the_state():
    service = GraphService(net(), "g")
    room = service.state()
    for act in (lambda: service.train(3, "a"), lambda: service.next_batch("a"), lambda: service.train(1, "a")):
        act()
        for m in sent(service):
            payload = m.payload
            room = apply(room, payload["delta"]) if "delta" in payload else payload["state"]
        assert room == service.state()
    learning = service.state()["learning"]
    assert len(learning["losses"]) == len(learning["accuracy"]) == 5  # next batch keeps the curves
    assert learning["dataset"]["drawn"] == 6


def test_the_curves_outlive_the_process(tmp_path):
    store = SQLiteStore.in_dir(tmp_path)
    service = Sessions(store=store).create(example_doc("two_layer_net"))
    service.train(5, "a")
    want = service.state()["learning"]
    store.close()
    again = Sessions(store=SQLiteStore.in_dir(tmp_path)).get(service.id)
    got = again.state()["learning"]
    assert got["losses"] == want["losses"] and got["accuracy"] == want["accuracy"] and len(got["accuracy"]) == 6
