"""Several clients on one graph: ordering, conflicts, convergence, undo/redo, re-join, viewers, limits."""
import time

import pytest

from server.teaching.examples import example_doc
from server.engine.graph import ComputationGraph


@pytest.fixture
def graph(app):
    session = app.extensions["gradcanvas.sessions"].create(example_doc("doughnut"))
    return session


def tokens(app, gid):
    row = app.extensions["gradcanvas.store"].get(gid)
    return row.edit_token, row.view_token


class Replica:
    """A client that keeps its own copy of the graph from join + patches, as the browser does."""

    def __init__(self, socket_client, session, client_id, token=None):
        """Joins ``session``'s graph with ``token``; by default the edit token (an editor)."""
        self.c = socket_client()
        self.gid = gid = session.id
        payload = {"graph_id": gid, "client": client_id,
                   "token": token if token is not None else session.store.get(gid).edit_token}
        if token == "":
            del payload["token"]
        self.token = payload.get("token")
        self.ack = self.c.emit("join", payload, callback=True)
        assert self.ack["ok"], self.ack
        self.graph = ComputationGraph.from_dict(self.ack["graph"])
        self.version = self.ack["version"]

    def send(self, event, **payload):
        return self.c.emit(event, {"graph_id": self.gid, **payload}, callback=True)

    def edit(self, ops, version=None):
        return self.send("edit", ops=ops, version=self.version if version is None else version)

    def catch_up(self):
        for m in self.c.get_received():
            if m["name"] == "patch":
                msg = m["args"][0]
                assert msg["version"] == self.version + 1, "patches arrive in version order"
                self.graph.apply_batch(msg["ops"])
                self.version = msg["version"]


def test_non_conflicting_concurrent_batches_both_apply_and_everyone_converges(socket_client, graph):
    a, b = Replica(socket_client, graph, "alice-0001"), Replica(socket_client, graph, "bob-00000002")
    # both made against version 0, neither having seen the other's
    ra = a.edit([{"type": "set_value", "id": "count", "value": 3}])
    rb = b.edit([{"type": "add_node", "node": {"id": "k", "op": "input", "value": 1}}])
    assert ra["ok"] and rb["ok"] and rb["version"] == 2
    for r in (a, b):
        r.catch_up()
        assert r.version == 2 and r.graph.to_dict() == graph.graph.to_dict()


def test_conflicting_batch_is_refused_with_the_reason_and_versions(socket_client, graph):
    a, b = Replica(socket_client, graph, "alice-0001"), Replica(socket_client, graph, "bob-00000002")
    assert a.edit([{"type": "remove_node", "id": "tax"}])["ok"]
    refused = b.edit([{"type": "set_value", "id": "tax", "value": 2}])  # still at version 0
    assert refused["ok"] is False
    assert "no node with id 'tax'" in refused["error"] and "made at version 0" in refused["error"]
    assert "now at version 1" in refused["error"]
    # a port taken under someone's feet
    a.catch_up(), b.catch_up()
    add = [{"type": "add_node", "node": {"id": "p", "op": "input", "value": 1}},
           {"type": "add_node", "node": {"id": "q", "op": "input", "value": 2}}]
    assert a.edit(add)["ok"]
    a.catch_up(), b.catch_up()
    assert a.edit([{"type": "connect", "source": "p", "target": "m2", "port": 1}])["ok"]
    refused = b.edit([{"type": "connect", "source": "q", "target": "m2", "port": 1}])
    assert "already wired (from 'p')" in refused["error"]
    for r in (a, b):
        r.catch_up()
        assert r.graph.to_dict() == graph.graph.to_dict()


def test_interleaved_edits_from_two_clients_converge(socket_client, graph):
    a, b = Replica(socket_client, graph, "alice-0001"), Replica(socket_client, graph, "bob-00000002")
    for k in range(10):
        a.edit([{"type": "move_node", "id": "m1", "x": k, "y": k}])
        b.edit([{"type": "set_value", "id": "doughnut", "value": 100 + k}])
        if k % 3 == 0:
            b.edit([{"type": "move_node", "id": "m1", "x": -k, "y": 0}])  # the same node: last write wins
    for r in (a, b):
        r.catch_up()
        assert r.graph.to_dict() == graph.graph.to_dict()
    assert graph.version == 24


