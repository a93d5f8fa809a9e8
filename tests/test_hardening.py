"""Issue 11's defects, one test each: bounded anonymous use, a store that never wedges,
refusals instead of 500s, identity, acks, file permissions, the production server."""
from __future__ import annotations

import io
import json
import os
import stat
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

from server.teaching.examples import example_doc
from server.web.app import create_app
from server.web.realtime import socketio

from conftest import ROOT, UNLIMITED, editor_join

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def strict_app(tmp_path):
    """An app with the default quotas, as a real server runs."""
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data")})
    yield app
    app.extensions["gradcanvas.store"].close()


# -- bounded anonymous use ---------------------------------------------------------------------
def test_cookieless_visits_store_nothing(strict_app):
    store = strict_app.extensions["gradcanvas.store"]
    for _ in range(200):  # each a new browser: no cookie kept
        c = strict_app.test_client(use_cookies=False)
        r = c.get("/")
        assert r.status_code == 302 and r.location == "/try/doughnut"
        assert c.get(r.location).status_code == 200
    assert store.list() == []


def test_creating_graphs_is_rate_limited_per_browser_and_per_address(strict_app):
    store = strict_app.extensions["gradcanvas.store"]
    browser = strict_app.test_client()
    statuses = [browser.post("/api/examples/doughnut").status_code for _ in range(40)]
    assert statuses[:30] == [201] * 30 and set(statuses[30:]) == {429}  # a burst of 30, then 10 a minute
    limited = browser.post("/api/examples/doughnut")
    assert limited.json["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
    # Cookie-less clients from one address: the address's bucket (a burst of 120, 60 a minute) stops them.
    started = time.monotonic()
    made = sum(strict_app.test_client(use_cookies=False).post("/api/examples/doughnut").status_code == 201
               for _ in range(200))
    refilled = int((time.monotonic() - started) * 60 / 60) + 1
    assert 120 - 30 <= made <= 120 - 30 + refilled and len(store.list()) == 30 + made


def test_a_full_store_answers_503_never_500(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "MAX_GRAPHS": 2, **UNLIMITED})
    c = app.test_client()
    assert [c.post("/api/examples/doughnut").status_code for _ in range(2)] == [201, 201]
    r = c.post("/api/examples/doughnut")
    assert r.status_code == 503 and r.json["code"] == "unavailable" and "limit" in r.json["error"]
    page = c.post("/api/formula", json={"text": "a = 1"})
    assert page.status_code == 503


def test_idle_graphs_leave_memory_past_the_budget_and_come_back_intact(tmp_path):
    from server.service import Sessions
    from server.store import SQLiteStore
    store = SQLiteStore.in_dir(tmp_path)
    from server.service.sessions import BASE_BYTES, BYTES_PER_NODE
    sessions = Sessions(store=store, memory_budget=3 * (BASE_BYTES + 5 * BYTES_PER_NODE))  # three doughnuts' worth
    made = []
    for k in range(10):
        s = sessions.create(example_doc("doughnut"))
        s.edit([{"type": "set_value", "id": "tax", "value": 1 + k}], "c-12345678")
        made.append(s.id)
    assert sessions.in_memory() <= 3
    for k, gid in enumerate(made):  # each one reloads from the store with its edit
        assert sessions.get(gid).graph.node("tax")["value"] == 1 + k
    assert sessions.in_memory() <= 3


