"""Lecture mode over the socket (socketio.test_client): who may step while a lecture runs, handing
control over and back, the camera relayed to followers, and predict-then-reveal rounds marked by
the server and kept in the store, exported as CSV; and the live lecture kept in the store, so two
processes on one store decide alike (docs/lecture.md)."""
import csv
import io
import time

import pytest

from server.service.lecture import is_right, read_number
from server.errors import Forbidden, Refused

from conftest import editor_join, sent


class Person:
    """One socket connection in the room: emit(event, **payload) → its ack; heard(event) → payloads."""

    def __init__(self, app, graph_id, flask_client=None, token=None, name=None):
        from server.web.realtime import socketio
        self.sio = socketio.test_client(app, flask_test_client=flask_client)
        self.graph_id = graph_id
        join = editor_join(app, graph_id) if token is None else {"graph_id": graph_id, "token": token}
        ack = self.sio.emit("join", {**join, **({"name": name} if name else {})}, callback=True)
        assert ack["ok"], ack
        self.me, self.role, self.joined = ack["me"], ack["role"], ack
        self.inbox = []

    def emit(self, event, **payload):
        return self.sio.emit(event, {"graph_id": self.graph_id, **payload}, callback=True)

    def heard(self, event):
        """The ``event`` messages received since last asked (others stay to be asked for)."""
        self.inbox += self.sio.get_received()
        mine = [m["args"][0] for m in self.inbox if m["name"] == event]
        self.inbox = [m for m in self.inbox if m["name"] != event]
        return mine


@pytest.fixture
def room(app, client):
    """A stored doughnut graph and a factory of people in its room: room("ann") an editor,
    room("bob", view=True) one with the view link."""
    made = client.post("/api/examples/doughnut").json
    store = app.extensions["gradcanvas.store"]
    people = []

    def join(name, view=False):
        token = store.get(made["id"]).view_token if view else None
        people.append(Person(app, made["id"], token=token, name=name))
        return people[-1]
    join.graph_id = made["id"]
    yield join
    for p in people:
        if p.sio.is_connected():
            p.sio.disconnect()


def refused(ack, code, reason):
    assert ack["ok"] is False and ack["code"] == code and ack["reason"] == reason, ack
    return ack


def test_during_a_lecture_only_the_controller_steps_until_control_is_handed_over(room):
    ann, bob, cat = room("Ann"), room("Bob"), room("Cat", view=True)
    assert bob.emit("step", direction="forward")["ok"]  # no lecture: any editor steps
    assert ann.emit("lecture_start")["lecture"]["presenter"]["name"] == "Ann"
    lecture = bob.heard("lecture")[-1]["lecture"]
    assert lecture["controller"]["sid"] == ann.me["sid"]
    ack = refused(bob.emit("step", direction="forward"), "forbidden", "not_presenter")
    assert ack["params"] == {"name": "Ann", "action": "step"}
    refused(bob.emit("reset"), "forbidden", "not_presenter")
    refused(cat.emit("step", direction="forward"), "forbidden", "not_presenter")
    assert ann.emit("step", direction="forward")["ok"]
    # the presenter hands control to the view link's holder, who may now step, and takes it back
    refused(bob.emit("lecture_control", sid=bob.me["sid"]), "forbidden", "presenter_only")
    assert ann.emit("lecture_control", sid=cat.me["sid"])["lecture"]["controller"]["name"] == "Cat"
    refused(ann.emit("step", direction="forward"), "forbidden", "not_presenter")
    assert cat.emit("step", direction="forward")["cursor"]["step"] == 3
    refused(cat.emit("edit", version=0, ops=[{"type": "move_node", "id": "m1", "x": 0, "y": 0}]),
            "forbidden", "read_only")  # control is stepping, not editing
    assert ann.emit("lecture_control", sid=ann.me["sid"])["ok"]
    refused(cat.emit("step", direction="forward"), "forbidden", "not_presenter")
    assert ann.emit("lecture_stop")["lecture"] is None
    assert bob.emit("step", direction="forward")["ok"]
    refused(cat.emit("step", direction="forward"), "forbidden", "read_only")


def test_only_an_editor_starts_a_lecture_and_only_one_runs(room):
    ann, bob, cat = room("Ann"), room("Bob"), room("Cat", view=True)
    refused(cat.emit("lecture_start"), "forbidden", "read_only")
    assert ann.emit("lecture_start")["ok"]
    assert refused(bob.emit("lecture_start"), "refused", "lecture_running")["params"] == {"name": "Ann"}
    refused(bob.emit("lecture_stop"), "forbidden", "presenter_only")
    refused(ann.emit("lecture_control", sid="nobody"), "refused", "not_in_room")


