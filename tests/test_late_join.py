"""A page that joins mid-run gets the step on show (`current` in the join ack), as a watcher saw it."""
import pytest

from server.teaching.examples import example_doc

from conftest import editor_join


@pytest.fixture
def doughnut_id(app):
    return app.extensions["gradcanvas.sessions"].create(example_doc("doughnut")).id


def steps_heard(client):
    return [m["args"][0] for m in client.get_received() if m["name"] == "step"]


def view_token(app, graph_id):
    return app.extensions["gradcanvas.store"].get(graph_id).view_token


def test_idle_join_has_no_current(app, socket_client, doughnut_id):
    ack = socket_client().emit("join", editor_join(app, doughnut_id), callback=True)
    assert ack["ok"] and "current" not in ack


@pytest.mark.parametrize("direction,count,node", [("forward", 4, "m1"), ("backward", 3, "tax")])
def test_late_joiner_gets_the_step_the_room_last_heard(app, socket_client, doughnut_id, direction, count, node):
    teacher, watcher = socket_client(), socket_client()
    for c in (teacher, watcher):
        c.emit("join", editor_join(app, doughnut_id), callback=True)
        c.get_received()
    for _ in range(count):
        assert teacher.emit("step", {"graph_id": doughnut_id, "direction": direction}, callback=True)["ok"]
    last = steps_heard(watcher)[-1]
    assert last["node"] == node  # what the watcher's panel shows now

    for join in (editor_join(app, doughnut_id), {"graph_id": doughnut_id, "token": view_token(app, doughnut_id)}):
        ack = socket_client().emit("join", join, callback=True)
        assert ack["ok"] and ack["current"] == last  # the very broadcast: texts, LaTeX, cursor
        assert ack["current"]["cursor"] == ack["state"]["cursor"]


def test_current_has_the_numbers_the_narration_says(app, socket_client, doughnut_id):
    c = socket_client()
    c.emit("join", editor_join(app, doughnut_id), callback=True)
    c.emit("step", {"graph_id": doughnut_id, "direction": "forward", "count": 4}, callback=True)
    cur = socket_client().emit("join", editor_join(app, doughnut_id), callback=True)["current"]
    assert (cur["numbers"], cur["value_text"]) == ("100 × 2", "200")  # m1 = doughnut × count
    c.emit("step", {"graph_id": doughnut_id, "direction": "backward", "count": 2}, callback=True)
    cur = socket_client().emit("join", editor_join(app, doughnut_id), callback=True)["current"]
    assert cur["node"] == "m1" and cur["grad_text"] == "1.1"
    assert [(r["numbers"], r["grad_text"]) for r in cur["rules"]] == [("1.1 × 2", "2.2"), ("1.1 × 100", "110")]


def test_rejoin_since_a_version_gets_current_too(app, socket_client, doughnut_id):
    """A re-join (after a disconnect or a `resync`) gets `current` beside the patches it missed."""
    c = socket_client()
    c.emit("join", editor_join(app, doughnut_id), callback=True)
    c.emit("edit", {"graph_id": doughnut_id, "version": 0,
                    "ops": [{"type": "set_value", "id": "count", "value": 3}]}, callback=True)
    c.emit("step", {"graph_id": doughnut_id, "direction": "backward", "count": 1}, callback=True)
    ack = socket_client().emit("join", editor_join(app, doughnut_id, since=0), callback=True)
    assert ack["missed"] and "graph" not in ack
    assert ack["current"]["node"] == "m2" and ack["current"]["phase"] == "backward"
    assert ack["current"]["rules"][1]["grad_text"] == "300"  # 1 × m1, with count now 3


def test_reset_and_structural_edits_clear_current(app, socket_client, doughnut_id):
    c = socket_client()
    c.emit("join", editor_join(app, doughnut_id), callback=True)
    c.emit("step", {"graph_id": doughnut_id, "direction": "forward", "count": 2}, callback=True)
    c.emit("reset", {"graph_id": doughnut_id}, callback=True)
    assert "current" not in socket_client().emit("join", editor_join(app, doughnut_id), callback=True)
    c.emit("step", {"graph_id": doughnut_id, "direction": "forward", "count": 2}, callback=True)
    c.emit("edit", {"graph_id": doughnut_id, "version": 0,
                    "ops": [{"type": "add_node", "node": {"id": "n", "op": "add"}}]}, callback=True)
    assert "current" not in socket_client().emit("join", editor_join(app, doughnut_id), callback=True)


def test_a_value_or_label_edit_mid_run_sends_the_step_on_show_anew(app, socket_client, doughnut_id):
    """The cursor stays, and the explanation of the step on show must not keep the old numbers."""
    teacher, watcher = socket_client(), socket_client()
    for c in (teacher, watcher):
        c.emit("join", editor_join(app, doughnut_id), callback=True)
    teacher.emit("step", {"graph_id": doughnut_id, "direction": "backward", "count": 2}, callback=True)
    watcher.get_received()
    teacher.emit("edit", {"graph_id": doughnut_id, "version": 0,
                          "ops": [{"type": "set_value", "id": "tax", "value": 2}]}, callback=True)
    teacher.emit("edit", {"graph_id": doughnut_id, "version": 1,
                          "ops": [{"type": "set_label", "id": "m2", "label": "total"}]}, callback=True)
    teacher.emit("edit", {"graph_id": doughnut_id, "version": 2,
                          "ops": [{"type": "move_node", "id": "m1", "x": 300, "y": 100}]}, callback=True)
    patches = [m["args"][0] for m in watcher.get_received() if m["name"] == "patch"]
    value, label, move = patches
    assert value["current"]["node"] == "m1"
    assert value["current"]["cursor"] == {"phase": "backward", "step": 2, "total": 5}
    assert [r["text"] for r in value["current"]["rules"]] == ["dx = dout · y = 2 × 2 = 4",
                                                            "dy = dout · x = 2 × 100 = 200"]
    assert label["current"]["text"].startswith("dout = 2 (arriving from total)")
    assert "current" not in move  # a move changes no text of the step
