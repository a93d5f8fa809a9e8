"""What only the server database does: writers in several processes (here, several pools)
racing for one version, a database that goes away or turns read-only, and ids PostgreSQL's
text cannot hold. tests/test_store.py runs the rest of the store's behaviour on it."""
import threading
import time

import psycopg
import pytest

from server.errors import Refused, Unavailable
from server.service import Sessions
from server.store import GraphNotFound, VersionConflict, open_store
from server.store.postgres import PostgresStore
from server.teaching.examples import example_doc

MOVE = [{"type": "move_node", "id": "m1", "x": 1, "y": 2}]


@pytest.fixture
def stores(postgres_url):
    """``stores(**kw)``: a PostgresStore with a pool of its own, as another host would open."""
    opened = []

    def make(**kw):
        opened.append(PostgresStore(postgres_url, **kw))
        return opened[-1]
    yield make
    for s in opened:
        s.close()


def admin(postgres_url):
    """A connection to the cluster's maintenance database, for what the test does to the server."""
    return psycopg.connect(postgres_url.rsplit("/", 1)[0] + "/postgres", autocommit=True)


def wait_until(condition, what: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)  # between two looks


def append_v1(store, gid, client, hold=None, out=None):
    """Log version 1 of ``gid`` through ``store``; with ``hold``, keep the transaction open until it is set."""
    try:
        with store.write() as tx:
            version = store.append(tx, gid, 0, "edit", MOVE, MOVE, client)
            if hold is not None:
                hold.wait(10)
        out[client] = version
    except VersionConflict as err:
        out[client] = err


def test_a_writer_waits_for_the_row_lock_and_then_loses_version_n(stores, postgres_url):
    one, two = stores(), stores()
    gid = one.create(example_doc("doughnut")).id
    results, hold = {}, threading.Event()
    first = threading.Thread(target=append_v1, args=(one, gid, "first-000", hold, results))
    first.start()
    wait_until(lambda: one.shared(gid).version == 0 and _holding(postgres_url), "the first writer holds the row")
    second = threading.Thread(target=append_v1, args=(two, gid, "second-00", None, results))
    second.start()
    # The second writer is blocked in the database, on the first one's row lock: not in Python.
    wait_until(lambda: _waiting_on_a_lock(postgres_url), "the second writer waits on the lock")
    assert "second-00" not in results
    hold.set()
    first.join(10), second.join(10)
    assert results["first-000"] == 1
    assert isinstance(results["second-00"], VersionConflict)
    assert "at version 1, not 0" in str(results["second-00"])
    [row] = two.edits_since(gid, 0)
    assert (row.version, row.client) == (1, "first-000") and two.shared(gid).version == 1


def _holding(url) -> bool:
    with admin(url) as db:
        return bool(db.execute("SELECT 1 FROM pg_stat_activity WHERE datname=%s AND state='idle in transaction'",
                               (url.rsplit("/", 1)[1],)).fetchone())


def _waiting_on_a_lock(url) -> bool:
    with admin(url) as db:
        return bool(db.execute("SELECT 1 FROM pg_stat_activity WHERE datname=%s AND wait_event_type='Lock'",
                               (url.rsplit("/", 1)[1],)).fetchone())