def test_an_editor_takes_over_a_running_lecture_on_purpose_and_a_viewer_cannot(room):
    ann, bob, cat = room("Ann"), room("Bob"), room("Cat", view=True)
    ann.emit("lecture_start")
    refused(cat.emit("lecture_start", take_over=True), "forbidden", "read_only")
    refused(bob.emit("lecture_start", take_over="yes"), "refused", "lecture_running")  # only a real true
    lecture = bob.emit("lecture_start", take_over=True)["lecture"]
    assert lecture["presenter"]["sid"] == lecture["controller"]["sid"] == bob.me["sid"]
    assert cat.heard("lecture")[-1]["lecture"]["presenter"]["name"] == "Bob"
    refused(ann.emit("step", direction="forward"), "forbidden", "not_presenter")
    refused(ann.emit("lecture_stop"), "forbidden", "presenter_only")
    assert bob.emit("step", direction="forward")["ok"]


def test_the_controllers_camera_is_relayed_to_the_others_and_late_joiners_get_it(room):
    ann, bob = room("Ann"), room("Bob")
    refused(ann.emit("lecture_view", camera={"cx": 1, "cy": 2, "w": 300, "h": 200}), "refused", "no_lecture")
    ann.emit("lecture_start")
    assert ann.emit("lecture_view", camera={"cx": 250, "cy": 180, "w": 800, "h": 450}, node="m1")["ok"]
    refused(bob.emit("lecture_view", camera={"cx": 0, "cy": 0, "w": 1, "h": 1}), "forbidden", "not_presenter")
    [view] = bob.heard("lecture_view")
    assert view["camera"] == {"cx": 250.0, "cy": 180.0, "w": 800.0, "h": 450.0} and view["node"] == "m1"
    assert ann.heard("lecture_view") == []  # not echoed to its sender
    dan = room("Dan", view=True)
    assert dan.joined["lecture"]["view"]["node"] == "m1"
    assert dan.joined["lecture"]["presenter"]["name"] == "Ann"


def test_the_camera_is_relayed_at_most_twenty_times_a_second(room):
    ann, bob = room("Ann"), room("Bob")
    ann.emit("lecture_start")
    acks = [ann.emit("lecture_view", camera={"cx": i, "cy": 0, "w": 10, "h": 10}) for i in range(10)]
    assert all(a["ok"] for a in acks)
    assert 1 <= len(bob.heard("lecture_view")) < 10


def test_the_presenter_leaving_ends_the_lecture_and_the_controller_leaving_gives_control_back(room):
    ann, bob, cat = room("Ann"), room("Bob"), room("Cat")
    ann.emit("lecture_start")
    ann.emit("lecture_control", sid=bob.me["sid"])
    bob.sio.disconnect()
    assert cat.heard("lecture")[-1]["lecture"]["controller"]["name"] == "Ann"
    ann.sio.disconnect()
    assert cat.heard("lecture")[-1]["lecture"] is None
    assert cat.emit("step", direction="forward")["ok"]


