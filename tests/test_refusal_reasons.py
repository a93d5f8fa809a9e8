"""Each refusal a user meets carries a stable reason id and its params beside the English text,
on the socket ({ok: false, code, reason, params, error}) and in HTTP JSON errors alike, so the
browser can say it in the reader's language (docs/protocol.md, "Refusal reasons")."""
import json

import pytest

from server.engine.graph import ComputationGraph
from server.errors import NotFound, Refused
from server.service import Sessions
from server.teaching.examples import example_doc
from server.teaching.formula import parse_formula
from server.web.quotas import Quota

from conftest import editor_join

ADD = {"type": "add_node", "node": {"id": "a1", "op": "add"}}


@pytest.fixture
def room(app, client, socket_client):
    """An editor joined to a stored doughnut graph: emit(event, **payload) → its ack."""
    from server.web.realtime import socketio
    made = client.post("/api/examples/doughnut").json
    sio = socketio.test_client(app, flask_test_client=client)
    assert sio.emit("join", editor_join(app, made["id"], client="tester-001"), callback=True)["ok"]
    state = {"version": 0}

    def emit(event, **payload):
        ack = sio.emit(event, {"graph_id": made["id"], **payload}, callback=True)
        if ack.get("ok") and "version" in ack:
            state["version"] = ack["version"]
        return ack

    def edit(*ops):
        return emit("edit", version=state["version"], ops=list(ops))
    emit.edit, emit.id = edit, made["id"]
    return emit


def refused(ack, code, reason, params):
    assert ack["ok"] is False and ack["code"] == code, ack
    assert ack["reason"] == reason and ack["params"] == params, ack
    assert isinstance(ack["error"], str) and ack["error"]  # the English text stays beside it
    return ack


def test_a_cycle(room):
    ack = room.edit({"type": "disconnect", "target": "m1", "port": 0},
                    {"type": "connect", "source": "m2", "target": "m1", "port": 0})
    refused(ack, "refused", "cycle", {"source": "m2", "target": "m1", "path": "m1 → m2 → m1"})
    assert room.edit(ADD)["ok"]
    refused(room.edit({"type": "connect", "source": "a1", "target": "a1", "port": 0}), "refused", "cycle",
            {"source": "a1", "target": "a1", "path": "a1 → a1"})


def test_an_unknown_op_and_an_unknown_edit(room):
    refused(room.edit({"type": "add_node", "node": {"id": "q", "op": "mull"}}), "refused", "unknown_op", {"op": "mull"})
    refused(room.edit({"type": "explode"}), "refused", "unknown_edit", {"type": "explode"})


def test_a_wrong_port_a_taken_port_and_an_input_without_ports(room):
    refused(room.edit({"type": "connect", "source": "tax", "target": "m1", "port": 5}), "refused", "wrong_port",
            {"node": "m1", "port": "5", "op": "mul", "ports": "0 (x), 1 (y)"})
    refused(room.edit({"type": "connect", "source": "tax", "target": "m1", "port": 1}), "refused", "port_taken",
            {"node": "m1", "port": 1, "port_name": "y", "source": "count"})
    refused(room.edit({"type": "connect", "source": "m2", "target": "tax", "port": 0}), "refused", "no_ports",
            {"node": "tax"})


def test_a_missing_node_and_an_unwired_port(room):
    refused(room.edit({"type": "set_value", "id": "ghost", "value": 1}), "refused", "no_node", {"node": "ghost"})
    assert room.edit(ADD)["ok"]
    refused(room.edit({"type": "disconnect", "target": "a1", "port": 0}), "refused", "port_not_wired",
            {"node": "a1", "port": "0"})


