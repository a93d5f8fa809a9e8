"""The store, on both backends (SQLite and PostgreSQL): graphs, the edit log, snapshots,
migrations, limits. tests/test_store_postgres.py has what only a server database does."""
import pytest

from server.engine.document import GraphError
from server.errors import Unavailable
from server.teaching.examples import example_doc
from server.service import Sessions
from server.store import GraphNotFound, SQLiteStore, StoreFull
from server.store.base import SNAPSHOT_EVERY
from server.store.sqlite import MIGRATIONS


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path):
    """``open_store(**kw)``: a store of this backend, opened again at the same place on every
    call (as another process, or the same after a restart); all are closed after the test."""
    if request.param == "sqlite":
        def make(**kw):
            return SQLiteStore.in_dir(tmp_path, **kw)
    else:
        from server.store.postgres import PostgresStore
        url = request.getfixturevalue("postgres_url")

        def make(**kw):
            return PostgresStore(url, **kw)
    opened = []

    def open_store(**kw):
        opened.append(make(**kw))
        return opened[-1]
    open_store.migrations = MIGRATIONS if request.param == "sqlite" else _pg_migrations()
    yield open_store
    for s in opened:
        s.close()


def _pg_migrations():
    from server.store.pg_schema import MIGRATIONS as pg
    return pg


@pytest.fixture
def store(backend):
    return backend()


def broken(*a, **k):
    """A store method failing as a backend's disk or database would."""
    raise Unavailable("the disk could not be written; your change was not saved", reason="disk_error")


def test_new_sqlite_store_is_in_wal_mode(tmp_path):
    s = SQLiteStore.in_dir(tmp_path)
    assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    s.close()


def test_new_store_is_migrated_to_the_latest_schema(store, backend):
    assert store.schema_version() == len(backend.migrations) > 0


def test_reopening_a_store_keeps_its_graphs_and_does_not_migrate_twice(backend):
    a = backend()
    gid = a.create(example_doc("doughnut")).id
    a.close()
    b = backend()
    assert b.get(gid).title == example_doc("doughnut")["title"] != ""
    assert b.schema_version() == len(backend.migrations)


def test_every_process_on_a_store_gets_the_same_cookie_key(backend):
    key = backend().secret_key()
    assert len(key) >= 32 and backend().secret_key() == key


def test_every_edit_is_logged_with_its_client_and_inverse(store):
    sessions = Sessions(store=store)
    s = sessions.create(example_doc("doughnut"))
    s.edit([{"type": "set_value", "id": "tax", "value": 1.2}], client="alice-1234")
    [row] = store.edits_since(s.id, 0)
    assert (row.version, row.kind, row.client) == (1, "edit", "alice-1234")
    assert row.ops == [{"type": "set_value", "id": "tax", "value": 1.2}]
    assert row.inverse == [{"type": "set_value", "id": "tax", "value": 1.1}]
    assert store.get(s.id).version == 1


def test_a_fresh_process_rebuilds_the_graph_from_snapshot_and_log(backend):
    store = backend()
    s = Sessions(store=store).create(example_doc("doughnut"))
    for k in range(SNAPSHOT_EVERY + 7):
        s.edit([{"type": "move_node", "id": "m1", "x": k, "y": 2 * k}], client="c-12345678")
    s.edit([{"type": "remove_node", "id": "tax"}], client="c-12345678")
    expected = s.graph.to_dict()
    row = store.get(s.id)
    assert row.doc_version == SNAPSHOT_EVERY  # a snapshot was taken, and 8 edits come after it
    store.close()
    again = Sessions(store=backend()).get(s.id)
    assert again.version == SNAPSHOT_EVERY + 8
    assert again.graph.to_dict() == expected


def test_list_rename_delete_and_restore(store):
    sessions = Sessions(store=store)
    a = sessions.create(example_doc("doughnut"))
    b = sessions.create(example_doc("x_times_x"), title="Fan-out")
    assert {g["id"] for g in store.list()} == {a.id, b.id}
    a.edit([{"type": "set_title", "title": "My doughnuts"}], client="c-12345678")
    assert {g["id"]: g["title"] for g in store.list()}[a.id] == "My doughnuts"
    store.delete(b.id)
    assert [g["id"] for g in store.list()] == [a.id]
    with pytest.raises(GraphNotFound, match="no graph with id"):
        sessions.get(b.id)
    store.restore(b.id)
    assert sessions.get(b.id).graph.title == "Fan-out"