def test_a_prediction_round_is_tallied_revealed_by_stepping_and_each_answer_marked(room, app, client):
    ann, bob, cat, dan = room("Ann"), room("Bob"), room("Cat", view=True), room("Dan", view=True)
    ann.emit("lecture_start")
    refused(ann.emit("lecture_ask", node="ghost", kind="grad"), "refused", "no_node")
    refused(ann.emit("lecture_ask", node="tax", kind="slope"), "refused", "invalid_question")
    refused(bob.emit("lecture_ask", node="tax", kind="grad"), "forbidden", "presenter_only")
    asked = ann.emit("lecture_ask", node="tax", kind="grad")
    assert asked == {"ok": True, "round": 1, "node": "tax", "kind": "grad"}
    assert cat.heard("lecture_question") == [{"graph_id": room.graph_id, "round": 1, "node": "tax", "kind": "grad"}]
    assert bob.emit("lecture_answer", round=1, answer="220")["answer"] == "220"
    assert cat.emit("lecture_answer", round=1, answer=200)["ok"]
    assert dan.emit("lecture_answer", round=1, answer="200.0000001")["ok"]  # within 1e-6: right, a bar of its own
    refused(dan.emit("lecture_answer", round=1, answer="lots"), "refused", "not_a_number")
    refused(dan.emit("lecture_answer", round=2, answer=1), "refused", "question_closed")
    refused(ann.emit("lecture_answer", round=1, answer=200), "refused", "presenter_answers")
    tally = ann.heard("lecture_tally")[-1]
    assert tally["total"] == 3
    assert [(c["answer"], c["count"]) for c in tally["counts"]] == [("200", 1), ("200.0000001", 1), ("220", 1)]
    assert "name" not in str(tally)  # counts, never who

    refused(bob.emit("lecture_reveal", round=1), "forbidden", "presenter_only")
    result = ann.emit("lecture_reveal", round=1)
    assert (result["truth"], result["right"], result["wrong"], result["total"]) == ("200", 2, 1, 3)
    steps = bob.heard("step")
    assert [s["phase"] for s in steps] == ["forward"] * 5 + ["backward"] * 3  # to tax's gradient, no further
    assert steps[-1]["node"] == "tax"
    assert bob.heard("lecture_mine") == [{"graph_id": room.graph_id, "round": 1, "answer": "220", "truth": "200",
                                         "correct": False}]
    assert cat.heard("lecture_mine")[0]["correct"] is True and dan.heard("lecture_mine")[0]["correct"] is True
    assert ann.heard("lecture_mine") == []
    assert cat.heard("lecture_result")[0]["right"] == 2
    refused(ann.emit("lecture_reveal", round=1), "refused", "question_closed")
    refused(ann.emit("lecture_ask", node="tax", kind="grad"), "refused", "already_shown")

    # the history: the browser that made the graph (an editor) exports it as CSV; another may not
    resp = client.get(f"/api/graphs/{room.graph_id}/lecture.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0] == ["round", "node", "kind", "participant name", "answer", "correct", "answered_at"]
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows[1:]] == [
        ("1", "tax", "grad", "Bob", "220.0", "no"), ("1", "tax", "grad", "Cat", "200.0", "yes"),
        ("1", "tax", "grad", "Dan", "200.0000001", "yes")]
    assert app.test_client().get(f"/api/graphs/{room.graph_id}/lecture.csv").status_code == 403


def test_a_value_round_steps_forward_only_as_far_as_its_node(room):
    ann, bob = room("Ann"), room("Bob")
    ann.emit("lecture_start")
    ann.emit("lecture_ask", node="m1", kind="value")
    bob.emit("lecture_answer", round=1, answer="200")
    bob.heard("step")
    result = ann.emit("lecture_reveal", round=1)
    assert result["truth"] == "200" and result["right"] == 1
    assert [s["node"] for s in bob.heard("step")] == ["doughnut", "count", "tax", "m1"]


def test_answers_are_right_within_a_relative_millionth_or_at_the_display_rounding():
    assert is_right(2.2, 2.2000000000000006, "2.2")
    assert is_right(200.0001, 200.0, "200")         # 5e-7 relative
    assert not is_right(200.01, 200.0, "200")
    assert is_right(0.333333, 1 / 3, "0.333333")    # as the page shows it
    assert not is_right(0.33, 1 / 3, "0.333333")
    assert is_right(-3.0, -3.0, "−3") and read_number("−3") == -3.0
    with pytest.raises(Refused):
        read_number("1e400")
    with pytest.raises(Refused):
        read_number(True)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_store_keeps_rounds_and_answers(backend, tmp_path, request):
    from server.store import SQLiteStore
    from server.teaching.examples import example_doc
    if backend == "postgres":
        from server.store.postgres import PostgresStore
        store = PostgresStore(request.getfixturevalue("postgres_url"))
    else:
        store = SQLiteStore.in_dir(tmp_path)
    try:
        gid = store.create(example_doc("doughnut")).id
        assert store.add_lecture_round(gid, "tax", "grad") == 1
        store.save_lecture_answer(gid, 1, "p1", "Bob", "220.0", 10.0)
        store.save_lecture_answer(gid, 1, "p2", "Cat", "200.0", 11.0)
        store.save_lecture_answer(gid, 1, "p1", "Bob", "210.0", 12.0)  # answered again: replaced
        assert store.add_lecture_round(gid, "m1", "value") == 2
        store.mark_lecture_round(gid, 1, "200", {"p1": False, "p2": True})
        got = [(a.round, a.node, a.kind, a.name, a.answer, a.correct, a.answered_at) for a in store.lecture_answers(gid)]
        assert got == [(1, "tax", "grad", "Cat", "200.0", True, 11.0), (1, "tax", "grad", "Bob", "210.0", False, 12.0)]
    finally:
        store.close()


