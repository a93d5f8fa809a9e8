"""HTTP and socket endpoints of the learning features: formula, gradient check, tidy layout."""
import pytest

from server.teaching.examples import example_doc

from conftest import editor_join


def test_formula_endpoint_creates_a_graph(client):
    r = client.post("/api/formula", json={"text": "doughnut = 100\ncount = 2\ntax = 1.1\nprice = doughnut * count * tax"})
    assert r.status_code == 201
    doc = client.get(f"/api/graphs/{r.json['id']}").json
    assert doc["output"] == "price" and len(doc["nodes"]) == 5


@pytest.mark.parametrize("body, status, message", [
    ({"text": "import os"}, 400, "line 1, column 1: imports are not allowed"),
    ({"text": 5}, 400, "send JSON"),
    (None, 415, "send JSON with the header Content-Type: application/json"),  # not JSON at all
])
def test_formula_endpoint_refuses_bad_formulas(client, body, status, message):
    r = client.post("/api/formula", json=body) if body is not None else client.post("/api/formula", data="x")
    assert r.status_code == status and message in r.json["error"]


def test_check_endpoint_reports_every_input(client, app):
    gid = app.extensions["gradcanvas.sessions"].create(example_doc("doughnut")).id
    rows = client.get(f"/api/graphs/{gid}/check").json
    assert [r["node"] for r in rows] == ["doughnut", "count", "tax"]
    assert all(r["status"] == "pass" for r in rows)
    assert rows[0]["backprop_text"] == "2.2" and rows[1]["numeric_text"] == "110"
    assert client.get("/api/graphs/missing/check").status_code == 404


def test_tidy_is_one_edit_broadcast_as_a_patch(app, socket_client):
    doc = example_doc("doughnut")
    for n in doc["nodes"]:
        n["x"], n["y"] = 0, 0  # everything on one spot
    session = app.extensions["gradcanvas.sessions"].create(doc)
    a, b = socket_client(), socket_client()
    for c in (a, b):
        c.emit("join", editor_join(app, session.id), callback=True)
        c.get_received()
    ack = a.emit("tidy", {"graph_id": session.id}, callback=True)
    assert ack == {"ok": True, "version": 1, "history": {"can_undo": True, "can_redo": False}}
    patches = [m["args"][0] for m in b.get_received() if m["name"] == "patch"]
    assert len(patches) == 1 and {op["type"] for op in patches[0]["ops"]} == {"move_node"}
    spots = {(n["x"], n["y"]) for _, n in session.graph.g.nodes(data=True)}
    assert len(spots) == 5