def bomb_png(side: int) -> bytes:
    """A PNG that claims side × side pixels in a few hundred kilobytes."""
    raw = zlib.compress(b"\x00" * (side + 1) * side, 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def test_an_image_bomb_is_refused_before_it_is_decoded(app, client):
    import tracemalloc
    data = bomb_png(11_500)
    tracemalloc.start()
    r = client.post("/api/graphs/import", data={"file": (io.BytesIO(data), "bomb.png")},
                    content_type="multipart/form-data", headers={"X-Requested-With": "gradcanvas"})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert r.status_code == 413 and "11,500 × 11,500 pixels" in r.json["error"]
    assert peak < 50 * 2**20  # decoded, it would be 132 MB


def test_a_png_export_too_large_to_draw_is_refused_at_once(app, client):
    doc = example_doc("doughnut")
    doc["nodes"][0]["x"] = doc["nodes"][0]["y"] = 20_000
    gid = client.post("/api/graphs", json=doc).json["id"]
    r = client.get(f"/api/graphs/{gid}/export?format=png&scale=8")
    assert r.status_code == 413 and "million" in r.json["error"]


def test_the_gradient_check_is_rate_limited_bounded_and_runs_outside_the_graphs_lock(strict_app, monkeypatch):
    import server.web.api as api
    c = strict_app.test_client()
    gid = c.post("/api/examples/doughnut").json["id"]
    service = strict_app.extensions["gradcanvas.sessions"].get(gid)
    seen = []
    real = api.check_gradients

    def watching(graph):
        # while the check runs, another thread can take the graph's lock: an editor is never kept waiting
        got = []
        t = threading.Thread(target=lambda: got.append(service.lock.acquire(timeout=2)) or service.lock.release())
        t.start()
        t.join()
        seen.append(got == [True])
        return real(graph)
    monkeypatch.setattr(api, "check_gradients", watching)
    statuses = [c.get(f"/api/graphs/{gid}/check").status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5 and 429 in statuses and all(seen)
    monkeypatch.setattr(api, "MAX_CHECK_WORK", 10)
    big = strict_app.test_client().get(f"/api/graphs/{gid}/check")
    assert big.status_code == 413 and "gradcanvas check" in big.json["error"]


# -- a store that never wedges -----------------------------------------------------------------
def test_a_failed_commit_leaves_the_graph_as_it_was_and_the_next_edit_works(app, socket_client, monkeypatch):
    """COMMIT itself fails (as on a full disk): nothing of the edit may stay in memory."""
    import sqlite3
    store = app.extensions["gradcanvas.store"]
    gid = app.extensions["gradcanvas.sessions"].create(example_doc("doughnut")).id
    c = socket_client()
    c.emit("join", editor_join(app, gid), callback=True)

    class FullDisk:
        def __init__(self, conn):
            self.conn = conn

        def execute(self, sql, *args):
            if sql == "COMMIT":
                err = sqlite3.OperationalError("database or disk is full")
                err.sqlite_errorcode = sqlite3.SQLITE_FULL
                raise err
            return self.conn.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.conn, name)
    real_db = type(store).db
    monkeypatch.setattr(type(store), "db", property(lambda s: FullDisk(real_db.fget(s))))
    ack = c.emit("edit", {"graph_id": gid, "version": 0, "ops": [{"type": "add_node", "node": {"id": "n", "op": "neg"}}]},
                 callback=True)
    assert ack == {"ok": False, "error": "the disk is full; your change was not saved", "code": "unavailable",
                   "reason": "disk_full", "params": {}}
    monkeypatch.undo()
    service = app.extensions["gradcanvas.sessions"].get(gid)
    assert "n" not in service.graph.g and service.version == 0 and store.get(gid).version == 0
    again = c.emit("edit", {"graph_id": gid, "version": 0, "ops": [{"type": "add_node", "node": {"id": "n", "op": "neg"}}]},
                   callback=True)
    assert again["ok"] and again["version"] == 1


def mounted_tmpfs(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return r.returncode == 0


def test_a_full_disk_refuses_the_edit_clearly_and_the_graph_works_when_space_is_back(tmp_path):
    disk = tmp_path / "disk"
    if not mounted_tmpfs(disk, "size=2m"):
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        app = create_app({"TESTING": True, "DATA_DIR": str(disk), **UNLIMITED})
        store = app.extensions["gradcanvas.store"]
        gid = app.extensions["gradcanvas.sessions"].create(example_doc("doughnut")).id
        c = socketio.test_client(app)
        c.emit("join", editor_join(app, gid), callback=True)
        filler = disk / "filler"
        with open(filler, "wb") as f:  # fill the disk to the last byte
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        big = {"type": "set_label", "id": "tax", "label": "x" * 500}
        acks = [c.emit("edit", {"graph_id": gid, "ops": [{**big, "label": f"{k}" * 500}]}, callback=True)
                for k in range(1, 9)]
        refused = [a for a in acks if not a["ok"]]
        assert refused and refused[0]["code"] == "unavailable" and "the disk is full" in refused[0]["error"]
        version = store.get(gid).version
        service = app.extensions["gradcanvas.sessions"].get(gid)
        assert service.version == version  # memory never runs ahead of the disk
        filler.unlink()
        ok = c.emit("edit", {"graph_id": gid, "ops": [{"type": "set_value", "id": "tax", "value": 2}]}, callback=True)
        assert ok["ok"] and ok["version"] == version + 1
        c.disconnect()
        store.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)])