# -- the live lecture is the store's: two processes (two Sessions and Lectures on one store) ---------
@pytest.fixture(params=["sqlite", "postgres"])
def two_processes(request, tmp_path):
    """(one, two): two "processes" serving one stored doughnut graph, each with its own store
    handle, Sessions (GraphService) and Lectures, as two servers on one store have."""
    from server.service import Sessions
    from server.service.lecture import Lectures
    from server.store import SQLiteStore
    from server.teaching.examples import example_doc
    if request.param == "postgres":
        from server.store.postgres import PostgresStore
        url = request.getfixturevalue("postgres_url")
        stores = [PostgresStore(url), PostgresStore(url)]
    else:
        stores = [SQLiteStore.in_dir(tmp_path), SQLiteStore.in_dir(tmp_path)]
    gid = Sessions(store=stores[0]).create(example_doc("doughnut")).id

    class Process:
        def __init__(self, store):
            self.store, self.lectures = store, Lectures()
            self.service = Sessions(store=store).get(gid)

        def __getattr__(self, name):  # one.start(who) → one.lectures.start(one.service, who)
            method = getattr(self.lectures, name)
            return lambda *a, **k: method(self.service, *a, **k)
    yield Process(stores[0]), Process(stores[1])
    for s in stores:
        s.close()


def person(n, ident=None):
    return {"sid": f"sid-{n}", "id": ident or f"id-{n}", "name": n, "colour": "#000"}


def test_a_lecture_started_on_one_process_holds_the_participants_of_another(two_processes):
    one, two = two_processes
    ann, bob = person("Ann"), person("Bob")
    one.enter(ann), two.enter(bob)
    assert two.may_step(bob, "step") is False  # no lecture: the graph's own roles decide
    assert one.start(ann).reply["lecture"]["presenter"] == {"sid": "sid-Ann", "name": "Ann", "colour": "#000"}
    assert two.public()["controller"]["name"] == "Ann"  # a page joining the other process sees it
    with pytest.raises(Forbidden) as refusal:
        two.may_step(bob, "step")
    assert refusal.value.reason == "not_presenter" and refusal.value.params["name"] == "Ann"
    with pytest.raises(Refused) as refusal:
        two.start(bob)
    assert refusal.value.reason == "lecture_running"

    # control handed to a connection the presenter's process does not hold: the store's room knows it
    with pytest.raises(Refused) as refusal:
        one.hand(ann, "sid-nobody", None)
    assert refusal.value.reason == "not_in_room"
    told = sent(one.hand(ann, "sid-Bob", None), "lecture")
    assert told[0]["lecture"]["controller"] == {"sid": "sid-Bob", "name": "Bob", "colour": "#000"}
    assert two.may_step(bob, "step") is True
    with pytest.raises(Forbidden):
        one.may_step(ann, "step")

    # the controller's connection leaving, on its own process, gives control back
    told = sent(two.lectures.left(two.store, two.service.id, "sid-Bob"), "lecture")
    assert told[0]["lecture"]["controller"]["name"] == "Ann"
    assert one.may_step(ann, "step") is True
    # and the presenter's ends the lecture for every process
    assert sent(one.lectures.left(one.store, one.service.id, "sid-Ann"), "lecture") == [
        {"graph_id": one.service.id, "lecture": None}]
    assert two.public() is None and two.may_step(bob, "step") is False


