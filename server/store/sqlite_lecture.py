"""Lecture mode's tables on SQLite (docs/lecture.md): the running lecture, who is in each room,
and the history of prediction rounds and answers. A mixin of SQLiteStore (sqlite.py), whose
``write()`` (BEGIN IMMEDIATE) holds every other process's writer while a lecture changes."""
from __future__ import annotations

import json
import time
from contextlib import contextmanager

from .base import LectureAnswer, LectureRow

_PEOPLE = ("presenter", "controller")
_ANSWERS = ("SELECT r.round, r.node, r.kind, a.participant, a.name, a.answer, a.correct, a.answered_at, a.sid "
            "FROM lecture_answers a JOIN lecture_rounds r ON r.graph_id=a.graph_id AND r.round=a.round ")


class SQLiteLectures:
    @contextmanager
    def _tx(self, tx):
        if tx is not None:
            yield tx
        else:
            with self.write() as db:
                yield db

    # -- the running lecture -------------------------------------------------------------
    def lecture(self, graph_id, tx=None) -> LectureRow | None:
        r = (tx or self.db).execute("SELECT * FROM lectures WHERE graph_id=?", (graph_id,)).fetchone()
        if r is None:
            return None
        person = lambda p: {"id": r[f"{p}_id"], "sid": r[f"{p}_sid"], "name": r[f"{p}_name"],  # noqa: E731
                            "colour": r[f"{p}_colour"]}
        return LectureRow(graph_id=r["graph_id"], presenter=person("presenter"), controller=person("controller"),
                          started_at=r["started_at"], round=r["round"], node=r["node"], kind=r["kind"],
                          view=json.loads(r["view"]) if r["view"] else None)

    def save_lecture(self, tx, row: LectureRow | None, graph_id: str | None = None):
        if row is None:
            tx.execute("DELETE FROM lectures WHERE graph_id=?", (graph_id,))
            return
        people = [row.__dict__[p][k] for p in _PEOPLE for k in ("id", "sid", "name", "colour")]
        tx.execute("INSERT OR REPLACE INTO lectures (graph_id, presenter_id, presenter_sid, presenter_name, "
                   "presenter_colour, controller_id, controller_sid, controller_name, controller_colour, "
                   "started_at, round, node, kind, view) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (row.graph_id, *people, row.started_at, row.round, row.node, row.kind,
                    json.dumps(row.view) if row.view is not None else None))

    def save_lecture_view(self, graph_id, started_at: float, view: dict):
        with self.write() as db:
            db.execute("UPDATE lectures SET view=? WHERE graph_id=? AND started_at=?",
                       (json.dumps(view), graph_id, started_at))

    # -- who is in a room, on any process -------------------------------------------------------
    def enter_room(self, graph_id, sid: str, participant: str, name: str, colour: str):
        with self.write() as db:
            db.execute("INSERT OR REPLACE INTO room_members (graph_id, sid, participant, name, colour, entered_at) "
                       "VALUES (?,?,?,?,?,?)", (graph_id, sid, participant, name, colour, time.time()))

    def leave_room(self, tx, graph_id, sid: str):
        tx.execute("DELETE FROM room_members WHERE graph_id=? AND sid=?", (graph_id, sid))

    def room_member(self, graph_id, sid) -> dict | None:
        r = self.db.execute("SELECT participant, name, colour FROM room_members WHERE graph_id=? AND sid=?",
                            (graph_id, sid)).fetchone() if isinstance(sid, str) else None
        return None if r is None else {"id": r[0], "sid": sid, "name": r[1], "colour": r[2]}

    def purge_room_members(self, older_than_s: float):
        with self.write() as db:
            db.execute("DELETE FROM room_members WHERE entered_at < ?", (time.time() - older_than_s,))

    # -- the history: rounds and answers ------------------------------------------------------
    def add_lecture_round(self, graph_id, node: str, kind: str, tx=None) -> int:
        with self._tx(tx) as db:
            number = db.execute("SELECT coalesce(max(round), 0) + 1 FROM lecture_rounds WHERE graph_id=?",
                                (graph_id,)).fetchone()[0]
            db.execute("INSERT INTO lecture_rounds (graph_id, round, node, kind, asked_at) VALUES (?,?,?,?,?)",
                       (graph_id, number, node, kind, time.time()))
        return number

    def save_lecture_answer(self, graph_id, round_no: int, participant: str, name: str, answer: str,
                            answered_at: float, sid: str = "", tx=None):
        with self._tx(tx) as db:
            db.execute("INSERT INTO lecture_answers (graph_id, round, participant, name, answer, answered_at, sid) "
                       "VALUES (?,?,?,?,?,?,?) ON CONFLICT (graph_id, round, participant) DO UPDATE SET "
                       "name=excluded.name, answer=excluded.answer, answered_at=excluded.answered_at, sid=excluded.sid",
                       (graph_id, round_no, participant, name, answer, answered_at, sid))

    def round_answers(self, graph_id, round_no: int, tx=None) -> list[LectureAnswer]:
        rows = (tx or self.db).execute(_ANSWERS + "WHERE a.graph_id=? AND a.round=? ORDER BY a.answered_at",
                                       (graph_id, round_no)).fetchall()
        return [_answer(r) for r in rows]

    def mark_lecture_round(self, graph_id, round_no: int, truth: str, marks: dict, tx=None):
        with self._tx(tx) as db:
            db.execute("UPDATE lecture_rounds SET truth=?, revealed_at=? WHERE graph_id=? AND round=?",
                       (truth, time.time(), graph_id, round_no))
            db.executemany("UPDATE lecture_answers SET correct=? WHERE graph_id=? AND round=? AND participant=?",
                           [(int(ok), graph_id, round_no, who) for who, ok in marks.items()])

    def lecture_answers(self, graph_id) -> list[LectureAnswer]:
        rows = self.db.execute(_ANSWERS + "WHERE a.graph_id=? ORDER BY r.round, a.answered_at", (graph_id,)).fetchall()
        return [_answer(r) for r in rows]


def _answer(r) -> LectureAnswer:
    return LectureAnswer(round=r[0], node=r[1], kind=r[2], participant=r[3], name=r[4], answer=r[5],
                         correct=None if r[6] is None else bool(r[6]), answered_at=r[7], sid=r[8])