def test_a_read_only_data_dir_stops_the_server_with_a_clear_message(tmp_path):
    ro = tmp_path / "ro"
    if not mounted_tmpfs(ro, "ro,size=1m"):
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        r = subprocess.run([sys.executable, "-m", "server.cli", "serve", "--port", "1", "--data-dir", str(ro / "data")],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert "cannot start" in r.stderr and "read-only" in r.stderr.lower() or "Read-only" in r.stderr
    finally:
        subprocess.run(["umount", "-l", str(ro)])


def test_the_database_and_its_wal_are_readable_by_their_owner_only(app, client):
    client.post("/api/examples/doughnut")
    data = Path(app.config["DATA_DIR"])
    files = [p for p in data.iterdir() if p.name.startswith("gradcanvas.sqlite3")]
    assert {p.name for p in files} >= {"gradcanvas.sqlite3", "gradcanvas.sqlite3-wal"}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_a_bad_stored_record_is_reported_not_fatal(tmp_path):
    from server.service import Sessions
    from server.store import SQLiteStore
    store = SQLiteStore.in_dir(tmp_path)
    s = Sessions(store=store).create(example_doc("doughnut"))
    s.edit([{"type": "set_value", "id": "tax", "value": 2}], "c-12345678")
    with store.write() as tx:  # damage: a label no text may hold in the snapshot, a bad batch in the log
        doc = example_doc("doughnut")
        doc["nodes"][0]["label"] = "bad\ud800"
        tx.execute("UPDATE graphs SET document=? WHERE id=?", (json.dumps(doc), s.id))
        tx.execute("UPDATE edits SET ops=? WHERE graph_id=? AND version=1",
                   (json.dumps([{"type": "remove_node", "id": "nope"}]), s.id))
    again = Sessions(store=SQLiteStore.in_dir(tmp_path)).get(s.id)
    reply = again.join()
    assert reply["ok"] and again.graph.node("doughnut")["label"] == "bad"
    assert any("nodes[0]" in p or "label" in p for p in reply["repaired"])
    assert any("version 1 could not be replayed" in p for p in reply["repaired"])


# -- refusals, never 500s ------------------------------------------------------------------------
@pytest.mark.parametrize("body, words", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (json.dumps(example_doc("doughnut")).replace('"port": 0', '"port": ' + "9" * 5000, 1), "port"),
    ("{\"format\": \"gradcanvas\", \"version\": 1, \"nodes\": [{\"id\": \"a\", \"op\": \"input\", \"value\": "
     + "9" * 5000 + "}]}", "finite"),
])
def test_malicious_json_is_a_refusal_not_a_500(client, body, words):
    r = client.post("/api/graphs", data=body, headers=JSON)
    assert r.status_code == 400 and words in json.dumps(r.json)


@pytest.mark.parametrize("text", ["a = " + "9" * 400 + "\nb = a ** 2", "a = 2\nb = a ** " + "9" * 400,
                                  "a = " + "9" * 5000])
def test_formulas_with_enormous_numbers_are_refused(client, text):
    r = client.post("/api/formula", json={"text": text})
    assert r.status_code == 400 and r.json["code"] == "refused"


def raw_socket(base: str):
    """A Socket.IO connection spoken by hand over a websocket, to send what no client library would."""
    import websocket
    ws = websocket.create_connection(base.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=10)
    assert ws.recv().startswith("0")  # engine.io open
    ws.send("40")
    assert ws.recv().startswith("40")  # namespace connected

    def call(ack_id: int, text: str):
        ws.send(f"42{ack_id}{text}")
        while True:
            packet = ws.recv()
            if packet == "2":
                ws.send("3")  # ping: pong
            elif packet.startswith(f"43{ack_id}"):
                return json.loads(packet[len(f"43{ack_id}"):])[0]
    return ws, call