def test_a_batch_and_a_stale_version_keep_the_reason_of_the_refused_op(room):
    ack = room.edit({"type": "set_value", "id": "tax", "value": 2}, {"type": "set_value", "id": "ghost", "value": 1})
    assert refused(ack, "refused", "no_node", {"node": "ghost"})["error"].startswith("ops[1]: ")
    assert room.edit({"type": "set_value", "id": "tax", "value": 1.5})["ok"]
    stale = room("edit", version=0, ops=[{"type": "set_value", "id": "ghost", "value": 1}])
    assert "version 0" in refused(stale, "refused", "no_node", {"node": "ghost"})["error"]


def test_a_graph_that_cannot_be_stepped_backward_says_why(room):
    assert room.edit(ADD)["ok"]  # two sinks now, one of them unwired
    assert room.edit({"type": "set_output", "id": "a1"})["ok"]
    ack = refused(room("step", direction="backward"), "refused", "cannot_step_backward", {
        "because": {"reason": "unwired", "params": {"node": "a1", "more": 0},
                    "error": "cannot evaluate: 'a1' (add): port 0 (x), port 1 (y) not wired"}})
    assert ack["error"].startswith("cannot step backward: cannot evaluate")
    assert room.edit({"type": "remove_node", "id": "a1"}, {"type": "set_output", "id": None},
                     {"type": "add_node", "node": {"id": "n1", "op": "neg"}},
                     {"type": "connect", "source": "tax", "target": "n1", "port": 0})["ok"]
    refused(room("step", direction="backward"), "refused", "cannot_step_backward", {
        "because": {"reason": "ambiguous_output", "params": {"count": 2, "nodes": "m2, n1"},
                    "error": "the output is ambiguous: 2 nodes have no outgoing edge ('m2', 'n1'); "
                             "mark one as the output"}})


def test_nan_and_infinite_values(room):
    refused(room.edit({"type": "set_value", "id": "tax", "value": float("inf")}), "refused", "not_finite",
            {"field": "value", "node": "tax", "value": "inf"})
    refused(room.edit({"type": "set_value", "id": "tax", "value": "two"}), "refused", "not_a_number",
            {"field": "value", "node": "tax"})
    refused(room.edit({"type": "move_node", "id": "tax", "x": 0, "y": float("nan")}), "refused", "not_finite",
            {"field": "y", "value": "nan"})


def test_too_many_nodes(app, client, socket_client):
    from server.web.realtime import socketio
    sessions = app.extensions["gradcanvas.sessions"]
    made = client.post("/api/examples/doughnut").json
    sessions.get(made["id"]).graph.limits = type(sessions.limits)(max_nodes=5)
    sio = socketio.test_client(app, flask_test_client=client)
    sio.emit("join", editor_join(app, made["id"]), callback=True)
    ack = sio.emit("edit", {"graph_id": made["id"], "version": 0, "ops": [ADD]}, callback=True)
    refused(ack, "too_large", "too_many_nodes", {"count": 5, "limit": 5})


def test_undo_with_nothing_to_undo_and_redo(room):
    refused(room("undo"), "refused", "nothing_to_undo", {})
    refused(room("redo"), "refused", "nothing_to_redo", {})


def test_a_view_link_is_read_only(app, client, socket_client):
    from server.web.realtime import socketio
    made = client.post("/api/examples/doughnut").json
    viewer = socketio.test_client(app)
    row = app.extensions["gradcanvas.store"].get(made["id"])
    assert viewer.emit("join", {"graph_id": made["id"], "token": row.view_token}, callback=True)["role"] == "view"
    ack = viewer.emit("step", {"graph_id": made["id"], "direction": "forward"}, callback=True)
    refused(ack, "forbidden", "read_only", {"action": "step"})


def test_a_deleted_graph(room, client):
    assert client.delete(f"/api/graphs/{room.id}").status_code == 200
    refused(room.edit({"type": "set_value", "id": "tax", "value": 2}), "not_found", "graph_deleted", {"id": room.id})


