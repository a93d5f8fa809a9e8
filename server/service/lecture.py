"""Lecture mode: one presenter, the room following whoever has control, and predict-then-reveal rounds.

A lecture belongs to one graph's room. It is started by a connection with edit rights, which
becomes its **presenter** and, at first, its **controller**. The controller alone may step and
reset the graph (web/lecture.py asks ``may_step`` before the graph's own role check) and its
camera and highlighted node are relayed to everyone else, who follow unless they chose to explore.
The presenter may hand control to anyone in the room (a view link's holder included) and take it
back, ask a prediction round, reveal it, and end the lecture. When the presenter leaves, the
lecture ends; when the controller leaves, control goes back to the presenter.

The live lecture (who presents, who controls, the open round's answers) is held here, per process,
under this object's lock. The history of rounds and answers is written to the store as it happens,
so the CSV export (``history``) reads the store. Participants are connections: ``who`` is
``{sid, id, name, colour}`` (web/clients.py), ``id`` being the identity answers are kept under.
Every method returns an Outcome: the caller's reply and what the room (or one person) is sent.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from ..engine.display import fmt
from ..errors import Forbidden, Refused
from .outbox import Outbox, Outcome

VIEW_RATE = 20.0         # the controller's camera is relayed at most 20 times a second on average,
VIEW_BURST = 5.0         # with bursts of 5: a page's last view after jitter on the way is never dropped
KINDS = ("value", "grad")
REL_TOL = 1e-6           # an answer within this relative distance of the truth is right


@dataclass
class Round:
    number: int
    node: str
    kind: str
    answers: dict = field(default_factory=dict)   # participant id → {sid, name, value, at}

    def public(self) -> dict:
        return {"round": self.number, "node": self.node, "kind": self.kind}

    def counts(self) -> list[dict]:
        """How many gave each distinct answer, by its display string, smallest first; no names."""
        tally: dict[str, list] = {}
        for a in self.answers.values():
            key = fmt(a["value"])
            tally.setdefault(key, [a["value"], 0])[1] += 1
        return [{"answer": k, "value": v, "count": n} for k, (v, n) in sorted(tally.items(), key=lambda i: i[1][0])]


@dataclass
class Lecture:
    graph_id: str
    presenter: dict
    controller: dict
    view: dict | None = None          # the controller's last camera and highlighted node
    round: Round | None = None        # the open prediction round
    view_tokens: float = VIEW_BURST
    view_at: float = 0.0

    def view_due(self) -> bool:
        """A token bucket: VIEW_RATE views a second, bursts of VIEW_BURST."""
        now = time.monotonic()
        self.view_tokens = min(VIEW_BURST, self.view_tokens + (now - self.view_at) * VIEW_RATE)
        self.view_at = now
        if self.view_tokens >= 1:
            self.view_tokens -= 1
            return True
        return False

    def public(self) -> dict:
        pub = lambda who: {k: who[k] for k in ("sid", "name", "colour")}  # noqa: E731
        return {"active": True, "presenter": pub(self.presenter), "controller": pub(self.controller),
                "question": self.round.public() if self.round else None}


def is_right(answer: float, truth: float, truth_text: str) -> bool:
    """Right within a relative 1e-6, or equal to the truth as the page shows it (its display string)."""
    if math.isnan(truth):
        return math.isnan(answer)
    if math.isinf(truth) or math.isinf(answer):
        return answer == truth
    return math.isclose(answer, truth, rel_tol=REL_TOL, abs_tol=1e-12) or fmt(answer) == truth_text


def read_number(answer) -> float:
    """The number a participant answered: a JSON number, or a typed text such as "2.2" or "−3"."""
    if isinstance(answer, bool):
        raise Refused("the answer must be a number", reason="not_a_number", field="answer")
    if isinstance(answer, str) and len(answer) <= 60:
        try:
            answer = float(answer.strip().replace("\u2212", "-").replace(",", ""))
        except ValueError:
            pass
    if not isinstance(answer, (int, float)) or isinstance(answer, bool):
        raise Refused("the answer must be a number", reason="not_a_number", field="answer")
    try:
        value = float(answer)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise Refused("the answer must be a finite number", reason="not_finite", field="answer", value=str(answer)[:30])
    return value


class Lectures:
    """The lectures running on this process's graphs, by graph id."""

    def __init__(self):
        self._by_graph: dict[str, Lecture] = {}
        self._lock = threading.RLock()

    # -- reading ---------------------------------------------------------------------------
    def public(self, graph_id: str) -> dict | None:
        """The lecture as a joining page needs it (with the controller's last view), or None."""
        with self._lock:
            lec = self._by_graph.get(graph_id)
            return None if lec is None else {**lec.public(), "view": lec.view}

    def may_step(self, graph_id: str, sid: str, action: str) -> bool:
        """Whether ``sid`` steps as the lecture's controller (True), or no lecture runs (False: the
        graph's own roles decide). Anyone else is refused while a lecture runs."""
        with self._lock:
            lec = self._by_graph.get(graph_id)
            if lec is None:
                return False
            if lec.controller["sid"] != sid:
                raise Forbidden(f"a lecture is on: only {lec.controller['name']}, who has control, can {action} "
                                "the graph", reason="not_presenter", name=lec.controller["name"][:40], action=action)
            return True

    # -- the lecture ------------------------------------------------------------------------
    def start(self, graph_id: str, who: dict, stored: bool) -> Outcome:
        """Start a lecture with ``who`` (an editor) presenting; starting one's own again is a no-op."""
        if not stored:
            raise Refused("an unsaved example cannot hold a lecture: change it once to keep it",
                          reason="lecture_unsaved")
        with self._lock:
            lec = self._by_graph.get(graph_id)
            if lec is not None and lec.presenter["sid"] != who["sid"]:
                raise Refused(f"{lec.presenter['name']} is already giving a lecture on this graph",
                              reason="lecture_running", name=lec.presenter["name"][:40])
            if lec is None:
                lec = self._by_graph[graph_id] = Lecture(graph_id, who, who)
            return self._told(lec)

    def stop(self, graph_id: str, sid: str) -> Outcome:
        with self._lock:
            self._presenting(graph_id, sid, "end the lecture")
            del self._by_graph[graph_id]
            return self._ended(graph_id)

    def hand(self, graph_id: str, sid: str, to: dict | None) -> Outcome:
        """Give control to ``to`` (someone in the room), or take it back (``to`` is the presenter)."""
        with self._lock:
            lec = self._presenting(graph_id, sid, "hand over control")
            if to is None:
                raise Refused("that participant is not in this room", reason="not_in_room")
            lec.controller = to
            return self._told(lec)

    def left(self, graph_id: str, sid: str) -> Outcome | None:
        """A connection left the room: the presenter's going ends the lecture, the controller's
        gives control back to the presenter."""
        with self._lock:
            lec = self._by_graph.get(graph_id)
            if lec is None:
                return None
            if lec.presenter["sid"] == sid:
                del self._by_graph[graph_id]
                return self._ended(graph_id)
            if lec.controller["sid"] == sid:
                lec.controller = lec.presenter
                return self._told(lec)
            return None

    def view(self, graph_id: str, sid: str, camera, node) -> Outcome:
        """The controller's camera (the world rectangle it shows) and highlighted node, for the followers."""
        with self._lock:
            lec = self._by_graph.get(graph_id)
            if lec is None:
                raise Refused("no lecture is running on this graph", reason="no_lecture")
            if lec.controller["sid"] != sid:
                raise Forbidden("only the one who has control leads the view", reason="not_presenter",
                                name=lec.controller["name"][:40], action="lead")
            outbox = Outbox()
            if not lec.view_due():
                return Outcome({"ok": True, "dropped": True}, outbox)
            lec.view = {"camera": _camera(camera), "node": node if isinstance(node, str) and len(node) <= 200 else None}
            outbox.put("lecture_view", {"graph_id": graph_id, "sid": sid, **lec.view}, graph_id, skip_sid=sid)
            return Outcome({"ok": True}, outbox)

    # -- predict, then reveal --------------------------------------------------------------
    def ask(self, service, sid: str, node, kind) -> Outcome:
        """Ask the room for ``node``'s next ``kind`` ("value" or "grad"): it must not be shown yet."""
        if kind not in KINDS:
            raise Refused("a question asks for a 'value' or a 'grad'", reason="invalid_question",
                          kind=str(kind)[:20])
        _steps_to(service, node, kind)  # refuses a node that is not there, or already shown
        with self._lock:
            lec = self._presenting(service.id, sid, "ask a question")
            number = service.store.add_lecture_round(service.id, node, kind)
            lec.round = Round(number, node, kind)
            outbox = Outbox()
            outbox.put("lecture_question", {"graph_id": service.id, **lec.round.public()}, service.id)
            outbox.put("lecture_tally", self._tally(lec), service.id)
            return Outcome({"ok": True, **lec.round.public()}, outbox)

    def answer(self, graph_id: str, who: dict, store, round_no, value) -> Outcome:
        """A participant's prediction for the open round; answering again replaces it."""
        number = read_number(value)
        with self._lock:
            lec = self._open_round(graph_id, round_no)
            if lec.presenter["sid"] == who["sid"]:
                raise Refused("the presenter asks; the room answers", reason="presenter_answers")
            at = time.time()
            store.save_lecture_answer(graph_id, lec.round.number, who["id"], who["name"], repr(number), at)
            lec.round.answers[who["id"]] = {"sid": who["sid"], "name": who["name"], "value": number, "at": at}
            outbox = Outbox()
            outbox.put("lecture_tally", self._tally(lec), graph_id)
            return Outcome({"ok": True, "round": lec.round.number, "answer": fmt(number)}, outbox)

    def reveal(self, service, sid: str, round_no) -> tuple[Outcome | None, Outcome]:
        """Step the graph to the asked node's step, mark every answer, and tell each participant theirs.
        Returns the stepping's outcome (None if nothing was left to step) and the lecture's."""
        with self._lock:
            lec = self._presenting(service.id, sid, "reveal the answer")
            rnd = self._open_round(service.id, round_no).round
            stepped = None
            direction, count = _steps_to(service, rnd.node, rnd.kind, refuse_shown=False)
            if count:
                stepped = service.step(direction, count)
            state = service.state()
            section = "values" if rnd.kind == "value" else "grads"
            truth = state[section].get(rnd.node)
            truth = math.nan if truth is None else float(truth)  # None: the node could not be computed
            truth_text = state["display"][section].get(rnd.node) or fmt(truth)
            marks = {who: is_right(a["value"], truth, truth_text) for who, a in rnd.answers.items()}
            service.store.mark_lecture_round(service.id, rnd.number, truth_text, marks)
            lec.round = None
            right = sum(marks.values())
            counts = [{**c, "right": is_right(c["value"], truth, truth_text)} for c in rnd.counts()]
            result = {"graph_id": service.id, **rnd.public(), "truth": truth_text, "counts": counts,
                      "right": right, "wrong": len(marks) - right, "total": len(marks)}
            outbox = Outbox()
            outbox.put("lecture_result", result, service.id)
            for who, a in rnd.answers.items():  # each their own, and no one else's
                outbox.put("lecture_mine", {"graph_id": service.id, "round": rnd.number, "answer": fmt(a["value"]),
                                            "truth": truth_text, "correct": marks[who]}, a["sid"])
            outbox.put("lecture", {"graph_id": service.id, "lecture": lec.public()}, service.id)
            return stepped, Outcome({"ok": True, **{k: result[k] for k in ("round", "truth", "right", "wrong",
                                                                         "total", "counts")}}, outbox)

    def history(self, store, graph_id: str) -> list:
        return store.lecture_answers(graph_id)

    # -- helpers -----------------------------------------------------------------------------
    def _presenting(self, graph_id, sid, action) -> Lecture:
        lec = self._by_graph.get(graph_id)
        if lec is None:
            raise Refused("no lecture is running on this graph", reason="no_lecture")
        if lec.presenter["sid"] != sid:
            raise Forbidden(f"only the presenter, {lec.presenter['name']}, can {action}", reason="presenter_only",
                            name=lec.presenter["name"][:40], action=action)
        return lec

    def _open_round(self, graph_id, round_no) -> Lecture:
        lec = self._by_graph.get(graph_id)
        if lec is None:
            raise Refused("no lecture is running on this graph", reason="no_lecture")
        if lec.round is None or round_no != lec.round.number:
            raise Refused("that question is closed", reason="question_closed",
                          round=round_no if isinstance(round_no, int) and not isinstance(round_no, bool) else 0)
        return lec

    def _tally(self, lec: Lecture) -> dict:
        return {"graph_id": lec.graph_id, "round": lec.round.number, "counts": lec.round.counts(),
                "total": len(lec.round.answers)}

    def _told(self, lec: Lecture) -> Outcome:
        outbox = Outbox()
        outbox.put("lecture", {"graph_id": lec.graph_id, "lecture": lec.public()}, lec.graph_id)
        return Outcome({"ok": True, "lecture": lec.public()}, outbox)

    @staticmethod
    def _ended(graph_id) -> Outcome:
        outbox = Outbox()
        outbox.put("lecture", {"graph_id": graph_id, "lecture": None}, graph_id)
        return Outcome({"ok": True, "lecture": None}, outbox)