def test_undo_and_redo_take_back_only_ones_own_edits(socket_client, graph):
    a, b = Replica(socket_client, graph, "alice-0001"), Replica(socket_client, graph, "bob-00000002")
    a.edit([{"type": "set_value", "id": "count", "value": 3}])
    b.edit([{"type": "set_value", "id": "tax", "value": 2}], version=1)
    ack = a.send("undo")
    assert ack["ok"] and ack["history"] == {"can_undo": False, "can_redo": True}
    assert graph.graph.node("count")["value"] == 2 and graph.graph.node("tax")["value"] == 2  # bob's stays
    assert a.send("undo")["error"] == "nothing to undo: you have no edits to undo in this graph"
    assert a.send("redo")["ok"] and graph.graph.node("count")["value"] == 3
    assert b.send("undo")["ok"] and graph.graph.node("tax")["value"] == 1.1 and graph.graph.node("count")["value"] == 3
    for r in (a, b):
        r.catch_up()
        assert r.graph.to_dict() == graph.graph.to_dict()


def test_undo_of_a_structural_edit_restores_node_and_wires(socket_client, graph):
    a = Replica(socket_client, graph, "alice-0001")
    before = graph.graph.to_dict()
    a.edit([{"type": "remove_node", "id": "m1"}])
    assert a.send("undo")["ok"]
    assert graph.graph.to_dict() == before
    assert a.send("redo")["ok"] and "m1" not in graph.graph.g


def test_undo_that_conflicts_with_a_later_edit_is_refused_clearly(socket_client, graph):
    a, b = Replica(socket_client, graph, "alice-0001"), Replica(socket_client, graph, "bob-00000002")
    a.edit([{"type": "set_value", "id": "tax", "value": 1.5}])
    b.edit([{"type": "remove_node", "id": "tax"}], version=1)
    ack = a.send("undo")
    assert ack["ok"] is False and ack["error"].startswith("cannot undo: the graph changed since")
    assert graph.version == 2


def test_new_edit_clears_what_could_be_redone(socket_client, graph):
    a = Replica(socket_client, graph, "alice-0001")
    a.edit([{"type": "set_value", "id": "count", "value": 3}])
    a.send("undo")
    a.edit([{"type": "set_value", "id": "count", "value": 5}], version=2)
    assert a.send("redo")["error"].startswith("nothing to redo")


def test_undo_history_survives_a_reload(app, socket_client, graph):
    a = Replica(socket_client, graph, "alice-0001")
    a.edit([{"type": "set_value", "id": "count", "value": 3}])
    a.c.disconnect()
    app.extensions["gradcanvas.sessions"].forget(graph.id)  # as if the server restarted
    again = Replica(socket_client, graph, "alice-0001")
    assert again.ack["history"]["can_undo"] is True
    assert again.send("undo")["ok"]
    assert app.extensions["gradcanvas.sessions"].get(graph.id).graph.node("count")["value"] == 2


def test_rejoining_client_gets_the_patches_it_missed(socket_client, graph):
    a, b = Replica(socket_client, graph, "alice-0001"), Replica(socket_client, graph, "bob-00000002")
    b.c.disconnect()
    for v in (3, 4, 5):
        a.edit([{"type": "set_value", "id": "count", "value": v}], version=v - 3)
    back = Replica(socket_client, graph, "bob-00000002")
    ack = back.c.emit("join", {"graph_id": graph.id, "client": "bob-00000002", "since": 1,
                              "token": back.token}, callback=True)
    assert [m["version"] for m in ack["missed"]] == [2, 3] and "graph" not in ack
    replica = ComputationGraph.from_dict(example_doc("doughnut"))
    replica.apply_batch([{"type": "set_value", "id": "count", "value": 3}])
    for m in ack["missed"]:
        replica.apply_batch(m["ops"])
    assert replica.to_dict() == graph.graph.to_dict()


def test_rejoining_too_far_behind_gets_the_whole_graph(socket_client, graph, monkeypatch):
    import server.service.graph
    monkeypatch.setattr(server.service.graph, "MAX_MISSED", 2)
    a = Replica(socket_client, graph, "alice-0001")
    for v in range(3):
        a.edit([{"type": "move_node", "id": "m1", "x": v, "y": 0}], version=v)
    ack = a.c.emit("join", {"graph_id": graph.id, "client": "alice-0001", "since": 0, "token": a.token},
                   callback=True)
    assert "missed" not in ack and ack["graph"]["nodes"][2]["x"] == 2