def test_of_two_pools_racing_for_version_n_exactly_one_wins_every_time(stores):
    one, two = stores(), stores()
    for round_ in range(12):
        gid = one.create(example_doc("doughnut")).id
        results, start = {}, threading.Barrier(2)

        def race(store, client):
            start.wait(10)
            append_v1(store, gid, client, out=results)
        threads = [threading.Thread(target=race, args=(s, c)) for s, c in ((one, "one-0000"), (two, "two-0000"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        won = [c for c, r in results.items() if r == 1]
        lost = [c for c, r in results.items() if isinstance(r, VersionConflict)]
        assert len(won) == 1 and len(lost) == 1, (round_, results)
        assert [(e.version, e.client) for e in one.edits_since(gid, 0)] == [(1, won[0])]


def test_the_log_itself_refuses_a_second_version_n(stores):
    store = stores()
    gid = store.create(example_doc("doughnut")).id
    with store.write() as tx:
        store.append(tx, gid, 0, "edit", MOVE, MOVE, "first-000")
    with pytest.raises(psycopg.errors.UniqueViolation):
        with store.write() as tx:  # a writer that skipped the version check, writing SQL itself
            tx.execute("INSERT INTO edits (graph_id, version, kind, ops, inverse, client, at)"
                       " VALUES (%s, 1, 'edit', '[]', '[]', 'rogue-000', 0)", (gid,))
    assert [e.client for e in store.edits_since(gid, 0)] == ["first-000"]


def test_services_on_two_pools_editing_at_once_all_succeed_in_one_order(stores):
    """Each edit catches up under the row lock first, so concurrent writers wait rather than conflict."""
    one, two = Sessions(store=stores()), Sessions(store=stores())
    gid = one.create(example_doc("doughnut")).id
    acks = {"a": [], "b": []}

    def hammer(sessions, name):
        for k in range(20):
            outcome = sessions.get(gid).edit(
                [{"type": "add_node", "node": {"id": f"{name}{k}", "op": "input", "value": k}}], f"{name}-client")
            acks[name].append(outcome.reply["version"])
    threads = [threading.Thread(target=hammer, args=(s, n)) for s, n in ((one, "a"), (two, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(acks["a"] + acks["b"]) == list(range(1, 41))
    assert one.get(gid).graph.to_dict() == two.get(gid).graph.to_dict()
    assert len(one.get(gid).graph) == 5 + 40


def test_an_unreachable_database_refuses_the_edit_and_leaves_the_graph_unchanged(stores, postgres_url):
    store = stores(timeout=1)
    service = Sessions(store=store).create(example_doc("doughnut"))
    before = service.graph.to_dict()
    name = postgres_url.rsplit("/", 1)[1]
    with admin(postgres_url) as db:
        db.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=%s", (name,))
    try:
        with pytest.raises(Unavailable, match="the database cannot be reached") as refused:
            service.edit(MOVE, "c-12345678")
        assert refused.value.reason == "store_unreachable"
        assert service.graph.to_dict() == before and service.version == 0
        with pytest.raises(Unavailable):
            store.ping()  # GET /health says so
    finally:
        with admin(postgres_url) as db:
            db.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    service.edit(MOVE, "c-12345678")  # back: the pool connects again by itself
    assert service.version == 1 and store.get(service.id).version == 1


def test_a_read_only_database_refuses_the_edit_and_health_says_so(stores, postgres_url):
    store = stores()
    service = Sessions(store=store).create(example_doc("doughnut"))
    name = postgres_url.rsplit("/", 1)[1]
    with admin(postgres_url) as db:
        db.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=%s", (name,))
    with pytest.raises(Unavailable, match="read-only") as refused:
        service.edit(MOVE, "c-12345678")
    assert refused.value.reason == "store_read_only" and service.version == 0
    with pytest.raises(Unavailable, match="read-only"):
        store.ping()


def test_ids_postgresql_text_cannot_hold_are_simply_not_found(stores):
    store = stores()
    gid = store.create(example_doc("doughnut")).id
    for bad in ("a\x00b", gid + "\x00", "\ud800x", 42, None):
        with pytest.raises(GraphNotFound):
            store.get(bad)
        with pytest.raises(GraphNotFound):
            store.delete(bad)
        assert store.granted("browser-1", bad) is None and store.edits_since(bad, 0) == []
    assert store.list("a\x00") == [] and store.get(gid).version == 0


def test_a_bad_database_url_or_a_server_not_there_stops_the_start_with_one_clear_line(postgres_server):
    from conftest import free_port
    with pytest.raises(Refused, match="takes a postgresql:// URL"):
        open_store("mysql://root@localhost/db", None)
    with pytest.raises(Unavailable, match="the database cannot be reached .*(refused|failed)"):
        open_store(f"postgresql://postgres@127.0.0.1:{free_port()}/gradcanvas", None)


def test_a_graph_held_too_long_by_another_writer_is_refused_as_busy(postgres_url, monkeypatch):
    from server.store import postgres
    monkeypatch.setitem(postgres.SESSION, "lock_timeout", "200ms")
    store = PostgresStore(postgres_url)
    try:
        service = Sessions(store=store).create(example_doc("doughnut"))
        with psycopg.connect(postgres_url) as wedged:  # a host stuck inside its transaction
            wedged.execute("SELECT 1 FROM graphs WHERE id=%s FOR UPDATE", (service.id,))
            with pytest.raises(Unavailable, match="busy") as refused:
                service.edit(MOVE, "c-12345678")
        assert refused.value.reason == "store_busy" and service.version == 0
        service.edit(MOVE, "c-12345678")  # released: editing goes on
        assert store.get(service.id).version == 1
    finally:
        store.close()


def test_the_app_on_postgres_keeps_the_cookie_key_there_and_logs_edits_by_client(postgres_url, tmp_path):
    from server.web.app import create_app
    from server.web.realtime import socketio

    from conftest import UNLIMITED
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "DATABASE_URL": postgres_url, **UNLIMITED})
    store = app.extensions["gradcanvas.store"]
    try:
        assert isinstance(store, PostgresStore)
        assert app.config["SECRET_KEY"] == store.secret_key() and not (tmp_path / "secret_key").exists()
        http = app.test_client()
        gid = http.post("/api/examples/doughnut").json["id"]
        assert http.get("/health").json == {"ok": True, "store": "ok", "queue": "none"}
        token = store.get(gid).edit_token
        for k, offered in enumerate(["script-0001", "bad\x00client"]):  # no cookie: the id a script offers
            sio = socketio.test_client(app)
            assert sio.emit("join", {"graph_id": gid, "token": token, "client": offered}, callback=True)["ok"]
            assert sio.emit("edit", {"graph_id": gid, "version": k, "ops": MOVE}, callback=True)["ok"]
            sio.disconnect()
        good, bad = store.edits_since(gid, 0)
        assert good.client == "c:script-0001"
        assert bad.client.startswith("s:")  # an id with a NUL is no identity: the connection is
    finally:
        store.close()
