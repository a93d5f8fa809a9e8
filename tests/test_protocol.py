"""Socket.IO protocol tests with socketio.test_client: no network, real handlers."""
import pytest

from server.teaching.examples import example_doc

from conftest import editor_join


@pytest.fixture
def doughnut_id(app):
    return app.extensions["gradcanvas.sessions"].create(example_doc("doughnut")).id


def events(client, name):
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def test_join_acks_document_version_and_idle_state(app, socket_client, doughnut_id):
    c = socket_client()
    ack = c.emit("join", editor_join(app, doughnut_id), callback=True)
    assert ack["ok"] is True
    assert ack["version"] == 0
    assert [n["id"] for n in ack["graph"]["nodes"]] == ["doughnut", "count", "m1", "tax", "m2"]
    assert ack["state"]["cursor"] == {"phase": "idle", "step": 0, "total": 5}
    assert ack["state"]["values"] == {}  # nothing revealed before stepping
    assert ack["state"]["display"]["inputs"] == {"doughnut": "100", "count": "2", "tax": "1.1"}


def test_join_unknown_graph_is_refused(socket_client):
    ack = socket_client().emit("join", {"graph_id": "nope"}, callback=True)
    assert ack == {"ok": False, "error": "no graph with id 'nope'", "code": "not_found",
                   "reason": "graph_not_found", "params": {"id": "nope"}}


def test_edit_batch_is_broadcast_as_patch_to_second_client(app, socket_client, doughnut_id):
    a, b = socket_client(), socket_client()
    for c in (a, b):
        c.emit("join", editor_join(app, doughnut_id), callback=True)
    ops = [{"type": "add_node", "node": {"id": "k", "op": "input", "value": 3, "x": 10, "y": 20}},
           {"type": "set_value", "id": "doughnut", "value": 50}]
    ack = a.emit("edit", {"graph_id": doughnut_id, "version": 0, "ops": ops}, callback=True)
    assert ack == {"ok": True, "version": 1, "history": {"can_undo": True, "can_redo": False}}
    patches = events(b, "patch")
    assert len(patches) == 1
    patch = patches[0]
    assert patch["version"] == 1
    assert patch["ops"][0] == {"type": "add_node", "node": {"id": "k", "op": "input", "value": 3.0, "x": 10.0, "y": 20.0}}
    assert patch["ops"][1] == {"type": "set_value", "id": "doughnut", "value": 50.0}
    assert patch["delta"]["display.inputs"] == {"set": {"doughnut": "50", "k": "3"}}  # only what changed
    assert patch["base_cursor"] == {"phase": "idle", "step": 0, "total": 5}
    assert len(events(a, "patch")) == 1  # the sender hears its own patch too


@pytest.mark.parametrize("ops, message", [
    ([{"type": "connect", "source": "m2", "target": "m1", "port": 0}], "already wired"),
    ([{"type": "disconnect", "target": "m1", "port": 0},
      {"type": "connect", "source": "m2", "target": "m1", "port": 0}], "would create a cycle: m1 → m2 → m1"),
    ([{"type": "add_node", "node": {"id": "z", "op": "mull"}}], "unknown op 'mull'"),
    ([{"type": "set_value", "id": "tax", "value": "abc"}], "must be a number"),
    ([{"type": "set_value", "id": "tax", "value": float("nan")}], "finite"),
    ([{"type": "frobnicate"}], "unknown edit type"),
    ("not a list", "ops must be a non-empty list"),
    ([{"type": "connect", "source": "tax", "target": "m1", "port": 7}], "out of range"),
])
def test_refused_edit_is_told_only_to_sender_and_changes_nothing(app, socket_client, doughnut_id, ops, message):
    a, b = socket_client(), socket_client()
    for c in (a, b):
        c.emit("join", editor_join(app, doughnut_id), callback=True)
        c.get_received()
    session = app.extensions["gradcanvas.sessions"].get(doughnut_id)
    before = session.graph.to_dict()
    ack = a.emit("edit", {"graph_id": doughnut_id, "version": 0, "ops": ops}, callback=True)
    assert ack["ok"] is False
    assert message in ack["error"]
    assert session.graph.to_dict() == before
    assert session.version == 0
    assert a.get_received() == [] and b.get_received() == []