def _camera(camera) -> dict | None:
    """The world rectangle {cx, cy, w, h} the controller shows, if it is one (finite, positive size)."""
    if not isinstance(camera, dict):
        return None
    out = {}
    for k in ("cx", "cy", "w", "h"):
        v = camera.get(k)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return None
        out[k] = float(v)
    return out if out["w"] > 0 and out["h"] > 0 else None


def _steps_to(service, node, kind, refuse_shown: bool = True):
    """(direction, count): the steps that reveal ``node``'s ``kind`` from where the cursor is
    (count 0 if it is shown already; refused then, with ``refuse_shown``)."""
    if not isinstance(node, str) or node not in service.graph.g:
        raise Refused(f"no node with id {str(node)[:60]!r}", reason="no_node", node=str(node)[:60])
    fwd, bwd, at = service.pass_position()
    order, direction = (fwd, "forward") if kind == "value" else (bwd, "backward")
    if node not in order:
        raise Refused(f"'{node}' has no {kind} to predict in this graph", reason="invalid_question", kind=kind)
    target = order.index(node) + 1
    if kind == "value":
        shown = at["phase"] == "backward" or (at["phase"] == "forward" and at["step"] >= target)
        count = 0 if shown else target - (at["step"] if at["phase"] == "forward" else 0)
    else:
        shown = at["phase"] == "backward" and at["step"] >= target
        count = 0 if shown else target - (at["step"] if at["phase"] == "backward" else 0)
    if shown and refuse_shown:
        raise Refused(f"the {kind} of '{node}' is already shown", reason="already_shown", node=node, kind=kind)
    return direction, count