def test_store_refuses_more_graphs_than_its_limit(backend):
    store = backend(max_graphs=2)
    sessions = Sessions(store=store)
    sessions.create(example_doc("doughnut"))
    sessions.create(example_doc("doughnut"))
    with pytest.raises(StoreFull, match="holds 2 graphs, its limit"):
        sessions.create(example_doc("doughnut"))


def test_an_invalid_document_is_never_stored(store):
    with pytest.raises(GraphError):
        Sessions(store=store).create({"format": "gradcanvas", "version": 1, "nodes": [{"id": "a", "op": "mull"}]})
    assert store.list() == []


def test_a_refused_batch_leaves_store_and_graph_unchanged(store):
    s = Sessions(store=store).create(example_doc("doughnut"))
    before = s.graph.to_dict()
    with pytest.raises(GraphError, match="ops\\[1\\]"):
        s.edit([{"type": "set_value", "id": "tax", "value": 2}, {"type": "remove_node", "id": "nope"}], "c-12345678")
    assert s.graph.to_dict() == before and store.edits_since(s.id, 0) == [] and store.get(s.id).version == 0


def test_a_failed_commit_puts_the_graph_back(store, monkeypatch):
    s = Sessions(store=store).create(example_doc("doughnut"))
    before = s.graph.to_dict()
    monkeypatch.setattr(store, "append", broken)
    with pytest.raises(Unavailable):
        s.edit([{"type": "remove_node", "id": "m2"}], "c-12345678")
    assert s.graph.to_dict() == before and s.version == 0


def test_a_second_process_sees_edits_committed_by_the_first(backend):
    one = Sessions(store=backend())
    two = Sessions(store=backend())
    s1 = one.create(example_doc("doughnut"))
    s2 = two.get(s1.id)
    s1.edit([{"type": "set_value", "id": "count", "value": 3}], "c-aaaaaaaa")
    s2b = two.get(s1.id)  # every lookup catches up from the log
    assert s2b is s2 and s2.version == 1 and s2.graph.node("count")["value"] == 3
    # and an edit through the second process builds on it, not on its stale copy
    s2.edit([{"type": "set_value", "id": "tax", "value": 1.0}], "c-bbbbbbbb")
    assert one.get(s1.id).graph.to_dict() == s2.graph.to_dict()


def test_deleted_graphs_are_purged_after_the_retention_time(store):
    sessions = Sessions(store=store)
    s = sessions.create(example_doc("doughnut"))
    s.edit([{"type": "set_value", "id": "tax", "value": 2}], "c-12345678")
    store.delete(s.id)
    store.purge_deleted(3600)  # deleted a moment ago: kept, restorable
    store.restore(s.id)
    store.delete(s.id)
    store.purge_deleted(-1)
    with pytest.raises(GraphNotFound, match="no deleted graph"):
        store.restore(s.id)
    assert store.edits_since(s.id, 0) == []  # its log went with it


def test_an_edit_and_the_cursor_it_resets_are_one_transaction(store, monkeypatch):
    s = Sessions(store=store).create(example_doc("doughnut"))
    s.step("forward", 2)
    assert store.get(s.id).cursor["step"] == 2
    monkeypatch.setattr(store, "save_shared", broken)
    with pytest.raises(Unavailable):
        s.edit([{"type": "remove_node", "id": "m2"}], "c-12345678")
    # nothing of it happened: not the edit, not the cursor reset, in memory or on disk
    assert "m2" in s.graph.g and s.version == 0 and s.cursor.at.step == 2
    assert store.get(s.id).version == 0 and store.edits_since(s.id, 0) == []
    monkeypatch.undo()
    s.edit([{"type": "remove_node", "id": "m2"}], "c-12345678")
    row = store.get(s.id)
    assert row.version == 1 and row.cursor["phase"] == "idle"
