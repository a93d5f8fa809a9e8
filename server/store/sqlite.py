"""The SQLite store: one file, WAL, on one host (the protocol is in base.py).

Each graph is a row (title, the document as of ``doc_version``, the current
``version``, share tokens, the shared step cursor and loss curve) plus an
append-only log of the edit batches applied since it was created: who, when,
the ops and their inverse. The document is rewritten only every
SNAPSHOT_EVERY versions; loading replays the log after it. An edit is in the
log, committed, before the server acknowledges or broadcasts it.

SQLite runs in WAL mode with a busy timeout, so several server processes on
one host share a file: writes take ``BEGIN IMMEDIATE`` and check the version
inside the transaction.
"""
from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import Unavailable
from .base import SNAPSHOT_EVERY, EditRow, GraphNotFound, GraphRow, Shared, StoreFull, VersionConflict
from .sqlite_lecture import SQLiteLectures

BUSY_TIMEOUT_MS = 10_000

# Versioned migrations: PRAGMA user_version is the number applied so far.
MIGRATIONS = [
    """
    CREATE TABLE graphs (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        document TEXT NOT NULL,          -- the document at doc_version
        doc_version INTEGER NOT NULL,
        version INTEGER NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        edit_token TEXT NOT NULL,
        view_token TEXT NOT NULL,
        cursor TEXT,                     -- the shared step cursor, JSON
        losses TEXT,                     -- the loss curve, JSON
        deleted_at REAL                  -- soft delete: restorable until purged
    );
    CREATE TABLE edits (
        graph_id TEXT NOT NULL REFERENCES graphs(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,        -- the graph's version after this batch
        kind TEXT NOT NULL,              -- edit | undo | redo
        ops TEXT NOT NULL,               -- the batch as applied
        inverse TEXT NOT NULL,           -- the batch that takes it back
        client TEXT NOT NULL,            -- who: a browser's persistent client id
        at REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'done',  -- for kind=edit: done | undone | dead
        undone_at INTEGER,               -- the version of the undo that took it back
        PRIMARY KEY (graph_id, version)
    );
    CREATE INDEX edits_by_client ON edits (graph_id, client, version);
    """,
    """
    -- which browser may edit (or only view) which graph: its library
    CREATE TABLE grants (
        browser TEXT NOT NULL,
        graph_id TEXT NOT NULL REFERENCES graphs(id) ON DELETE CASCADE,
        role TEXT NOT NULL,              -- edit | view
        at REAL NOT NULL,
        PRIMARY KEY (browser, graph_id)
    );
    """,
    """
    -- the graph's node count now, for the library (the document is only a periodic snapshot):
    -- the snapshot's nodes, plus those added and less those removed by the edits logged after it
    ALTER TABLE graphs ADD COLUMN nodes INTEGER NOT NULL DEFAULT 0;
    UPDATE graphs SET nodes = json_array_length(document, '$.nodes')
        + (SELECT count(*) FROM edits e, json_each(e.ops) o WHERE e.graph_id = graphs.id
           AND e.version > graphs.doc_version AND json_extract(o.value, '$.type') = 'add_node')
        - (SELECT count(*) FROM edits e, json_each(e.ops) o WHERE e.graph_id = graphs.id
           AND e.version > graphs.doc_version AND json_extract(o.value, '$.type') = 'remove_node');
    """,
    """
    -- a lecture's prediction rounds and every answer to them (docs/lecture.md)
    CREATE TABLE lecture_rounds (
        graph_id TEXT NOT NULL REFERENCES graphs(id) ON DELETE CASCADE,
        round INTEGER NOT NULL,          -- 1, 2, … per graph
        node TEXT NOT NULL,
        kind TEXT NOT NULL,              -- value | grad
        asked_at REAL NOT NULL,
        truth TEXT,                      -- the right answer's display string, once revealed
        revealed_at REAL,
        PRIMARY KEY (graph_id, round)
    );
    CREATE TABLE lecture_answers (
        graph_id TEXT NOT NULL,
        round INTEGER NOT NULL,
        participant TEXT NOT NULL,       -- the connection's editor identity
        name TEXT NOT NULL,              -- the name shown in the room
        answer TEXT NOT NULL,            -- the number answered (repr of a float)
        correct INTEGER,                 -- 1 right, 0 wrong, NULL until revealed
        answered_at REAL NOT NULL,
        PRIMARY KEY (graph_id, round, participant),
        FOREIGN KEY (graph_id, round) REFERENCES lecture_rounds (graph_id, round) ON DELETE CASCADE
    );
    """,
    """
    -- lecture mode across processes (docs/lecture.md): each graph's running lecture, read by every
    -- process serving it, who is in each room (connections of any process), and which connection
    -- answered, to be sent its own result
    CREATE TABLE lectures (
        graph_id TEXT PRIMARY KEY REFERENCES graphs(id) ON DELETE CASCADE,
        presenter_id TEXT NOT NULL,      -- the editor identity whose connections present
        presenter_sid TEXT NOT NULL,     -- the connection shown as the presenter
        presenter_name TEXT NOT NULL,
        presenter_colour TEXT NOT NULL,
        controller_id TEXT NOT NULL,     -- who may step: an identity, and the connection shown
        controller_sid TEXT NOT NULL,
        controller_name TEXT NOT NULL,
        controller_colour TEXT NOT NULL,
        started_at REAL NOT NULL,
        round INTEGER,                   -- the open prediction round (lecture_rounds), or NULL
        node TEXT,
        kind TEXT,
        view TEXT                        -- the controller's last view, JSON, saved about once a second
    );
    CREATE TABLE room_members (
        graph_id TEXT NOT NULL REFERENCES graphs(id) ON DELETE CASCADE,
        sid TEXT NOT NULL,               -- a connection, of whichever process holds it
        participant TEXT NOT NULL,       -- its editor identity
        name TEXT NOT NULL,
        colour TEXT NOT NULL,
        entered_at REAL NOT NULL,
        PRIMARY KEY (graph_id, sid)
    );
    CREATE INDEX room_members_by_age ON room_members (entered_at);
    ALTER TABLE lecture_answers ADD COLUMN sid TEXT NOT NULL DEFAULT ''
    """,
]