def test_every_socket_event_is_acknowledged_unknown_and_unreadable_ones_too(live_server, create_graph):
    from conftest import edit_token
    gid = create_graph(example_doc("doughnut"))
    ws, call = raw_socket(live_server)
    try:
        assert call(1, json.dumps(["join", {"graph_id": gid, "token": edit_token(gid)}]))["ok"]
        assert call(2, json.dumps(["no-such-event", {"graph_id": gid}])) == \
            {"ok": False, "error": "unknown event 'no-such-event'", "code": "unknown_event",
                 "reason": "unknown_event", "params": {"event": "no-such-event"}}
        huge = call(3, '["step", {"graph_id": "%s", "direction": "forward", "count": %s}]' % (gid, "9" * 5000))
        assert huge["ok"] is False and huge["code"] == "refused"
        port = call(4, '["edit", {"graph_id": "%s", "ops": [{"type": "disconnect", "target": "m1", "port": %s}]}]'
                    % (gid, "9" * 5000))
        assert port["ok"] is False
        deep = call(5, '["edit", ' + "[" * 100_000 + "]" * 100_000 + "]")
        assert deep == {"ok": False, "code": "refused",
                        "error": "malformed payload for edit: it is not JSON this server can read",
                        "reason": "malformed_payload", "params": {}}
    finally:
        ws.close()


def test_the_socket_reads_unreadable_payloads_as_a_refusal():
    from server.web import wire_json
    assert wire_json.loads('["edit", {"port": ' + "9" * 5000 + "}]") == ["edit", {"port": float("inf")}]
    assert wire_json.loads('["edit", ' + "[" * 100_000) == ["malformed", {"event": "edit"}]


def test_a_long_one_line_formula_on_the_command_line_makes_a_graph(tmp_path):
    text = "a = 1; b = " + " + ".join(["a"] * 200)
    r = subprocess.run([sys.executable, "-m", "server.cli", "new", "--formula", text, "-o", str(tmp_path / "d.json")],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(json.loads((tmp_path / "d.json").read_text())["nodes"]) == 200


# -- identity ----------------------------------------------------------------------------------
def browser(app):
    """A browser: a cookie jar that has loaded a page, and a socket that presents its cookie."""
    http = app.test_client()
    http.get("/")  # the first page a browser loads gives it its cookie
    return http, socketio.test_client(app, flask_test_client=http)


def test_the_edit_rate_limit_is_per_browser_across_its_connections(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "EDITS_PER_SECOND": 5, **UNLIMITED})
    http, first = browser(app)
    gid = http.post("/api/examples/doughnut").json["id"]
    sockets = [first] + [socketio.test_client(app, flask_test_client=http) for _ in range(4)]
    for s in sockets:
        assert s.emit("join", editor_join(app, gid), callback=True)["ok"]
    acks = [s.emit("edit", {"graph_id": gid, "ops": [{"type": "move_node", "id": "m1", "x": k, "y": 0}]},
                   callback=True) for k in range(40) for s in sockets[k % 5:k % 5 + 1]]
    applied = sum(a["ok"] for a in acks)
    assert applied <= 12  # a burst of 10 (and what refills meanwhile), not 5 connections × 10


def test_presence_reveals_no_identity_and_a_copied_client_id_cannot_undo_anothers_edit(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), **UNLIMITED})
    alice_http, alice = browser(app)
    mallory_http, mallory = browser(app)
    gid = alice_http.post("/api/examples/doughnut").json["id"]
    ack_a = alice.emit("join", editor_join(app, gid, client="shared-client-id"), callback=True)
    ack_m = mallory.emit("join", editor_join(app, gid, client="shared-client-id"), callback=True)
    assert ack_a["me"]["client"] != ack_m["me"]["client"]  # the offered id is not who you are
    assert alice.emit("edit", {"graph_id": gid, "ops": [{"type": "set_value", "id": "tax", "value": 9}]},
                      callback=True)["ok"]
    mallory.get_received()
    alice.emit("presence", {"graph_id": gid, "x": 1, "y": 2, "selection": []})
    seen = [m["args"][0] for m in mallory.get_received() if m["name"] == "presence"]
    assert seen and "client" not in seen[0] and set(seen[0]) >= {"sid", "name", "colour"}
    undo = mallory.emit("undo", {"graph_id": gid}, callback=True)
    assert undo["ok"] is False and "nothing to undo" in undo["error"]
    assert alice.emit("undo", {"graph_id": gid}, callback=True)["ok"]


