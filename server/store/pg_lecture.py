"""Lecture mode's tables on PostgreSQL (docs/lecture.md): the running lecture, who is in each room,
and the history of prediction rounds and answers. A mixin of PostgresStore (postgres.py).

A lecture's change holds the graph's row (``SELECT … FOR UPDATE``, as an edit does) for its
transaction: every host's writer of that graph's lecture, round numbers included, waits its turn."""
from __future__ import annotations

import json
import time
from contextlib import contextmanager

from .base import GraphNotFound, LectureAnswer, LectureRow

_PEOPLE = ("presenter", "controller")
_ANSWERS = ("SELECT r.round, r.node, r.kind, a.participant, a.name, a.answer, a.correct, a.answered_at, a.sid "
            "FROM lecture_answers a JOIN lecture_rounds r ON r.graph_id=a.graph_id AND r.round=a.round ")


class PostgresLectures:
    @contextmanager
    def _tx(self, tx):
        if tx is not None:
            yield tx
        else:
            with self.write() as conn:
                yield conn

    @staticmethod
    def _hold(tx, graph_id):
        if tx.execute("SELECT 1 FROM graphs WHERE id=%s FOR UPDATE", (graph_id,)).fetchone() is None:
            raise GraphNotFound.of(graph_id)

    # -- the running lecture -------------------------------------------------------------
    def lecture(self, graph_id, tx=None) -> LectureRow | None:
        from .postgres import _findable
        if not _findable(graph_id):
            return None
        with self._read(tx) as db:
            if tx is not None:
                self._hold(tx, graph_id)
            r = db.execute("SELECT * FROM lectures WHERE graph_id=%s", (graph_id,)).fetchone()
        if r is None:
            return None
        person = lambda p: {"id": r[f"{p}_id"], "sid": r[f"{p}_sid"], "name": r[f"{p}_name"],  # noqa: E731
                            "colour": r[f"{p}_colour"]}
        return LectureRow(graph_id=r["graph_id"], presenter=person("presenter"), controller=person("controller"),
                          started_at=r["started_at"], round=r["round"], node=r["node"], kind=r["kind"],
                          view=json.loads(r["view"]) if r["view"] else None)

    def save_lecture(self, tx, row: LectureRow | None, graph_id: str | None = None):
        if row is None:
            tx.execute("DELETE FROM lectures WHERE graph_id=%s", (graph_id,))
            return
        people = [row.__dict__[p][k] for p in _PEOPLE for k in ("id", "sid", "name", "colour")]
        cols = [f"{p}_{k}" for p in _PEOPLE for k in ("id", "sid", "name", "colour")] + \
            ["started_at", "round", "node", "kind", "view"]
        tx.execute(f"INSERT INTO lectures (graph_id, {', '.join(cols)}) VALUES ({', '.join(['%s'] * (len(cols) + 1))}) "
                   f"ON CONFLICT (graph_id) DO UPDATE SET {', '.join(f'{c}=excluded.{c}' for c in cols)}",
                   (row.graph_id, *people, row.started_at, row.round, row.node, row.kind,
                    json.dumps(row.view) if row.view is not None else None))

    def save_lecture_view(self, graph_id, started_at: float, view: dict):
        with self.write() as tx:
            tx.execute("UPDATE lectures SET view=%s WHERE graph_id=%s AND started_at=%s",
                       (json.dumps(view), graph_id, started_at))

    # -- who is in a room, on any host ----------------------------------------------------------
    def enter_room(self, graph_id, sid: str, participant: str, name: str, colour: str):
        with self.write() as tx:
            tx.execute("INSERT INTO room_members (graph_id, sid, participant, name, colour, entered_at) "
                       "VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (graph_id, sid) DO UPDATE SET "
                       "participant=excluded.participant, name=excluded.name, colour=excluded.colour",
                       (graph_id, sid, participant, name, colour, time.time()))

    def leave_room(self, tx, graph_id, sid: str):
        tx.execute("DELETE FROM room_members WHERE graph_id=%s AND sid=%s", (graph_id, sid))

    def room_member(self, graph_id, sid) -> dict | None:
        from .postgres import _findable
        if not (_findable(graph_id) and _findable(sid)):
            return None
        with self._read() as db:
            r = db.execute("SELECT participant, name, colour FROM room_members WHERE graph_id=%s AND sid=%s",
                           (graph_id, sid)).fetchone()
        return None if r is None else {"id": r["participant"], "sid": sid, "name": r["name"], "colour": r["colour"]}

    def purge_room_members(self, older_than_s: float):
        with self.write() as tx:
            tx.execute("DELETE FROM room_members WHERE entered_at < %s", (time.time() - older_than_s,))

    # -- the history: rounds and answers ------------------------------------------------------
    def add_lecture_round(self, graph_id, node: str, kind: str, tx=None) -> int:
        with self._tx(tx) as db:
            self._hold(db, graph_id)  # two rounds asked at once get 1 and 2, not both 1
            number = db.execute("SELECT coalesce(max(round), 0) + 1 AS n FROM lecture_rounds WHERE graph_id=%s",
                                (graph_id,)).fetchone()["n"]
            db.execute("INSERT INTO lecture_rounds (graph_id, round, node, kind, asked_at) VALUES (%s,%s,%s,%s,%s)",
                       (graph_id, number, node, kind, time.time()))
        return number

    def save_lecture_answer(self, graph_id, round_no: int, participant: str, name: str, answer: str,
                            answered_at: float, sid: str = "", tx=None):
        with self._tx(tx) as db:
            db.execute("INSERT INTO lecture_answers (graph_id, round, participant, name, answer, answered_at, sid) "
                       "VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (graph_id, round, participant) DO UPDATE SET "
                       "name=excluded.name, answer=excluded.answer, answered_at=excluded.answered_at, sid=excluded.sid",
                       (graph_id, round_no, participant, name, answer, answered_at, sid))

    def round_answers(self, graph_id, round_no: int, tx=None) -> list[LectureAnswer]:
        with self._read(tx) as db:
            rows = db.execute(_ANSWERS + "WHERE a.graph_id=%s AND a.round=%s ORDER BY a.answered_at",
                              (graph_id, round_no)).fetchall()
        return [LectureAnswer(**r) for r in rows]

    def mark_lecture_round(self, graph_id, round_no: int, truth: str, marks: dict, tx=None):
        with self._tx(tx) as db:
            db.execute("UPDATE lecture_rounds SET truth=%s, revealed_at=%s WHERE graph_id=%s AND round=%s",
                       (truth, time.time(), graph_id, round_no))
            for who, ok in marks.items():
                db.execute("UPDATE lecture_answers SET correct=%s WHERE graph_id=%s AND round=%s AND participant=%s",
                           (bool(ok), graph_id, round_no, who))

    def lecture_answers(self, graph_id) -> list[LectureAnswer]:
        from .postgres import _findable
        if not _findable(graph_id):
            return []
        with self._read() as db:
            rows = db.execute(_ANSWERS + "WHERE a.graph_id=%s ORDER BY r.round, a.answered_at", (graph_id,)).fetchall()
        return [LectureAnswer(**r) for r in rows]
