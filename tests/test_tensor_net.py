"""The book's two-layer net as a document: the same loss and gradients as its numpy TwoLayerNet,
and `gradcanvas check` passes every parameter (the book's gradient_check.py)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from server.cli import main
from server.engine.graph import ComputationGraph
from server.teaching.datasets import spiral
from server.teaching.examples import example_doc
from server.teaching.twolayer import init_params, two_layer_net


# -- the book's ch05/two_layer_net.py, written out in numpy: the oracle ---------------
def book_softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def book_cross_entropy(y, t):
    if t.size == y.size:
        t = t.argmax(axis=1)
    n = y.shape[0]
    return -np.sum(np.log(y[np.arange(n), t] + 1e-7)) / n


def book_two_layer_net(p, x, t):
    """(loss, grads) as TwoLayerNet.loss and .gradient compute them (Affine, Relu, Affine, SoftmaxWithLoss)."""
    a1 = np.dot(x, p["W1"]) + p["b1"]
    mask = a1 <= 0
    z1 = a1.copy()
    z1[mask] = 0
    a2 = np.dot(z1, p["W2"]) + p["b2"]
    y = book_softmax(a2)
    loss = book_cross_entropy(y, t)
    n = t.shape[0]
    if t.size == y.size:
        da2 = (y - t) / n
    else:
        da2 = y.copy()
        da2[np.arange(n), t] -= 1
        da2 = da2 / n
    grads = {"W2": np.dot(z1.T, da2), "b2": np.sum(da2, axis=0)}
    dz1 = np.dot(da2, p["W2"].T)
    da1 = dz1.copy()
    da1[mask] = 0
    grads.update(W1=np.dot(x.T, da1), b1=np.sum(da1, axis=0), x=np.dot(da1, p["W1"].T))
    return loss, grads


@pytest.fixture
def batch():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 4))
    labels = np.array([0, 2, 1, 2, 0])
    return x, np.eye(3)[labels], labels, init_params(4, 6, 3, weight_init_std=0.5, seed=3)


def test_two_layer_net_gives_the_books_loss_and_gradients_with_one_hot_labels(batch):
    x, t, _, params = batch
    g = ComputationGraph.from_dict(two_layer_net(x, t, params))
    values, grads = g.forward(), g.backward()
    loss, want = book_two_layer_net(params, x, t)
    assert isinstance(values["loss"], float)
    np.testing.assert_allclose(values["loss"], loss, rtol=1e-9)
    for name in ("W1", "b1", "W2", "b2", "x"):
        assert isinstance(grads[name], np.ndarray) and grads[name].shape == np.shape(want[name])
        np.testing.assert_allclose(grads[name], want[name], rtol=1e-9, atol=1e-15)


def test_integer_labels_give_the_same_loss_and_gradients_as_one_hot(batch):
    x, t, labels, params = batch
    one_hot = ComputationGraph.from_dict(two_layer_net(x, t, params))
    ints = ComputationGraph.from_dict(two_layer_net(x, labels, params))
    loss, want = book_two_layer_net(params, x, labels)
    np.testing.assert_allclose(ints.forward()["loss"], loss, rtol=1e-9)
    assert ints.forward()["loss"] == pytest.approx(one_hot.forward()["loss"], rel=1e-12)
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(ints.backward()[name], want[name], rtol=1e-9, atol=1e-15)


def test_gradcanvas_check_reports_every_parameter_below_1e_7(tmp_path, capsys, batch):
    """With the book's weight_init_std = 0.01. (With large weights a class's probability can be
    near 0, and the book's log(y + 1e-7) then differs from the log that (y − t)/N is the
    gradient of by more: docs/tensors.md.)"""
    x, t, _, _ = batch
    params = init_params(4, 6, 3, weight_init_std=0.01, seed=3)
    path = tmp_path / "net.json"
    path.write_text(json.dumps(two_layer_net(x, t, params)))
    assert main(["check", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    found = {line.split(":")[0]: float(line.split(":")[1].split()[0]) for line in lines}
    assert {"W1", "b1", "W2", "b2", "x"} <= found.keys() and "t" not in found  # labels are data
    assert all(v < 1e-7 for v in found.values()), found


def test_the_two_layer_net_example_passes_its_gradient_check(tmp_path):
    path = tmp_path / "example.json"
    path.write_text(json.dumps(example_doc("two_layer_net")))
    run = subprocess.run([sys.executable, "-m", "server.cli", "check", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    means = {line.split(":")[0]: float(line.split(":")[1].split()[0]) for line in run.stdout.splitlines()}
    assert set(means) == {"x", "W1", "b1", "W2", "b2"} and max(means.values()) < 1e-7


def test_a_wrong_rule_fails_the_tensor_check(monkeypatch, batch):
    from server.engine.layers.affine import AffineLayer
    from server.teaching.gradcheck import check_gradients
    x, t, _, params = batch
    right = AffineLayer.backward
    monkeypatch.setattr(AffineLayer, "backward", lambda self, d: (lambda r: (r[0], 2 * r[1], r[2]))(right(self, d)))
    checks = {c.node: c.status for c in check_gradients(ComputationGraph.from_dict(two_layer_net(x, t, params)))}
    assert checks["W1"] == checks["W2"] == "fail" and checks["b2"] == "pass"


def test_eval_prints_tensors_as_nested_lists(tmp_path, capsys, batch):
    x, t, _, params = batch
    path = tmp_path / "net.json"
    path.write_text(json.dumps(two_layer_net(x, t, params)))
    assert main(["eval", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["values"]["W1"] == params["W1"].tolist()
    assert np.shape(out["grads"]["W1"]) == (4, 6) and isinstance(out["values"]["loss"], float)


def test_the_builder_initialises_as_the_book_does():
    p = init_params(2, 10, 3, weight_init_std=0.01, seed=0)
    want = 0.01 * np.random.default_rng(0).standard_normal((2, 10))
    np.testing.assert_array_equal(p["W1"], want)
    assert not p["b1"].any() and not p["b2"].any() and p["W2"].shape == (10, 3)
    doc = two_layer_net(*spiral(4, 3, seed=0))
    assert [n["id"] for n in doc["nodes"] if n.get("trainable")] == ["W1", "b1", "W2", "b2"]
    assert doc["version"] == 2


def test_the_spiral_is_seeded_and_one_hot():
    x1, t1 = spiral(10, 3, seed=5)
    x2, t2 = spiral(10, 3, seed=5)
    np.testing.assert_array_equal(x1, x2)
    assert x1.shape == (30, 2) and t1.shape == (30, 3) and (t1.sum(axis=1) == 1).all()
    assert not (x1 == 0).all(axis=1).any()  # no point at the origin, where every arm meets


def test_a_training_step_lowers_the_loss_of_the_example():
    from server.teaching.learning import train
    g = ComputationGraph.from_dict(example_doc("two_layer_net"))
    g.apply_batch([{"type": "set_learning_rate", "value": 1.0}])
    before = g.forward()["loss"]
    ops, losses = train(g, 30)
    g.apply_batch(ops)
    assert losses[-1] < before and g.forward()["loss"] == pytest.approx(losses[-1])