# -- the production server -----------------------------------------------------------------------
def test_gradcanvas_serve_runs_the_production_server_without_a_development_warning():
    from conftest import start_server, stop_server
    proc, url = start_server()
    try:
        import urllib.request
        with urllib.request.urlopen(url + "/health", timeout=10) as r:
            assert json.loads(r.read()) == {"ok": True, "store": "ok", "queue": "none"}
            assert "gunicorn" in r.headers["Server"]
    finally:
        stop_server(proc)
    log = proc.stdout.read().decode(errors="replace") if proc.stdout and not proc.stdout.closed else ""
    assert "development server" not in log.lower()


# -- hosts and cross-site requests -----------------------------------------------------------------
def test_only_the_servers_own_host_names_are_answered_the_socket_handshake_included(app, live_server):
    import urllib.request
    c = app.test_client()
    assert c.get("/api/ops", headers={"Host": "localhost:5000"}).status_code == 200
    refused = c.get("/api/ops", headers={"Host": "rebound.example:5000"})
    assert refused.status_code == 400 and b"--allowed-hosts" in refused.data
    port = live_server.rsplit(":", 1)[1]
    for host, status in ((f"127.0.0.1:{port}", 200), (f"attacker.example:{port}", 400)):
        req = urllib.request.Request(f"{live_server}/socket.io/?EIO=4&transport=polling", headers={"Host": host})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                got = r.status
        except urllib.error.HTTPError as err:
            got = err.code
        assert got == status, host


def test_allowed_hosts_adds_names(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "ALLOWED_HOSTS": ["class.example.org"]})
    c = app.test_client()
    assert c.get("/api/ops", headers={"Host": "class.example.org"}).status_code == 200
    assert c.get("/api/ops", headers={"Host": "other.example.org"}).status_code == 400


@pytest.mark.parametrize("headers", [
    {"Origin": "http://attacker.example"},
    {"Origin": "null"},
    {"Referer": "http://attacker.example/page.html"},
    {"Sec-Fetch-Site": "cross-site"},
])
def test_a_state_changing_request_from_another_site_is_refused(app, headers):
    c = app.test_client()
    store = app.extensions["gradcanvas.store"]
    for method, path, kw in (("post", "/api/examples/doughnut", {}),
                             ("post", "/api/graphs", {"json": example_doc("doughnut")}),
                             ("post", "/api/formula", {"json": {"text": "a = 1"}})):
        r = getattr(c, method)(path, headers=headers, **kw)
        assert r.status_code == 403 and r.json["code"] == "forbidden", path
    assert store.list() == []


def test_same_site_and_plain_clients_keep_working_and_the_cookie_is_lax(app):
    c = app.test_client()
    own = c.post("/api/examples/doughnut", headers={"Origin": "http://localhost"})
    plain = c.post("/api/examples/doughnut")  # curl: neither Origin nor Referer
    assert own.status_code == plain.status_code == 201
    cookie = own.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    secure = app.test_client().post("/api/examples/doughnut", base_url="https://localhost",
                                    headers={"Origin": "https://localhost"})
    assert secure.status_code == 201 and "Secure" in secure.headers["Set-Cookie"]


def test_json_endpoints_need_json_and_uploads_need_the_header(app, client):
    assert client.post("/api/graphs", data=json.dumps(example_doc("doughnut")),
                       content_type="text/plain").status_code == 415
    gid = client.post("/api/graphs", json=example_doc("doughnut")).json["id"]
    assert client.patch(f"/api/graphs/{gid}", data='{"title": "x"}', content_type="text/plain").status_code == 415
    svg = client.get(f"/api/graphs/{gid}/export?format=svg").data
    bare = client.post("/api/graphs/import", data={"file": (io.BytesIO(svg), "f.svg")}, content_type="multipart/form-data")
    assert bare.status_code == 403 and "X-Requested-With: gradcanvas" in bare.json["error"]


def test_a_cross_site_request_without_the_cookie_never_sets_one(app):
    c = app.test_client()
    r = c.get("/api/graphs", headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 200 and r.json == [] and "Set-Cookie" not in r.headers