def test_malformed_payload_and_unknown_graph_are_refused(socket_client, doughnut_id):
    c = socket_client()
    assert c.emit("edit", "junk", callback=True) == {"ok": False, "error": "malformed payload: expected an object",
                                                   "code": "refused", "reason": "malformed_payload", "params": {}}
    ack = c.emit("edit", {"graph_id": "missing", "ops": [{"type": "set_value", "id": "x", "value": 1}]}, callback=True)
    assert ack == {"ok": False, "error": "no graph with id 'missing'", "code": "not_found",
                   "reason": "graph_not_found", "params": {"id": "missing"}}


def test_forward_and_backward_run_carry_the_book_numbers(app, socket_client, doughnut_id):
    teacher, student = socket_client(), socket_client()
    for c in (teacher, student):
        c.emit("join", editor_join(app, doughnut_id), callback=True)
        c.get_received()
    ack = teacher.emit("step", {"graph_id": doughnut_id, "direction": "forward", "count": "all"}, callback=True)
    assert ack["ok"] and ack["done"] and ack["cursor"] == {"phase": "forward", "step": 5, "total": 5}
    fwd = events(student, "step")
    assert [(e["node"], e["value"]) for e in fwd][-2:] == [("m1", 200.0), ("m2", pytest.approx(220))]
    assert [e["value_text"] for e in fwd] == ["100", "2", "1.1", "200", "220"]
    assert fwd[3]["text"] == "m1 = doughnut × count = 100 × 2 = 200"
    assert fwd[3]["edges"] == [{"source": "m1", "target": "m2", "port": 0, "value": 200.0, "value_text": "200",
                                "value_symbol": "x"}]  # m1 has no label: the first free letter

    ack = teacher.emit("step", {"graph_id": doughnut_id, "direction": "backward", "count": "all"}, callback=True)
    assert ack["cursor"] == {"phase": "backward", "step": 5, "total": 5}
    bwd = events(student, "step")
    assert [(e["node"], e["grad_text"]) for e in bwd] == [
        ("m2", "1"), ("m1", "1.1"), ("tax", "200"), ("count", "110"), ("doughnut", "2.2")]
    m1 = bwd[1]
    assert {e["source"]: e["grad_text"] for e in m1["edges"]} == {"doughnut": "2.2", "count": "110"}
    assert {e["source"]: e["grad_symbol"] for e in m1["edges"]} == {
        "doughnut": "∂L/∂x · count", "count": "∂L/∂x · doughnut"}
    assert m1["rules"][0]["text"] == "dx = dout · y = 1.1 × 2 = 2.2"
    assert m1["grad"] == pytest.approx(1.1)


def test_backward_step_before_forward_runs_forward_first(app, socket_client, doughnut_id):
    c = socket_client()
    c.emit("join", editor_join(app, doughnut_id), callback=True)
    c.get_received()
    ack = c.emit("step", {"graph_id": doughnut_id, "direction": "backward", "count": 1}, callback=True)
    assert ack["cursor"] == {"phase": "backward", "step": 1, "total": 5}
    got = events(c, "step")
    assert [e["phase"] for e in got] == ["forward"] * 5 + ["backward"]


