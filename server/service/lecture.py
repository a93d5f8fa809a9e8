"""Lecture mode: one presenter, the room following whoever has control, and predict-then-reveal rounds.

A lecture belongs to one graph's room. It is started by a connection with edit rights, which
becomes its **presenter** and, at first, its **controller**. The controller alone may step and
reset the graph (web/lecture.py asks ``may_step`` before the graph's own role check) and its
camera and highlighted node are relayed to everyone else, who follow unless they chose to explore.
The presenter may hand control to anyone in the room (a view link's holder included) and take it
back, ask a prediction round, reveal it, and end the lecture. When the presenter's connection
leaves, the lecture ends; when the controller's leaves, control goes back to the presenter.

The live lecture is the **store's** (``lectures``: presenter, controller, the open round; the
answers in ``lecture_answers``), so every process serving the graph decides alike: each decision
reads it, and each change is one store transaction that holds every other process's writer of the
graph. Authority goes by **editor identity** (web/access.py), which is the same on every process
and across reconnects; a connection (``sid``) is what the room is shown. Who is in a room, on any
process, is the store's ``room_members``, so control can be handed to a connection of another
process. Only the camera relay is the process's own: its rate and the occasional save of the
last view (lecture_view.py; relays go out through the message queue, never through the store).
What a round may ask, and how answers are read and marked, is lecture_rounds.py's.

Participants are ``who`` = ``{sid, id, name, colour}`` (web/clients.py). Every method returns an
Outcome: the caller's reply and what the room (or one person) is sent.
"""
from __future__ import annotations

import logging
import threading
import time

from ..engine.display import fmt
from ..errors import Forbidden, Refused, Unavailable
from ..store.base import LectureRow
from .lecture_rounds import KINDS, counts, is_right, open_round, read_number, steps_to, truth_of
from .lecture_view import Relays, read_camera
from .outbox import Outbox, Outcome

log = logging.getLogger("gradcanvas.lecture")

def person(who: dict) -> dict:
    return {k: who[k] for k in ("id", "sid", "name", "colour")}


def public(row: LectureRow) -> dict:
    """The lecture as the room is told it: connections and names, never identities."""
    pub = lambda p: {k: p[k] for k in ("sid", "name", "colour")}  # noqa: E731
    question = {"round": row.round, "node": row.node, "kind": row.kind} if row.round is not None else None
    return {"active": True, "presenter": pub(row.presenter), "controller": pub(row.controller), "question": question}


