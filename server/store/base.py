"""What a store is: the protocol every backend implements, its rows and its errors.

The services (server/service/) use a store only through these methods, so a
second backend (a server database) is written against this file alone. No SQL
lives outside server/store/.

A write goes through ``write()``, a context manager yielding a transaction
handle (``tx``) that the logging methods take: everything done with one
``tx`` commits together, before the server acknowledges or broadcasts it, or
not at all.

Across processes (and hosts), one graph has one sequence of versions: reading
``shared(graph_id, tx)`` inside ``write()`` holds the graph against every other
writer until the transaction ends, so the version read stays the latest, and
``append`` checks it again in the database: of two writers of version N, the
second gets VersionConflict. A backend's failures to reach or write its storage
(a full disk, a read-only store, a database that cannot be reached) are raised
as Unavailable, with nothing changed.
"""
from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import NotFound, Refused, Unavailable

SNAPSHOT_EVERY = 50      # versions between document snapshots


class GraphNotFound(NotFound):
    """No graph with this id (or it was deleted)."""

    @classmethod
    def of(cls, graph_id, deleted: bool = False, note: str = "") -> "GraphNotFound":
        shown = str(graph_id)[:60]
        if deleted:
            return cls(f"no graph with id {graph_id!r}{note}", reason="graph_deleted", id=shown)
        return cls(f"no graph with id {graph_id!r}{note}", reason="graph_not_found", id=shown)


class StoreFull(Unavailable):
    """The store holds as many graphs as it may: no new graph until some are deleted."""


class VersionConflict(Refused):
    """Another writer logged this version first."""


@dataclass
class GraphRow:
    id: str
    title: str
    document: dict
    doc_version: int
    version: int
    created_at: float
    updated_at: float
    edit_token: str
    view_token: str
    cursor: dict | None
    losses: list | None
    deleted_at: float | None
    nodes: int = 0       # the node count now: ``document`` is a snapshot, behind by up to SNAPSHOT_EVERY edits

    def listing(self) -> dict:
        return {"id": self.id, "title": self.title, "version": self.version,
                "created_at": self.created_at, "updated_at": self.updated_at, "nodes": self.nodes}


@dataclass
class EditRow:
    version: int
    kind: str            # edit | undo | redo
    ops: list            # the batch as applied
    inverse: list        # the batch that takes it back
    client: str          # who: a browser's persistent client id
    at: float
    state: str           # for kind=edit: done | undone | dead
    undone_at: int | None


@dataclass
class Shared:
    """What every process serving a graph shares, read at the start of each operation."""
    version: int
    cursor: dict | None
    losses: list | None


@dataclass
class LectureAnswer:
    """One participant's answer to one prediction round of a graph's lecture (docs/lecture.md)."""
    round: int
    node: str
    kind: str            # value | grad
    participant: str     # who: the connection's editor identity (never shown)
    name: str            # the name shown in the room when they answered
    answer: str          # the number as typed, read as a float and written back (repr)
    correct: bool | None # None until the round is revealed
    answered_at: float
    sid: str = ""        # the connection that answered last, which is sent its own result


@dataclass
class LectureRow:
    """A graph's running lecture, as every process serving the graph reads it (docs/lecture.md).
    ``presenter`` and ``controller`` are ``{id, sid, name, colour}``: ``id`` the editor identity
    (web/access.py) that authority goes by, ``sid`` the connection shown as them."""
    graph_id: str
    presenter: dict
    controller: dict
    started_at: float
    round: int | None = None     # the open prediction round, its node and kind
    node: str | None = None
    kind: str | None = None
    view: dict | None = None     # the controller's last view as saved (at most about once a second)