@contextmanager
def unavailable_on_failure(what: str):
    """SQLite's and the file system's failures as Unavailable, saying what happened and what it means."""
    try:
        yield
    except sqlite3.Error as err:
        code = getattr(err, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL:
            raise Unavailable(f"the disk is full; {what}", reason="disk_full") from err
        if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            raise Unavailable(f"the data directory is read-only or cannot be opened; {what}",
                              reason="store_read_only") from err
        if code is not None and code & 0xFF == sqlite3.SQLITE_IOERR:
            raise Unavailable(f"the disk could not be written; {what}", reason="disk_error") from err
        raise
    except PermissionError as err:
        raise Unavailable(f"no permission to write the data directory ({err.filename}); {what}",
                          reason="store_read_only") from err
    except OSError as err:
        raise Unavailable(f"{err.strerror} ({err.filename}); {what}", reason="disk_error") from err


class SQLiteStore(SQLiteLectures):
    """The Store protocol (base.py) on SQLite."""

    def __init__(self, path: str | Path, max_graphs: int = 10_000):
        self.path = Path(path)
        self.max_graphs = max_graphs
        self._local = threading.local()
        with unavailable_on_failure(f"the data directory {self.path.parent} cannot be used"):
            # The file holds every edit token: only its owner may read it. SQLite gives the
            # -wal and -shm files the database's own mode.
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            self._migrate()

    @classmethod
    def in_dir(cls, data_dir: str | Path, **kw) -> "SQLiteStore":
        return cls(Path(data_dir) / "gradcanvas.sqlite3", **kw)

    # -- connections -----------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        """One connection per thread (sqlite3 connections are not shared across threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk before we acknowledge
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self):
        """A write transaction: BEGIN IMMEDIATE takes the lock across processes up front.

        If anything fails, COMMIT included, nothing of it is on disk, and a disk or
        permission failure is raised as Unavailable with a message for the person."""
        with unavailable_on_failure("your change was not saved"):
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def _migrate(self):
        with self.write() as db:
            have = db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[have:], start=have + 1):
                for statement in filter(str.strip, script.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={number}")

    def ping(self):
        """Raise Unavailable unless the store can take a write now (GET /health)."""
        with self.write():
            pass

    def secret_key(self) -> str:
        """The cookie key, in a file beside the database so restarts and sibling processes share it."""
        path = self.path.parent / "secret_key"
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            key = secrets.token_urlsafe(32)
            try:
                with open(path, "x") as f:  # 'x': of two processes starting at once, one writes
                    f.write(key)
                path.chmod(0o600)
            except FileExistsError:
                return path.read_text().strip()
            return key

    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def close(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- graphs ----------------------------------------------------------------
    def create(self, doc: dict, title: str | None = None) -> GraphRow:
        now = time.time()
        title = doc.get("title", "") if title is None else title
        with self.write() as db:
            count = db.execute("SELECT count(*) FROM graphs WHERE deleted_at IS NULL").fetchone()[0]
            if count >= self.max_graphs:
                raise StoreFull(f"the store holds {count:,} graphs, its limit; delete some first", reason="store_full",
                                count=count)
            graph_id = secrets.token_urlsafe(8)
            while db.execute("SELECT 1 FROM graphs WHERE id=?", (graph_id,)).fetchone():
                graph_id = secrets.token_urlsafe(8)
            db.execute("INSERT INTO graphs (id, title, document, doc_version, version, created_at, updated_at,"
                       " edit_token, view_token, nodes) VALUES (?, ?, ?, 0, 0, ?, ?, ?, ?, ?)",
                       (graph_id, title, json.dumps({**doc, "title": title}), now, now,
                        secrets.token_urlsafe(16), secrets.token_urlsafe(16), len(doc.get("nodes", ()))))
        return self.get(graph_id)

    def get(self, graph_id, include_deleted=False) -> GraphRow:
        row = self.db.execute("SELECT * FROM graphs WHERE id=?", (graph_id,)).fetchone() \
            if isinstance(graph_id, str) else None
        if row is None or (row["deleted_at"] is not None and not include_deleted):
            raise GraphNotFound.of(graph_id, deleted=row is not None)
        return GraphRow(id=row["id"], title=row["title"], document=json.loads(row["document"]),
                        doc_version=row["doc_version"], version=row["version"],
                        created_at=row["created_at"], updated_at=row["updated_at"],
                        edit_token=row["edit_token"], view_token=row["view_token"],
                        cursor=json.loads(row["cursor"]) if row["cursor"] else None,
                        losses=json.loads(row["losses"]) if row["losses"] else None,
                        deleted_at=row["deleted_at"], nodes=row["nodes"])

    def shared(self, graph_id, tx=None) -> Shared:
        row = (tx or self.db).execute("SELECT version, cursor, losses, deleted_at FROM graphs WHERE id=?",
                                      (graph_id,)).fetchone()
        if row is None or row["deleted_at"] is not None:
            raise GraphNotFound.of(graph_id, deleted=row is not None)
        return Shared(row["version"], json.loads(row["cursor"]) if row["cursor"] else None,
                      json.loads(row["losses"]) if row["losses"] else None)

    def list(self, browser: str | None = None) -> list[dict]:
        """The graphs, newest change first; with ``browser``, only those it may edit."""
        if browser is None:
            rows = self.db.execute("SELECT id FROM graphs WHERE deleted_at IS NULL ORDER BY updated_at DESC")
        else:
            rows = self.db.execute("SELECT g.id FROM graphs g JOIN grants a ON a.graph_id=g.id "
                                   "WHERE a.browser=? AND a.role='edit' AND g.deleted_at IS NULL "
                                   "ORDER BY g.updated_at DESC", (browser,))
        return [self.get(r[0]).listing() for r in rows.fetchall()]

    def grant(self, browser: str, graph_id: str, role: str):
        """Remember that ``browser`` may edit (or view) the graph; edit is never downgraded."""
        with self.write() as db:
            db.execute("INSERT INTO grants (browser, graph_id, role, at) VALUES (?,?,?,?) "
                       "ON CONFLICT (browser, graph_id) DO UPDATE SET role=CASE WHEN role='edit' "
                       "THEN 'edit' ELSE excluded.role END", (browser, graph_id, role, time.time()))

    def granted(self, browser: str, graph_id: str) -> str | None:
        row = self.db.execute("SELECT role FROM grants WHERE browser=? AND graph_id=?",
                              (browser, graph_id)).fetchone()
        return row[0] if row else None

    def delete(self, graph_id):
        """Soft delete: the graph disappears from the library and can be restored."""
        self._touch(graph_id, "deleted_at=?", (time.time(),))

    def restore(self, graph_id):
        with self.write() as db:
            if not db.execute("UPDATE graphs SET deleted_at=NULL WHERE id=? AND deleted_at IS NOT NULL",
                              (graph_id,)).rowcount:
                raise GraphNotFound(f"no deleted graph with id {graph_id!r}", reason="graph_not_found",
                                    id=str(graph_id)[:60])

    def purge_deleted(self, older_than_s: float):
        with self.write() as db:
            db.execute("DELETE FROM graphs WHERE deleted_at IS NOT NULL AND deleted_at < ?",
                       (time.time() - older_than_s,))

    def _touch(self, graph_id, assignment: str, args: tuple):
        with self.write() as db:
            if not db.execute(f"UPDATE graphs SET {assignment}, updated_at=? WHERE id=? AND deleted_at IS NULL",
                              (*args, time.time(), graph_id)).rowcount:
                raise GraphNotFound.of(graph_id)

    # -- the edit log ----------------------------------------------------------
    def edits_since(self, graph_id, version: int, limit: int | None = None, tx=None) -> list[EditRow]:
        sql = "SELECT * FROM edits WHERE graph_id=? AND version>? ORDER BY version"
        args: tuple = (graph_id, version)
        if limit is not None:
            sql += " LIMIT ?"
            args += (limit,)
        return [_edit_row(r) for r in (tx or self.db).execute(sql, args)]

    def append(self, db, graph_id, base_version: int, kind: str, ops, inverse, client: str,
               document=None, nodes: int | None = None) -> int:
        """Inside ``write()``: log one batch made against ``base_version``; returns the new version.

        ``document`` (the whole document after the batch, or a function that
        makes it) is stored as the snapshot every SNAPSHOT_EVERY versions.
        ``nodes``, the graph's node count after the batch, is kept for the library.
        """
        row = db.execute("SELECT version, doc_version FROM graphs WHERE id=?", (graph_id,)).fetchone()
        if row is None:
            raise GraphNotFound.of(graph_id)
        if row["version"] != base_version:
            raise VersionConflict(f"the graph is at version {row['version']}, not {base_version}")
        version = base_version + 1
        now = time.time()
        db.execute("INSERT INTO edits (graph_id, version, kind, ops, inverse, client, at) VALUES (?,?,?,?,?,?,?)",
                   (graph_id, version, kind, json.dumps(ops), json.dumps(inverse), client, now))
        if kind == "edit":  # a new edit of one's own ends what one could redo
            db.execute("UPDATE edits SET state='dead' WHERE graph_id=? AND client=? AND state='undone'",
                       (graph_id, client))
        if document is not None and version - row["doc_version"] >= SNAPSHOT_EVERY:
            db.execute("UPDATE graphs SET document=?, doc_version=? WHERE id=?",
                       (json.dumps(document() if callable(document) else document), version, graph_id))
        titles = [op["title"] for op in ops if op.get("type") == "set_title"]
        db.execute("UPDATE graphs SET version=?, updated_at=?" + (", title=?" if titles else "")
                   + (", nodes=?" if nodes is not None else "") + " WHERE id=?",
                   (version, now, *titles[-1:], *([nodes] if nodes is not None else []), graph_id))
        return version

    def last_own_edit(self, db, graph_id, client: str, state: str) -> EditRow | None:
        """The client's latest edit in ``state`` (done: to undo; undone: the latest undone, to redo)."""
        order = "undone_at" if state == "undone" else "version"
        row = db.execute(f"SELECT * FROM edits WHERE graph_id=? AND client=? AND kind='edit' AND state=? "
                         f"ORDER BY {order} DESC LIMIT 1", (graph_id, client, state)).fetchone()
        return _edit_row(row) if row else None

    def mark(self, db, graph_id, version: int, state: str, undone_at=None, ops=None, inverse=None):
        """Record an undo or redo on the original edit; it keeps the ops for its next redo and undo."""
        db.execute("UPDATE edits SET state=?, undone_at=?, ops=coalesce(?, ops), inverse=coalesce(?, inverse) "
                   "WHERE graph_id=? AND version=?",
                   (state, undone_at, json.dumps(ops) if ops is not None else None,
                    json.dumps(inverse) if inverse is not None else None, graph_id, version))

    def can_undo_redo(self, graph_id, client: str) -> tuple[bool, bool]:
        row = self.db.execute("SELECT sum(state='done'), sum(state='undone') FROM edits "
                              "WHERE graph_id=? AND client=? AND kind='edit'", (graph_id, client)).fetchone()
        return bool(row[0]), bool(row[1])

    def save_shared(self, db, graph_id, cursor: dict | None = None, losses: list | None = None):
        """The step cursor and loss curve, which every process serving the graph shares."""
        if cursor is not None:
            db.execute("UPDATE graphs SET cursor=? WHERE id=?", (json.dumps(cursor), graph_id))
        if losses is not None:
            db.execute("UPDATE graphs SET losses=? WHERE id=?", (json.dumps(losses), graph_id))


def _edit_row(r) -> EditRow:
    return EditRow(version=r["version"], kind=r["kind"], ops=json.loads(r["ops"]), inverse=json.loads(r["inverse"]),
                   client=r["client"], at=r["at"], state=r["state"], undone_at=r["undone_at"])