class Lectures:
    """The lectures of the graphs this process serves. Their state is the store's; this object
    keeps only which connections of this process it entered in rooms, and the camera relays."""

    def __init__(self):
        self._relays = Relays()                        # the camera relays (lecture_view.py)
        # (graph id, sid) → the name it was entered under in the store's room_members (a new name, given
        # by joining again, is entered again)
        self._entered: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------
    def public(self, service) -> dict | None:
        """The lecture as a joining page needs it (with the controller's last view), or None."""
        row = service.store.lecture(service.id) if service.store is not None else None
        return None if row is None else {**public(row), "view": row.view}

    def may_step(self, service, who: dict, action: str) -> bool:
        """Whether ``who`` steps as the lecture's controller (True), or no lecture runs (False: the
        graph's own roles decide). Anyone else is refused while a lecture runs."""
        row = service.store.lecture(service.id) if service.store is not None else None
        if row is None:
            return False
        if row.controller["id"] != who["id"]:
            name = row.controller["name"]
            raise Forbidden(f"a lecture is on: only {name}, who has control, can {action} the graph",
                            reason="not_presenter", name=name[:40], action=action)
        return True

    # -- the room ------------------------------------------------------------------------------
    def entered(self, service, who: dict) -> Outcome | None:
        """A connection joined the graph's room: entered in the store's room (so a presenter on any
        process can hand it control). The presenter's or controller's identity joining again (a
        reconnect, through any process) is theirs again: its new connection is the one shown."""
        store = service.store
        if store is None:
            return None
        self.enter(service, who)
        row = store.lecture(service.id)
        if row is None or all(row.__dict__[p]["id"] != who["id"] or row.__dict__[p]["sid"] == who["sid"]
                              for p in ("presenter", "controller")):
            return None
        with store.write() as tx:  # Unavailable: the join is refused, as an edit would be
            row = store.lecture(service.id, tx)
            if row is None:
                return None
            for p in ("presenter", "controller"):
                if row.__dict__[p]["id"] == who["id"]:
                    setattr(row, p, person(who))
            store.save_lecture(tx, row)
        return self._told(row)

    def enter(self, service, who: dict):
        """Enter the connection in the store's room of the graph, once (a stored graph's only)."""
        key = (service.id, who["sid"])
        with self._lock:
            if service.store is None or self._entered.get(key) == who["name"]:
                return
            self._entered[key] = who["name"]
        try:
            service.store.enter_room(service.id, who["sid"], who["id"], who["name"], who["colour"])
        except Unavailable:  # a store that takes no write now: still a page in the room, entered next time
            with self._lock:
                self._entered.pop(key, None)
            log.warning("a connection could not be entered in the store's room", exc_info=True)

    def left(self, store, graph_id: str, sid: str) -> Outcome | None:
        """A connection left the room of a stored graph: the presenter's going ends the lecture,
        the controller's gives control back to the presenter."""
        with self._lock:
            self._entered.pop((graph_id, sid), None)
        with store.write() as tx:
            store.leave_room(tx, graph_id, sid)
            row = store.lecture(graph_id, tx)
            if row is None:
                return None
            if row.presenter["sid"] == sid:
                store.save_lecture(tx, None, graph_id)
                ended = True
            elif row.controller["sid"] == sid:
                row.controller = dict(row.presenter)
                store.save_lecture(tx, row)
                ended = False
            else:
                return None
        return self._ended(graph_id) if ended else self._told(row)

    # -- the lecture ------------------------------------------------------------------------
    def start(self, service, who: dict, take_over: bool = False) -> Outcome:
        """Start a lecture with ``who`` (an editor) presenting; starting one's own again is a no-op.
        ``take_over``: an editor takes over another's running lecture (its presenter is gone, say,
        with their process), and presents and controls it from now on; its open round stays open."""
        if service.store is None:
            raise Refused("an unsaved example cannot hold a lecture: change it once to keep it",
                          reason="lecture_unsaved")
        store = service.store
        with store.write() as tx:
            row = store.lecture(service.id, tx)
            if row is None:
                row = LectureRow(service.id, person(who), person(who), time.time())
            elif row.presenter["id"] == who["id"]:
                row.presenter = person(who)
                if row.controller["id"] == who["id"]:
                    row.controller = person(who)
            elif take_over is True:
                row.presenter = row.controller = person(who)
            else:
                raise Refused(f"{row.presenter['name']} is already giving a lecture on this graph",
                              reason="lecture_running", name=row.presenter["name"][:40])
            store.save_lecture(tx, row)
        return self._told(row)

    def stop(self, service, who: dict) -> Outcome:
        store = self._store(service)
        with store.write() as tx:
            self._presenting(store.lecture(service.id, tx), who, "end the lecture")
            store.save_lecture(tx, None, service.id)
        return self._ended(service.id)

    def hand(self, service, who: dict, sid, here: dict | None) -> Outcome:
        """Give control to connection ``sid`` of the room (``here``: it, if it is a connection of
        this process; else the store's room says who it is), or take it back (the presenter's own)."""
        store = self._store(service)
        self._presenting(store.lecture(service.id), who, "hand over control")
        to = here or store.room_member(service.id, sid)
        if to is None:
            raise Refused("that participant is not in this room", reason="not_in_room")
        with store.write() as tx:
            row = self._presenting(store.lecture(service.id, tx), who, "hand over control")
            row.controller = person(to)
            store.save_lecture(tx, row)
        return self._told(row)

    def view(self, service, who: dict, camera, node) -> Outcome:
        """The controller's camera (the world rectangle it shows) and highlighted node, for the followers."""
        store = self._store(service)
        row = store.lecture(service.id)
        if row is None:
            raise Refused("no lecture is running on this graph", reason="no_lecture")
        if row.controller["id"] != who["id"]:
            raise Forbidden("only the one who has control leads the view", reason="not_presenter",
                            name=row.controller["name"][:40], action="lead")
        view = {"camera": read_camera(camera), "node": node if isinstance(node, str) and len(node) <= 200 else None}
        outbox = Outbox()
        if not self._relays.relay(store, service.id, row.started_at, view):
            return Outcome({"ok": True, "dropped": True}, outbox)
        outbox.put("lecture_view", {"graph_id": service.id, "sid": who["sid"], **view}, service.id,
                   skip_sid=who["sid"])
        return Outcome({"ok": True}, outbox)

    # -- predict, then reveal --------------------------------------------------------------
    def ask(self, service, who: dict, node, kind) -> Outcome:
        """Ask the room for ``node``'s next ``kind`` ("value" or "grad"): it must not be shown yet."""
        if kind not in KINDS:
            raise Refused("a question asks for a 'value' or a 'grad'", reason="invalid_question",
                          kind=str(kind)[:20])
        store = self._store(service)
        self._presenting(store.lecture(service.id), who, "ask a question")
        steps_to(service, node, kind)  # refuses a node that is not there, or already shown
        with store.write() as tx:
            row = self._presenting(store.lecture(service.id, tx), who, "ask a question")
            row.round, row.node, row.kind = store.add_lecture_round(service.id, node, kind, tx=tx), node, kind
            store.save_lecture(tx, row)
        question = {"round": row.round, "node": node, "kind": kind}
        outbox = Outbox()
        outbox.put("lecture_question", {"graph_id": service.id, **question}, service.id)
        outbox.put("lecture_tally", {"graph_id": service.id, "round": row.round, "counts": [], "total": 0}, service.id)
        return Outcome({"ok": True, **question}, outbox)

    def answer(self, service, who: dict, round_no, value) -> Outcome:
        """A participant's prediction for the open round; answering again replaces it."""
        number = read_number(value)
        store = self._store(service)
        with store.write() as tx:
            row = open_round(store.lecture(service.id, tx), round_no)
            if row.presenter["id"] == who["id"]:
                raise Refused("the presenter asks; the room answers", reason="presenter_answers")
            store.save_lecture_answer(service.id, row.round, who["id"], who["name"], repr(number), time.time(),
                                      sid=who["sid"], tx=tx)
            answers = store.round_answers(service.id, row.round, tx=tx)
        outbox = Outbox()
        outbox.put("lecture_tally", {"graph_id": service.id, "round": row.round, "counts": counts(answers),
                                     "total": len(answers)}, service.id)
        return Outcome({"ok": True, "round": row.round, "answer": fmt(number)}, outbox)

    def reveal(self, service, who: dict, round_no) -> tuple[Outcome | None, Outcome]:
        """Step the graph to the asked node's step, mark every answer, and tell each participant theirs.
        Returns the stepping's outcome (None if nothing was left to step) and the lecture's."""
        store = self._store(service)
        row = open_round(self._presenting(store.lecture(service.id), who, "reveal the answer"), round_no)
        stepped = None
        direction, count = steps_to(service, row.node, row.kind, refuse_shown=False)
        if count:
            stepped = service.step(direction, count)
        truth, truth_text = truth_of(service, row.node, row.kind)
        with store.write() as tx:  # the round is closed once, whichever process reveals it first
            row = open_round(self._presenting(store.lecture(service.id, tx), who, "reveal the answer"), round_no)
            answers = store.round_answers(service.id, row.round, tx=tx)
            marks = {a.participant: is_right(float(a.answer), truth, truth_text) for a in answers}
            store.mark_lecture_round(service.id, row.round, truth_text, marks, tx=tx)
            question = {"round": row.round, "node": row.node, "kind": row.kind}
            row.round = row.node = row.kind = None
            store.save_lecture(tx, row)
        right = sum(marks.values())
        tallied = [{**c, "right": is_right(c["value"], truth, truth_text)} for c in counts(answers)]
        result = {"graph_id": service.id, **question, "truth": truth_text, "counts": tallied,
                  "right": right, "wrong": len(marks) - right, "total": len(marks)}
        outbox = Outbox()
        outbox.put("lecture_result", result, service.id)
        for a in answers:  # each their own, and no one else's: to the connection that answered
            if a.sid:
                outbox.put("lecture_mine", {"graph_id": service.id, "round": question["round"],
                                            "answer": fmt(float(a.answer)), "truth": truth_text,
                                            "correct": marks[a.participant]}, a.sid)
        outbox.put("lecture", {"graph_id": service.id, "lecture": public(row)}, service.id)
        return stepped, Outcome({"ok": True, **{k: result[k] for k in ("round", "truth", "right", "wrong",
                                                                     "total", "counts")}}, outbox)

    def history(self, store, graph_id: str) -> list:
        return store.lecture_answers(graph_id)

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _store(service):
        if service.store is None:
            raise Refused("no lecture is running on this graph", reason="no_lecture")
        return service.store

    @staticmethod
    def _presenting(row: LectureRow | None, who: dict, action: str) -> LectureRow:
        if row is None:
            raise Refused("no lecture is running on this graph", reason="no_lecture")
        if row.presenter["id"] != who["id"]:
            name = row.presenter["name"]
            raise Forbidden(f"only the presenter, {name}, can {action}", reason="presenter_only",
                            name=name[:40], action=action)
        return row

    @staticmethod
    def _told(row: LectureRow) -> Outcome:
        outbox = Outbox()
        outbox.put("lecture", {"graph_id": row.graph_id, "lecture": public(row)}, row.graph_id)
        return Outcome({"ok": True, "lecture": public(row)}, outbox)

    @staticmethod
    def _ended(graph_id) -> Outcome:
        outbox = Outbox()
        outbox.put("lecture", {"graph_id": graph_id, "lecture": None}, graph_id)
        return Outcome({"ok": True, "lecture": None}, outbox)