def test_cursor_is_shared_and_reset_clears_it(app, socket_client, doughnut_id):
    a, b = socket_client(), socket_client()
    for c in (a, b):
        c.emit("join", editor_join(app, doughnut_id), callback=True)
    a.emit("step", {"graph_id": doughnut_id, "direction": "forward", "count": 1}, callback=True)
    a.emit("step", {"graph_id": doughnut_id, "direction": "forward", "count": 1}, callback=True)
    late = socket_client()
    ack = late.emit("join", editor_join(app, doughnut_id), callback=True)
    assert ack["state"]["cursor"] == {"phase": "forward", "step": 2, "total": 5}
    assert ack["state"]["values"] == {"doughnut": 100.0, "count": 2.0}
    b.get_received()
    assert a.emit("reset", {"graph_id": doughnut_id}, callback=True)["cursor"]["phase"] == "idle"
    states = events(b, "state")  # a delta from the state the steps left: the two values revealed go
    assert states and states[0]["delta"]["cursor"]["phase"] == "idle"
    assert states[0]["delta"]["values"] == {"unset": ["doughnut", "count"]}


def test_value_edit_keeps_cursor_and_structure_edit_resets_it(app, socket_client, doughnut_id):
    c = socket_client()
    c.emit("join", editor_join(app, doughnut_id), callback=True)
    c.emit("step", {"graph_id": doughnut_id, "direction": "backward", "count": "all"}, callback=True)
    c.get_received()
    c.emit("edit", {"graph_id": doughnut_id, "version": 0,
                    "ops": [{"type": "set_value", "id": "count", "value": 3}]}, callback=True)
    patch = events(c, "patch")[0]
    assert patch["base_cursor"]["phase"] == "backward" and "cursor" not in patch["delta"]  # the cursor stays
    delta = patch["delta"]
    assert delta["display.values"]["set"]["m2"] == "330" and delta["display.grads"]["set"]["doughnut"] == "3.3"
    c.emit("edit", {"graph_id": doughnut_id, "version": 1,
                    "ops": [{"type": "add_node", "node": {"id": "n", "op": "add"}}]}, callback=True)
    state = events(c, "patch")[0]["state"]  # all that was revealed goes: a delta would be no smaller
    assert state["cursor"]["phase"] == "idle"
    assert "port 0 (x), port 1 (y) not wired" in state["errors"]["n"]


def test_backward_on_ambiguous_output_explains_why(socket_client, app):
    doc = example_doc("doughnut")
    doc["output"] = None
    doc["nodes"].append({"id": "extra", "op": "neg", "x": 0, "y": 0})
    doc["edges"].append({"source": "tax", "target": "extra", "port": 0})
    gid = app.extensions["gradcanvas.sessions"].create(doc).id
    c = socket_client()
    c.emit("join", editor_join(app, gid), callback=True)
    ack = c.emit("step", {"graph_id": gid, "direction": "backward", "count": 1}, callback=True)
    assert ack["ok"] is False and "output is ambiguous" in ack["error"] and "'m2'" in ack["error"]


def test_http_api_creates_and_returns_documents(client):
    doc = example_doc("x_times_x")
    r = client.post("/api/graphs", json=doc)
    assert r.status_code == 201
    got = client.get(f"/api/graphs/{r.json['id']}").json
    assert got["nodes"][1]["id"] == "sq" and got["output"] == "out"
    bad = client.post("/api/graphs", data=b"{not json", content_type="application/json")
    assert bad.status_code == 400 and "malformed JSON" in bad.json["error"]
    assert client.get("/api/graphs/none").status_code == 404
    r = client.get("/")  # this browser has graphs now: the library
    assert r.status_code == 302 and r.location == "/library"
    assert client.get(r.location).status_code == 200
    assert [o["name"] for o in client.get("/api/ops").json][:3] == ["input", "add", "mul"]


def test_oversized_document_is_refused_with_413(app):
    # The limit is the server's (20 MB since issue 15, for 50,000-node documents): just over it.
    limit = app.config["MAX_DOCUMENT_BYTES"]
    big = b'{"format": "gradcanvas", "version": 1, "nodes": [], "pad": "' + b"x" * (limit + 1000) + b'"}'
    r = app.test_client().post("/api/graphs", data=big, content_type="application/json")
    assert r.status_code == 413 and f"the limit is {limit:,} bytes" in r.json["error"]
    huge = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    r = app.test_client().post("/api/graphs", data=huge)
    assert r.status_code == 413 and "larger than" in r.json["error"]
