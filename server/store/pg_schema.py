"""PostgreSQL's schema and how its failures reach people (the store is in postgres.py).

The schema is the SQLite store's, written once for PostgreSQL: documents, ops and
cursors stay JSON text, as json.dumps wrote them (JSONB would lose a -0.0 and
refuse NaN, which the engine's values may be).
"""
from __future__ import annotations

from contextlib import contextmanager

import psycopg
from psycopg import errors as pg

from ..errors import Unavailable

# Versioned migrations, applied in order: the table schema_version holds how many so far.
MIGRATIONS = [
    """
    CREATE TABLE graphs (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        document TEXT NOT NULL,              -- the document at doc_version
        doc_version INTEGER NOT NULL,
        version INTEGER NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        edit_token TEXT NOT NULL,
        view_token TEXT NOT NULL,
        cursor TEXT,                         -- the shared step cursor, JSON
        losses TEXT,                         -- the loss curve, JSON
        deleted_at DOUBLE PRECISION,         -- soft delete: restorable until purged
        nodes INTEGER NOT NULL DEFAULT 0     -- the node count now, for the library
    );
    CREATE INDEX graphs_by_change ON graphs (updated_at DESC) WHERE deleted_at IS NULL;
    CREATE TABLE edits (
        graph_id TEXT NOT NULL REFERENCES graphs(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,            -- the graph's version after this batch
        kind TEXT NOT NULL,                  -- edit | undo | redo
        ops TEXT NOT NULL,                   -- the batch as applied
        inverse TEXT NOT NULL,               -- the batch that takes it back
        client TEXT NOT NULL,                -- who: a browser's persistent client id
        at DOUBLE PRECISION NOT NULL,
        state TEXT NOT NULL DEFAULT 'done',  -- for kind=edit: done | undone | dead
        undone_at INTEGER,                   -- the version of the undo that took it back
        PRIMARY KEY (graph_id, version)      -- no two writers can both log version N
    );
    CREATE INDEX edits_by_client ON edits (graph_id, client, version);
    CREATE TABLE grants (
        browser TEXT NOT NULL,
        graph_id TEXT NOT NULL REFERENCES graphs(id) ON DELETE CASCADE,
        role TEXT NOT NULL,                  -- edit | view
        at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (browser, graph_id)
    );
    CREATE TABLE settings (                  -- the cookie key, which every host must share
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    """
    -- a lecture's prediction rounds and every answer to them (docs/lecture.md)
    CREATE TABLE lecture_rounds (
        graph_id TEXT NOT NULL REFERENCES graphs(id) ON DELETE CASCADE,
        round INTEGER NOT NULL,              -- 1, 2, … per graph
        node TEXT NOT NULL,
        kind TEXT NOT NULL,                  -- value | grad
        asked_at DOUBLE PRECISION NOT NULL,
        truth TEXT,                          -- the right answer's display string, once revealed
        revealed_at DOUBLE PRECISION,
        PRIMARY KEY (graph_id, round)
    );
    CREATE TABLE lecture_answers (
        graph_id TEXT NOT NULL,
        round INTEGER NOT NULL,
        participant TEXT NOT NULL,           -- the connection's editor identity
        name TEXT NOT NULL,                  -- the name shown in the room
        answer TEXT NOT NULL,                -- the number answered (repr of a float)
        correct BOOLEAN,                     -- NULL until revealed
        answered_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (graph_id, round, participant),
        FOREIGN KEY (graph_id, round) REFERENCES lecture_rounds (graph_id, round) ON DELETE CASCADE
    );
    """,
    """
    -- lecture mode across hosts (docs/lecture.md): each graph's running lecture, read by every
    -- host serving it, who is in each room (connections of any host), and which connection
    -- answered, to be sent its own result
    CREATE TABLE lectures (
        graph_id TEXT PRIMARY KEY REFERENCES graphs(id) ON DELETE CASCADE,
        presenter_id TEXT NOT NULL,          -- the editor identity whose connections present
        presenter_sid TEXT NOT NULL,         -- the connection shown as the presenter
        presenter_name TEXT NOT NULL,
        presenter_colour TEXT NOT NULL,
        controller_id TEXT NOT NULL,         -- who may step: an identity, and the connection shown
        controller_sid TEXT NOT NULL,
        controller_name TEXT NOT NULL,
        controller_colour TEXT NOT NULL,
        started_at DOUBLE PRECISION NOT NULL,
        round INTEGER,                       -- the open prediction round (lecture_rounds), or NULL
        node TEXT,
        kind TEXT,
        view TEXT                            -- the controller's last view, JSON, saved about once a second
    );
    CREATE TABLE room_members (
        graph_id TEXT NOT NULL REFERENCES graphs(id) ON DELETE CASCADE,
        sid TEXT NOT NULL,                   -- a connection, of whichever host holds it
        participant TEXT NOT NULL,           -- its editor identity
        name TEXT NOT NULL,
        colour TEXT NOT NULL,
        entered_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (graph_id, sid)
    );
    CREATE INDEX room_members_by_age ON room_members (entered_at);
    ALTER TABLE lecture_answers ADD COLUMN sid TEXT NOT NULL DEFAULT '';
    """,
]

MIGRATION_LOCK = 0x67726164  # an advisory lock id: of two processes starting at once, one migrates


def migrate(conn: psycopg.Connection) -> int:
    """Apply the migrations not yet applied, in one transaction; returns the schema version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            conn.execute("INSERT INTO schema_version VALUES (0)")
        have = row["version"] if row else 0
        for number, script in enumerate(MIGRATIONS[have:], start=have + 1):
            conn.execute(script)
            conn.execute("UPDATE schema_version SET version=%s", (number,))
        return max(have, len(MIGRATIONS))


@contextmanager
def unavailable_on_failure(what: str):
    """The database's failures as Unavailable, saying what happened and what it means."""
    try:
        yield
    except pg.DiskFull as err:
        raise Unavailable(f"the database server's disk is full; {what}", reason="disk_full") from err
    except (pg.ReadOnlySqlTransaction, pg.InsufficientPrivilege) as err:
        raise Unavailable(f"the database is read-only or may not be written; {what}",
                          reason="store_read_only") from err
    except pg.LockNotAvailable as err:  # lock_timeout: another writer held the graph that long
        raise Unavailable(f"the graph is busy: another writer held it too long; {what}",
                          reason="store_busy") from err
    except psycopg.OperationalError as err:  # refused, dropped, shut down, or no pooled connection in time
        raise Unavailable(f"the database cannot be reached ({_first_line(err)}); {what}",
                          reason="store_unreachable") from err


def _first_line(err) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__