def test_the_edit_rate_limit(app, client):
    from server.web.realtime import socketio
    app.extensions["gradcanvas.clients"].edits_per_second = 0.001  # a burst of 0.002: not even one edit
    made = client.post("/api/examples/doughnut").json
    sio = socketio.test_client(app, flask_test_client=client)
    sio.emit("join", editor_join(app, made["id"], client="fast-0001"), callback=True)
    ack = sio.emit("step", {"graph_id": made["id"], "direction": "forward"}, callback=True)
    refused(ack, "refused", "edit_rate", {"limit": "0.001"})


def test_a_malformed_payload(app):
    from server.web.realtime import socketio
    c = socketio.test_client(app)
    refused(c.emit("edit", "junk", callback=True), "refused", "malformed_payload", {})


# -- HTTP ---------------------------------------------------------------------------------------

def http_refused(resp, status, reason, params):
    body = resp.get_json()
    assert resp.status_code == status and body["reason"] == reason and body["params"] == params, body
    assert body["error"] and body["code"]
    return body


def test_http_malformed_json_and_a_too_large_document(app, client):
    body = http_refused(client.post("/api/graphs", data=b"{nope", content_type="application/json"),
                        400, "malformed_json", {"detail": "Expecting property name enclosed in double quotes: "
                                                          "line 1 column 2 (char 1)"})
    assert body["code"] == "refused"
    app.extensions["gradcanvas.sessions"].limits = type(app.extensions["gradcanvas.sessions"].limits)(max_bytes=100)
    raw = json.dumps(example_doc("doughnut")).encode()
    http_refused(client.post("/api/graphs", data=raw, content_type="application/json"), 413, "document_too_large",
                 {"bytes": len(raw), "limit": 100})


def test_http_too_many_nodes_and_a_cycle_in_a_document(app, client):
    app.extensions["gradcanvas.sessions"].limits = type(app.extensions["gradcanvas.sessions"].limits)(max_nodes=3)
    http_refused(client.post("/api/graphs", json=example_doc("doughnut")), 413, "too_many_nodes",
                 {"count": 5, "limit": 3})
    app.extensions["gradcanvas.sessions"].limits = type(app.extensions["gradcanvas.sessions"].limits)()
    doc = example_doc("doughnut")
    doc["edges"] = [{"source": "m2", "target": "m1", "port": 0}, {"source": "m1", "target": "m2", "port": 0}]
    http_refused(client.post("/api/graphs", json=doc), 400, "document_cycle", {"path": "m1 → m2 → m1"})


@pytest.mark.parametrize("text, reason, params", [
    ("a = 2\nb = a *", "syntax", {"line": 2, "column": 8, "detail": "invalid syntax"}),
    ("a = 2\nb = c * a", "formula_undefined", {"line": 2, "column": 5, "name": "c",
                                               "detail": "name 'c' is not defined (assign it on an earlier line)"}),
    ("x = 2\ny = x ** (1/0)", "formula_divides_by_zero", {"line": 2, "column": 11, "expr": "1 / 0",
                                                           "detail": "1 / 0 divides by zero"}),
    ("   ", "formula_empty", {}),
])
def test_http_formula_errors_with_line_and_column(client, text, reason, params):
    http_refused(client.post("/api/formula", json={"text": text}), 400, reason, params)


def test_http_rate_limited_with_retry_after(app, client):
    quotas = app.extensions["gradcanvas.quotas"]
    quotas.create_browser = Quota("new graphs from this browser", 1, 1, "too_many_new_graphs")
    assert client.post("/api/examples/doughnut").status_code == 201
    resp = client.post("/api/examples/doughnut")
    body = http_refused(resp, 429, "too_many_new_graphs", {"retry_after": resp.get_json()["params"]["retry_after"]})
    assert body["params"]["retry_after"] >= 1 and resp.headers["Retry-After"] == str(body["params"]["retry_after"])