def test_a_question_asked_on_one_process_is_answered_on_the_other_and_marked_at_the_reveal(two_processes):
    one, two = two_processes
    ann, bob, cat = person("Ann"), person("Bob"), person("Cat")
    one.start(ann)
    asked = one.ask(ann, "tax", "grad")
    assert asked.reply == {"ok": True, "round": 1, "node": "tax", "kind": "grad"}
    assert two.public()["question"] == {"round": 1, "node": "tax", "kind": "grad"}
    assert sent(two.answer(bob, 1, "220"), "lecture_tally")[0]["total"] == 1
    tally = sent(one.answer(cat, 1, 200), "lecture_tally")[0]  # both processes' answers are counted
    assert [(c["answer"], c["count"]) for c in tally["counts"]] == [("200", 1), ("220", 1)]
    with pytest.raises(Refused) as refusal:
        two.answer(ann, 1, 200)
    assert refusal.value.reason == "presenter_answers"
    with pytest.raises(Forbidden) as refusal:
        two.reveal(bob, 1)
    assert refusal.value.reason == "presenter_only"

    stepped, result = one.reveal(ann, 1)
    assert (result.reply["truth"], result.reply["right"], result.reply["total"]) == ("200", 1, 2)
    mine = {m.room: m.payload for m in _messages(result) if m.event == "lecture_mine"}
    assert mine["sid-Bob"]["correct"] is False and mine["sid-Cat"]["correct"] is True  # to each connection
    two.service.sync()
    assert two.service.state()["cursor"] == one.service.state()["cursor"]  # the reveal's steps, everywhere
    with pytest.raises(Refused) as refusal:  # closed once, for every process
        two.answer(bob, 1, 1)
    assert refusal.value.reason == "question_closed"
    assert [(a.name, a.correct) for a in two.store.lecture_answers(two.service.id)] == [("Bob", False), ("Cat", True)]


def test_a_presenter_whose_process_died_presents_again_on_rejoining_or_an_editor_takes_over(two_processes):
    one, two = two_processes
    ann, bob = person("Ann", "browser-ann"), person("Bob")
    one.start(ann)
    one.hand(ann, "sid-Ann", ann)
    # Ann's process is killed: nothing tells the store. Her page reconnects through the other one.
    ann_again = {**ann, "sid": "sid-Ann-2"}
    told = sent(two.entered(ann_again), "lecture")
    assert told[0]["lecture"]["presenter"]["sid"] == "sid-Ann-2"
    assert told[0]["lecture"]["controller"]["sid"] == "sid-Ann-2"
    assert two.may_step(ann_again, "step") is True and sent(two.ask(ann_again, "m1", "value"), "lecture_question")
    assert two.entered(ann_again) is None  # joining again on the same connection changes nothing

    # if she never comes back, another editor takes the lecture over (its open round stays open)
    with pytest.raises(Refused):
        two.start(bob)
    lecture = two.start(bob, take_over=True).reply["lecture"]
    assert lecture["presenter"]["name"] == lecture["controller"]["name"] == "Bob"
    assert lecture["question"]["node"] == "m1"
    with pytest.raises(Forbidden):
        one.stop(ann)
    assert one.stop(bob).reply == {"ok": True, "lecture": None}


def test_the_controllers_last_view_is_saved_for_pages_joining_another_process(two_processes, monkeypatch):
    from server.service import lecture_view
    monkeypatch.setattr(lecture_view, "VIEW_SAVE_S", 0.2)
    one, two = two_processes
    ann = person("Ann")
    one.start(ann)
    assert one.view(ann, {"cx": 1, "cy": 2, "w": 30, "h": 20}, "m1").reply == {"ok": True}
    assert two.public()["view"] == {"camera": {"cx": 1.0, "cy": 2.0, "w": 30.0, "h": 20.0}, "node": "m1"}
    one.view(ann, {"cx": 5, "cy": 5, "w": 30, "h": 20}, "tax")  # within VIEW_SAVE_S: saved a little later
    deadline = time.monotonic() + 5
    while two.public()["view"]["node"] != "tax":
        assert time.monotonic() < deadline, "the last view was never saved"
        time.sleep(0.05)


def _messages(outcome):
    got = []
    outcome.outbox.drain(got.append)
    return got


def test_a_participant_renamed_by_joining_again_is_handed_control_and_answers_under_the_new_name(room, app, client):
    ann, guest = room("Ann"), room(None, view=True)
    ann.emit("lecture_start")
    view_token = app.extensions["gradcanvas.store"].get(room.graph_id).view_token
    again = guest.sio.emit("join", {"graph_id": room.graph_id, "token": view_token, "name": "Mina"}, callback=True)
    assert again["ok"] and again["me"]["name"] == "Mina"
    handed = ann.emit("lecture_control", sid=guest.me["sid"])
    assert handed["lecture"]["controller"]["name"] == "Mina"  # the store's room has the new name
    ann.emit("lecture_control", sid=ann.me["sid"])
    ann.emit("lecture_ask", node="tax", kind="grad")
    assert guest.emit("lecture_answer", round=1, answer="200")["ok"]
    ann.emit("lecture_reveal", round=1)
    rows = list(csv.reader(io.StringIO(client.get(f"/api/graphs/{room.graph_id}/lecture.csv").get_data(as_text=True))))
    assert rows[1][3] == "Mina"