class Store(Protocol):
    # -- graphs --
    def create(self, doc: dict, title: str | None = None) -> GraphRow:
        """A new graph at version 0; StoreFull at the limit."""
    def get(self, graph_id: str, include_deleted: bool = False) -> GraphRow:
        """The graph's row; GraphNotFound if there is none (or it is deleted)."""
    def list(self, browser: str | None = None) -> list[dict]:
        """Listings, newest change first; with ``browser``, those it may edit."""
    def delete(self, graph_id: str) -> None: ...
    def restore(self, graph_id: str) -> None: ...
    def purge_deleted(self, older_than_s: float) -> None: ...
    # -- who may edit --
    def grant(self, browser: str, graph_id: str, role: str) -> None: ...
    def granted(self, browser: str, graph_id: str) -> str | None: ...
    # -- the edit log --
    def write(self) -> AbstractContextManager[Any]:
        """A write transaction across processes; yields the ``tx`` the methods below take.
        It is committed (durably) when the block ends, before anything is acknowledged."""
    def shared(self, graph_id: str, tx: Any = None) -> Shared:
        """The graph's version, cursor and loss curve; GraphNotFound if deleted. With ``tx``,
        the graph is held against other writers until the transaction ends."""
    def edits_since(self, graph_id: str, version: int, limit: int | None = None,
                    tx: Any = None) -> list[EditRow]:
        """The log after ``version``, in order; with ``tx``, as that transaction sees it."""
    def append(self, tx: Any, graph_id: str, base_version: int, kind: str, ops: list, inverse: list,
               client: str, document: Any = None, nodes: int | None = None) -> int:
        """Log one batch made against ``base_version``; the new version, or VersionConflict.
        ``nodes``: the node count after it, for the library's listing."""
    def last_own_edit(self, tx: Any, graph_id: str, client: str, state: str) -> EditRow | None: ...
    def mark(self, tx: Any, graph_id: str, version: int, state: str, undone_at: int | None = None,
             ops: list | None = None, inverse: list | None = None) -> None: ...
    def can_undo_redo(self, graph_id: str, client: str) -> tuple[bool, bool]: ...
    def save_shared(self, tx: Any, graph_id: str, cursor: dict | None = None,
                    losses: list | None = None) -> None: ...
    # -- lecture mode (docs/lecture.md): the live lecture, who is in a room, rounds and answers --
    # The methods taking ``tx=None`` open a write of their own without one.
    def lecture(self, graph_id: str, tx: Any = None) -> LectureRow | None:
        """The graph's running lecture, or None. With ``tx``, held against every other writer
        of the graph (every process) until the transaction ends."""
    def save_lecture(self, tx: Any, row: LectureRow | None, graph_id: str | None = None) -> None:
        """Write the running lecture (the whole row), or end it (``row`` None, ``graph_id`` given)."""
    def save_lecture_view(self, graph_id: str, started_at: float, view: dict) -> None:
        """The controller's last view, for pages joining later (the lecture started at ``started_at``)."""
    def enter_room(self, graph_id: str, sid: str, participant: str, name: str, colour: str) -> None:
        """Connection ``sid`` (of any process) is in the graph's room as ``participant``."""
    def leave_room(self, tx: Any, graph_id: str, sid: str) -> None: ...
    def room_member(self, graph_id: str, sid: str) -> dict | None:
        """``{id, sid, name, colour}`` of connection ``sid`` in the graph's room, or None."""
    def purge_room_members(self, older_than_s: float) -> None:
        """Forget connections that entered longer ago than this (those of a killed process)."""
    def add_lecture_round(self, graph_id: str, node: str, kind: str, tx: Any = None) -> int:
        """A new prediction round of the graph's lecture: its number (1, 2, … per graph)."""
    def save_lecture_answer(self, graph_id: str, round_no: int, participant: str, name: str, answer: str,
                            answered_at: float, sid: str = "", tx: Any = None) -> None:
        """A participant's answer to a round (a second answer replaces the first)."""
    def round_answers(self, graph_id: str, round_no: int, tx: Any = None) -> list[LectureAnswer]:
        """The answers to one round, by time answered."""
    def mark_lecture_round(self, graph_id: str, round_no: int, truth: str, marks: dict, tx: Any = None) -> None:
        """The round revealed: its right answer's display string, and participant → right or wrong."""
    def lecture_answers(self, graph_id: str) -> list[LectureAnswer]:
        """Every answer of the graph's lecture history, by round, then by time answered."""
    # -- the store itself --
    def secret_key(self) -> str:
        """The key that signs browser cookies: made once, the same for every process on this store."""
    def schema_version(self) -> int:
        """How many of the backend's numbered migrations have been applied (all, once open)."""
    def ping(self) -> None:
        """Raise Unavailable unless a write could be made now."""
    def close(self) -> None: ...


def default_data_dir() -> Path:
    """--data-dir, else $GRADCANVAS_DATA, else the platform's user data folder."""
    env = os.environ.get("GRADCANVAS_DATA")
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_data_dir("gradcanvas", appauthor=False))