def test_http_read_only_and_not_found(app, client):
    other = app.test_client()
    made = client.post("/api/examples/doughnut").json
    http_refused(other.patch(f"/api/graphs/{made['id']}", json={"title": "mine"}), 403, "not_editor", {})
    http_refused(client.get("/api/graphs/nope"), 404, "graph_not_found", {"id": "nope"})
    assert client.delete(f"/api/graphs/{made['id']}").status_code == 200
    http_refused(client.get(f"/api/graphs/{made['id']}"), 404, "graph_deleted", {"id": made["id"]})


def test_http_store_full(app, client):
    app.extensions["gradcanvas.store"].max_graphs = 1
    assert client.post("/api/examples/doughnut").status_code == 201
    http_refused(client.post("/api/examples/doughnut"), 503, "store_full", {"count": 1})


# -- the engine, without the web ------------------------------------------------------------------

def test_a_refusal_passed_on_keeps_its_kind_reason_and_params():
    err = Refused("no node with id 'x'", reason="no_node", node="x")
    again = err.retold("ops[2]: " + str(err))
    assert (type(again), again.reason, again.params, str(again)) == (Refused, "no_node", {"node": "x"},
                                                                     "ops[2]: no node with id 'x'")
    assert again.as_cause() == {"reason": "no_node", "params": {"node": "x"}, "error": "ops[2]: no node with id 'x'"}


def test_an_empty_graph_has_no_output():
    g = ComputationGraph.from_dict({"format": "gradcanvas", "version": 1, "nodes": [], "edges": []})
    with pytest.raises(Refused) as caught:
        g.output_node()
    assert caught.value.reason == "empty_graph"


def test_a_formula_that_is_too_long():
    with pytest.raises(Refused) as caught:
        parse_formula("a" * 100_001)
    assert caught.value.reason == "formula_too_long" and caught.value.params["chars"] == 100_001


def test_sessions_without_a_store_say_not_found():
    with pytest.raises(NotFound) as caught:
        Sessions().get("nope")
    assert caught.value.reason == "graph_not_found"



def test_the_state_says_why_the_output_cannot_be_shown():
    from server.engine.visible import Cursor, pass_orders, visible_state

    def problem(doc):
        g = ComputationGraph.from_dict(doc)
        return visible_state(g, Cursor(), *pass_orders(g))["output_problem"]
    doc = example_doc("doughnut")
    assert problem(doc) is None
    unwired = {**doc, "nodes": doc["nodes"] + [{"id": "a1", "op": "add"}], "output": "a1"}
    assert problem(unwired) == {"reason": "output_not_computable", "params": {"node": "a1"},
                                "error": "the output 'a1' cannot be computed yet"}
    two = {**doc, "output": None, "nodes": doc["nodes"] + [{"id": "n1", "op": "neg"}],
           "edges": doc["edges"] + [{"source": "tax", "target": "n1", "port": 0}]}
    assert problem(two)["reason"] == "ambiguous_output" and problem(two)["params"] == {"count": 2, "nodes": "m2, n1"}


def test_an_undo_that_no_longer_applies_says_why(app, client):
    from server.web.realtime import socketio
    made = client.post("/api/examples/doughnut").json
    a = socketio.test_client(app, flask_test_client=client)
    b = socketio.test_client(app)  # another browser
    assert a.emit("join", editor_join(app, made["id"], client="alice-0001"), callback=True)["ok"]
    assert b.emit("join", editor_join(app, made["id"], client="bob-00001"), callback=True)["ok"]
    assert a.emit("edit", {"graph_id": made["id"], "version": 0, "ops": [ADD]}, callback=True)["ok"]
    assert b.emit("edit", {"graph_id": made["id"], "version": 1, "ops": [{"type": "remove_node", "id": "a1"}]},
                  callback=True)["ok"]
    ack = a.emit("undo", {"graph_id": made["id"]}, callback=True)  # alice's add: its node is gone
    refused(ack, "refused", "cannot_undo", {"because": {"reason": "no_node", "params": {"node": "a1"},
                                                        "error": "no node with id 'a1'"}})
