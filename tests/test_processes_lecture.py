"""Lecture mode across two real server processes sharing Redis and one store (docs/lecture.md):
the presenter on one process, followers on the other, held to the lecture there, handed control
across processes, and a question asked on one answered on the other and marked at the reveal."""
import threading

import pytest
import socketio

from server.teaching.examples import example_doc

from conftest import edit_token, post_json
from test_processes import redis_url, two_servers  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

HEARD = ("lecture", "lecture_question", "lecture_tally", "lecture_result", "lecture_mine", "step")


class Person:
    """A python-socketio client in the graph's room: call(event, **payload) → its ack;
    wait(event, test) → the first message of ``event`` heard that passes ``test``."""

    def __init__(self, url, gid, name, token):
        self.gid, self.heard, self.cond = gid, [], threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        for event in HEARD:
            self.sio.on(event, lambda msg, event=event: self._got(event, msg))
        self.sio.connect(url, transports=["websocket"])
        self.joined = self.sio.call("join", {"graph_id": gid, "client": f"{name.lower()}-client-0001", "name": name,
                                             "token": token}, timeout=10)
        assert self.joined["ok"], self.joined
        self.sid = self.joined["me"]["sid"]

    def _got(self, event, msg):
        with self.cond:
            self.heard.append((event, msg))
            self.cond.notify_all()

    def call(self, event, **payload):
        return self.sio.call(event, {"graph_id": self.gid, **payload}, timeout=10)

    def wait(self, event, test=lambda msg: True, timeout=10):
        with self.cond:
            found = []
            ok = self.cond.wait_for(lambda: found.extend(m for e, m in self.heard if e == event and test(m)) or found,
                                    timeout)
            assert ok, f"never heard {event}: {self.heard}"
            return found[0]


def refused(ack, reason):
    assert ack["ok"] is False and ack["reason"] == reason, ack
    return ack


def test_a_lecture_presented_on_one_process_holds_and_hears_the_participants_of_the_other(two_servers):
    one, two = two_servers
    made = post_json(one + "/api/graphs", example_doc("doughnut"))
    gid = made["id"]
    view = made["view_url"].split("view=", 1)[1]
    ann = Person(one, gid, "Ann", edit_token(gid))
    bob = Person(two, gid, "Bob", edit_token(gid))   # an editor: only the lecture stops him stepping
    cat = Person(two, gid, "Cat", view)              # a view link's holder
    people = [ann, bob, cat]
    try:
        assert bob.call("step", direction="forward")["ok"]  # no lecture yet
        assert ann.call("lecture_start")["ok"]
        assert bob.wait("lecture", lambda m: m["lecture"])["lecture"]["presenter"]["name"] == "Ann"
        ack = refused(bob.call("step", direction="forward"), "not_presenter")
        assert ack["params"] == {"name": "Ann", "action": "step"}
        dan = Person(two, gid, "Dan", view)  # joining the other process mid-lecture
        people.append(dan)
        assert dan.joined["lecture"]["presenter"]["name"] == "Ann"

        # control handed to Bob, whose connection only the other process holds
        assert ann.call("lecture_control", sid=bob.sid)["lecture"]["controller"]["name"] == "Bob"
        assert bob.call("step", direction="forward")["cursor"]["step"] == 2
        refused(ann.call("step", direction="forward"), "not_presenter")
        assert ann.call("lecture_control", sid=ann.sid)["ok"]
        refused(bob.call("step", direction="forward"), "not_presenter")

        # a question asked on one process, answered on the other, marked at the reveal
        assert ann.call("lecture_ask", node="tax", kind="grad")["round"] == 1
        assert cat.wait("lecture_question")["node"] == "tax"
        assert bob.call("lecture_answer", round=1, answer="220")["ok"]
        assert cat.call("lecture_answer", round=1, answer="200")["ok"]
        assert ann.wait("lecture_tally", lambda m: m["total"] == 2)["counts"][0]["answer"] == "200"
        result = ann.call("lecture_reveal", round=1)
        assert (result["truth"], result["right"], result["wrong"]) == ("200", 1, 1)
        assert bob.wait("lecture_mine") == {"graph_id": gid, "round": 1, "answer": "220", "truth": "200",
                                            "correct": False}
        assert cat.wait("lecture_mine")["correct"] is True
        assert dan.wait("lecture_result")["right"] == 1
        assert dan.wait("step", lambda m: m["phase"] == "backward" and m["node"] == "tax")

        # the presenter leaving (on the first process) ends the lecture on the second
        ann.sio.disconnect()
        bob.wait("lecture", lambda m: m["lecture"] is None)
        assert bob.call("step", direction="forward")["ok"]
    finally:
        for p in people:
            if p.sio.connected:
                p.sio.disconnect()
