"""The click-to-open matrix over HTTP (issue 16, "Showing tensors"): GET
/api/graphs/<id>/tensor/<node>?of=value|grad answers the whole tensor, formatted, as far as
the step cursor has revealed it, and refuses the rest; anyone who can read the graph may ask."""
import numpy as np
import pytest

from server.teaching.examples import example_doc

from conftest import editor_join


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def book_two_layer_net(doc: dict) -> dict:
    """The book's TwoLayerNet (Affine → ReLU → Affine → SoftmaxWithLoss) in numpy: the oracle."""
    v = {n["id"]: np.asarray(n["value"], dtype=float) for n in doc["nodes"] if n["op"] == "input"}
    x, t = v["x"], v["t"]
    a1 = x @ v["W1"] + v["b1"]
    z1 = np.maximum(a1, 0)
    a2 = z1 @ v["W2"] + v["b2"]
    y = np.exp(a2 - a2.max(axis=1, keepdims=True))
    y /= y.sum(axis=1, keepdims=True)
    dy = (y - t) / x.shape[0]
    dz1 = dy @ v["W2"].T
    da1 = dz1 * (a1 > 0)
    return {"Affine1": a1, "W1_grad": x.T @ da1, "W2_grad": z1.T @ dy}


@pytest.fixture
def net(app, client):
    """The two-layer net example stored, and an editor's socket on it: (id, step(direction, count))."""
    from server.web.realtime import socketio
    made = client.post("/api/examples/two_layer_net").json
    sio = socketio.test_client(app, flask_test_client=client)
    assert sio.emit("join", editor_join(app, made["id"], client="tester-016"), callback=True)["ok"]

    def step(direction, count="all"):
        ack = sio.emit("step", {"graph_id": made["id"], "direction": direction, "count": count}, callback=True)
        assert ack["ok"], ack
    yield made["id"], step
    sio.disconnect()


def matrix(rows) -> np.ndarray:
    return np.array([[number(c) for c in row] for row in rows])


def test_an_input_matrix_is_shown_whole_before_any_step(client, net):
    graph_id, _ = net
    r = client.get(f"/api/graphs/{graph_id}/tensor/W1?of=value")
    assert r.status_code == 200
    body = r.json
    assert body["node"] == "W1" and body["of"] == "value" and body["shape"] == [2, 10]
    assert len(body["rows"]) == 2 and all(len(row) == 10 for row in body["rows"])
    w1 = np.asarray(next(n for n in example_doc("two_layer_net")["nodes"] if n["id"] == "W1")["value"])
    assert np.allclose(matrix(body["rows"]), w1, rtol=1e-5, atol=0)


def test_values_and_gradients_are_refused_until_their_steps_are_shown(client, net):
    graph_id, step = net
    for node, of in (("Affine1", "value"), ("W1", "grad")):
        r = client.get(f"/api/graphs/{graph_id}/tensor/{node}?of={of}")
        assert r.status_code == 400
        assert r.json["reason"] == "not_revealed" and r.json["params"] == {"node": node, "of": of}
        assert "not shown yet" in r.json["error"]
    step("forward")
    oracle = book_two_layer_net(example_doc("two_layer_net"))
    body = client.get(f"/api/graphs/{graph_id}/tensor/Affine1?of=value").json
    assert body["shape"] == list(oracle["Affine1"].shape) and np.allclose(matrix(body["rows"]), oracle["Affine1"], rtol=1e-5, atol=1e-12)
    assert client.get(f"/api/graphs/{graph_id}/tensor/W1?of=grad").json["reason"] == "not_revealed"
    step("backward", 1)  # the loss's own step: W2's and W1's gradients are still to come
    assert client.get(f"/api/graphs/{graph_id}/tensor/W2?of=grad").json["reason"] == "not_revealed"
    step("backward")
    for node in ("W1", "W2"):
        body = client.get(f"/api/graphs/{graph_id}/tensor/{node}?of=grad").json
        assert body["shape"] == list(oracle[f"{node}_grad"].shape)
        assert np.allclose(matrix(body["rows"]), oracle[f"{node}_grad"], rtol=1e-5, atol=1e-12)


def test_an_edges_gradient_is_shown_once_its_target_has_sent_it(client, net):
    """W1 → Affine1 carries W1's gradient back at Affine1's step, before W1's own step."""
    graph_id, step = net
    step("forward")
    step("backward", 3)  # the loss, Affine2, Relu1
    edge = f"/api/graphs/{graph_id}/tensor/W1?of=grad&target=Affine1&port=1"
    assert client.get(edge).json["reason"] == "not_revealed"
    step("backward", 1)  # Affine1
    body = client.get(edge).json
    assert body["target"] == "Affine1" and body["port"] == 1 and body["shape"] == [2, 10]
    oracle = book_two_layer_net(example_doc("two_layer_net"))
    assert np.allclose(matrix(body["rows"]), oracle["W1_grad"], rtol=1e-5, atol=1e-12)
    assert client.get(f"/api/graphs/{graph_id}/tensor/W1?of=grad").json["reason"] == "not_revealed"  # W1's own: later
    assert client.get(f"/api/graphs/{graph_id}/tensor/W1?of=grad&target=Relu1&port=0").json["reason"] == "no_edge"
    assert client.get(f"/api/graphs/{graph_id}/tensor/W1?of=grad&target=Affine1&port=x").json["reason"] == "not_a_number"


def test_a_vector_is_one_row_and_a_number_a_one_by_one_table(client, net):
    graph_id, step = net
    step("forward")
    b1 = client.get(f"/api/graphs/{graph_id}/tensor/b1?of=value").json
    assert b1["shape"] == [10] and len(b1["rows"]) == 1 and len(b1["rows"][0]) == 10
    loss = client.get(f"/api/graphs/{graph_id}/tensor/loss?of=value").json
    assert loss["shape"] == [] and len(loss["rows"]) == 1 and len(loss["rows"][0]) == 1


def test_anyone_who_can_read_the_graph_may_ask_and_nobody_else(app, client, net):
    graph_id, _ = net
    stranger = app.test_client()  # no grant: the read-only view, as GET /api/graphs/<id>
    assert stranger.get(f"/api/graphs/{graph_id}").status_code == 200
    assert stranger.get(f"/api/graphs/{graph_id}/tensor/x?of=value").status_code == 200
    assert stranger.get("/api/graphs/nope/tensor/x?of=value").status_code == 404
    assert stranger.get(f"/api/graphs/{graph_id}/tensor/nope?of=value").json["reason"] == "no_node"
    assert stranger.get(f"/api/graphs/{graph_id}/tensor/x?of=both").json["reason"] == "not_value_or_grad"


def test_a_draft_is_read_by_its_id(app, client):
    """/try/<example> steps a draft that is not stored: its id (a secret) reads it too."""
    from server.web.realtime import socketio
    sio = socketio.test_client(app, flask_test_client=client)
    ack = sio.emit("join", {"draft": "affine_figure", "client": "tester-016"}, callback=True)
    assert ack["ok"] and ack["draft"]
    body = client.get(f"/api/graphs/{ack['graph_id']}/tensor/W?of=value").json
    assert body == {"node": "W", "of": "value", "shape": [2, 3], "rows": [["0.1", "0.2", "0.3"], ["0.4", "0.5", "0.6"]]}
    sio.disconnect()
