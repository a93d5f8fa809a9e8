"""The library's node counts follow every edit, undo and redo (issue 14: a 9-node graph built
by hand was listed as "0 nodes", the count of the snapshot taken when it was created)."""
import json
import sqlite3

from server.store import SQLiteStore
from server.store.sqlite import MIGRATIONS
from server.teaching.examples import example_doc


def empty_graph(client) -> dict:
    r = client.post("/api/graphs", json={"format": "gradcanvas", "version": 1, "nodes": [], "edges": []})
    assert r.status_code == 201
    return r.json


def listed_nodes(client, graph_id) -> int:
    return next(g["nodes"] for g in client.get("/api/graphs").json if g["id"] == graph_id)


def test_a_graph_built_by_hand_is_listed_with_its_nodes_after_edits_undo_and_redo(app, client):
    from server.web.realtime import socketio
    made = empty_graph(client)
    assert listed_nodes(client, made["id"]) == 0
    sio = socketio.test_client(app, flask_test_client=client)
    sio.emit("join", {"graph_id": made["id"], "token": made["edit_url"].split("edit=")[1], "client": "hand-0001"},
             callback=True)
    for k in range(9):  # nine edits, fewer than a snapshot's worth: the stored document stays empty
        ack = sio.emit("edit", {"graph_id": made["id"], "version": k,
                                "ops": [{"type": "add_node", "node": {"id": f"n{k}", "op": "input"}}]}, callback=True)
        assert ack["ok"], ack
    assert listed_nodes(client, made["id"]) == 9
    removed = sio.emit("edit", {"graph_id": made["id"], "version": 9,
                                "ops": [{"type": "remove_node", "id": "n0"}, {"type": "remove_node", "id": "n1"}]},
                       callback=True)
    assert removed["ok"] and listed_nodes(client, made["id"]) == 7
    assert sio.emit("undo", {"graph_id": made["id"]}, callback=True)["ok"]
    assert listed_nodes(client, made["id"]) == 9
    assert sio.emit("redo", {"graph_id": made["id"]}, callback=True)["ok"]
    assert listed_nodes(client, made["id"]) == 7


def test_a_store_made_before_the_count_was_kept_counts_its_logged_edits_when_migrated(tmp_path):
    path = tmp_path / "gradcanvas.sqlite3"
    old = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:2]:
        for statement in filter(str.strip, script.split(";")):
            old.execute(statement)
    old.execute("PRAGMA user_version=2")
    doc = example_doc("doughnut")  # its snapshot: the doughnut's nodes
    old.execute("INSERT INTO graphs (id, title, document, doc_version, version, created_at, updated_at,"
                " edit_token, view_token) VALUES ('g1', 't', ?, 0, 2, 0, 0, 'e', 'v')", (json.dumps(doc),))
    add = [{"type": "add_node", "node": {"id": "extra1", "op": "input", "value": 0, "x": 0, "y": 0}},
           {"type": "add_node", "node": {"id": "extra2", "op": "input", "value": 0, "x": 0, "y": 0}}]
    for version, ops in ((1, add), (2, [{"type": "remove_node", "id": "extra1"}])):
        old.execute("INSERT INTO edits (graph_id, version, kind, ops, inverse, client, at) VALUES "
                    "('g1', ?, 'edit', ?, '[]', 'c', 0)", (version, json.dumps(ops)))
    old.close()
    store = SQLiteStore(path)
    try:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.get("g1").listing()["nodes"] == len(doc["nodes"]) + 1
    finally:
        store.close()