def test_viewer_sees_edits_and_steps_but_cannot_change_anything(app, socket_client, graph):
    edit_token, view_token = tokens(app, graph.id)
    teacher = Replica(socket_client, graph, "teacher-01", token=edit_token)
    student = Replica(socket_client, graph, "student-01", token=view_token)
    assert student.ack["role"] == "view" and teacher.ack["role"] == "edit"
    teacher.send("step", direction="forward", count=2)
    teacher.edit([{"type": "set_value", "id": "tax", "value": 1.2}])
    got = [m["name"] for m in student.c.get_received()]
    assert got.count("step") == 2 and "patch" in got
    for event, payload in [("edit", {"ops": [{"type": "remove_node", "id": "tax"}]}),
                           ("step", {"direction": "forward"}), ("reset", {}), ("tidy", {}),
                           ("update", {}), ("undo", {}), ("redo", {})]:
        ack = student.send(event, **payload)
        assert ack["ok"] is False and ack["error"].startswith("this is a read-only view"), (event, ack)
    assert "tax" in graph.graph.g and graph.version == 1


def test_knowing_only_the_id_gives_the_read_only_view(socket_client, graph):
    bare = Replica(socket_client, graph, "someone-01", token="")
    assert bare.ack["ok"] and bare.ack["role"] == "view" and bare.ack["graph"]["nodes"]
    ack = bare.edit([{"type": "set_value", "id": "tax", "value": 2}])
    assert ack == {"ok": False, "error": "this is a read-only view: you cannot edit this graph", "code": "forbidden",
                   "reason": "read_only", "params": {"action": "edit"}}
    assert graph.version == 0


def test_a_wrong_token_is_refused(socket_client, graph):
    c = socket_client()
    ack = c.emit("join", {"graph_id": graph.id, "token": "guess"}, callback=True)
    assert ack == {"ok": False, "error": "this link's token is not valid for this graph; ask for a new link",
                   "code": "forbidden", "reason": "link_invalid", "params": {}}


def test_edits_beyond_the_rate_limit_are_refused_not_dropped(app, socket_client, graph):
    app.extensions["gradcanvas.clients"].edits_per_second = 5
    a = Replica(socket_client, graph, "alice-0001")
    a.c.disconnect()  # the bucket is made on first use: re-join with the lower rate
    app.extensions["gradcanvas.clients"]._by_sid.clear()
    a = Replica(socket_client, graph, "alice-0001")
    started = time.monotonic()
    acks = [a.edit([{"type": "move_node", "id": "m1", "x": k, "y": 0}], version=k) for k in range(30)]
    elapsed = time.monotonic() - started
    applied = [x for x in acks if x["ok"]]
    refused = [x for x in acks if not x["ok"]]
    assert refused and all(x["error"] == "too many edits: at most 5 a second; this one was not applied"
                           for x in refused)
    # a burst of 10, then 5 a second: exactly what the bucket can have refilled meanwhile
    assert graph.version == len(applied) <= 10 + int(5 * elapsed) + 1


def test_presence_is_relayed_to_others_at_a_bounded_rate(socket_client, graph):
    a, b = Replica(socket_client, graph, "alice-0001"), Replica(socket_client, graph, "bob-00000002")
    b.c.get_received()
    for k in range(20):
        a.c.emit("presence", {"graph_id": graph.id, "x": k, "y": 1, "selection": ["m1"]})
    seen = [m["args"][0] for m in b.c.get_received() if m["name"] == "presence"]
    assert 1 <= len(seen) < 20  # sent in a tight loop: most are dropped
    assert seen[0]["x"] == 0 and seen[0]["selection"] == ["m1"] and seen[0]["name"].startswith("guest")
    assert not [m for m in a.c.get_received() if m["name"] == "presence"]  # not echoed to the sender
    a.c.disconnect()
    left = [m["args"][0] for m in b.c.get_received() if m["name"] == "presence_leave"]
    assert left and left[0]["sid"] == seen[0]["sid"]
