"""Shared fixtures: the app factory (Flask tutorial style), socket test clients,
a real server on a free port, and Playwright on Debian's chromium."""
from __future__ import annotations

import collections
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("GRADCANVAS_CHROMIUM", "/usr/bin/chromium")


UNLIMITED = {"CREATIONS_PER_MINUTE": 0, "CREATIONS_PER_MINUTE_PER_ADDRESS": 0, "CHECKS_PER_MINUTE": 0}


@pytest.fixture
def app(tmp_path):
    from server.web.app import create_app
    # Quotas that tests creating many graphs never meet; tests/test_hardening.py checks the defaults.
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), **UNLIMITED})
    yield app
    app.extensions["gradcanvas.store"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def socket_client(app):
    """A factory of Socket.IO test clients bound to ``app`` (no network)."""
    from server.web.realtime import socketio
    made = []

    def make():
        c = socketio.test_client(app)
        made.append(c)
        return c
    yield make
    for c in made:
        if c.is_connected():
            c.disconnect()


@pytest.fixture(scope="session", autouse=True)
def _fast_websocket_close():
    """websocket-client waits 3 s for a close frame the engine.io loop already ate."""
    try:
        import websocket
    except ImportError:
        yield
        return
    original = websocket.WebSocket.close

    def close(self, status=1000, reason=b"", timeout=0.2):
        return original(self, status, reason, timeout)
    websocket.WebSocket.close = close
    yield
    websocket.WebSocket.close = original


def evaluation(graph) -> dict:
    """Everything computable, as the editor is sent it with every step revealed (never raises)."""
    from server.engine.visible import full_cursor, pass_orders, visible_state
    return visible_state(graph, full_cursor(graph), *pass_orders(graph))


def sent(outcome, event: str | None = None) -> list[dict]:
    """What a service call queued for its room (the payloads of ``event`` messages, or all)."""
    messages = []
    if outcome.outbox is not None:
        outcome.outbox.drain(messages.append)
    return [m.payload for m in messages if event is None or m.event == event]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*extra_args, env=None, data_dir=None, port=None):
    """Start `gradcanvas serve` in a subprocess on a free loopback port; returns (proc, url)."""
    import tempfile
    port = port or free_port()
    data_dir = data_dir or tempfile.mkdtemp(prefix="gradcanvas-test-")
    quotas = [] if "--creations-per-minute" in extra_args else \
        ["--creations-per-minute", "0", "--creations-per-minute-per-address", "0", "--checks-per-minute", "0"]
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port),
                             "--data-dir", str(data_dir), *quotas, *extra_args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})},
                            start_new_session=True)  # its own process group: gunicorn's master and worker
    url = f"http://127.0.0.1:{port}"
    # Read the server's log all the time: a full pipe (64 KB, some 800 requests) blocks
    # the server's next log write, and with it every request. The tail is kept for errors.
    log = proc.log = collections.deque(maxlen=2000)  # the server's log lines, for tests that read it
    reader = threading.Thread(target=lambda: log.extend(proc.stdout), daemon=True)
    reader.start()
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/api/ops", timeout=1).read()
            return proc, url
        except OSError:
            if proc.poll() is not None:
                reader.join(timeout=5)  # the pipe is at its end: the reader has the last lines
                raise RuntimeError("server exited: " + b"".join(log).decode(errors="replace"))
            time.sleep(0.1)  # between two tries
    kill_server(proc)
    raise RuntimeError("server did not start within 20 s")


def kill_server(proc, sig=signal.SIGKILL):
    """Signal the server's whole process group (gunicorn's master and its worker) and reap it."""
    def signal_group(s):
        try:
            os.killpg(proc.pid, s)
        except ProcessLookupError:  # already gone
            pass
    signal_group(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        signal_group(signal.SIGKILL)
        proc.wait(timeout=10)


def stop_server(proc):
    """A quick shutdown (gunicorn's SIGINT), then SIGKILL if it lingers."""
    kill_server(proc, signal.SIGINT)


@pytest.fixture(scope="session")
def live_server():
    """The base URL of a real gradcanvas server, for websocket and browser tests."""
    proc, url = start_server()
    yield url
    stop_server(proc)


# Graph id → its edit link (a path), from the creation replies seen here: the bare id
# /g/<id> opens the read-only view for a browser without the edit grant (the tests' are fresh).
EDIT_URLS: dict[str, str] = {}


def post_json(url: str, doc) -> dict:
    req = urllib.request.Request(url, data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        reply = json.loads(resp.read())
    if isinstance(reply, dict) and "edit_url" in reply:
        EDIT_URLS[reply["id"]] = reply["edit_url"]
    return reply


def editor_url(base: str, graph_id: str) -> str:
    """The edit link of a graph made through post_json: opening it makes the browser an editor."""
    return base + EDIT_URLS[graph_id]


def edit_token(graph_id: str) -> str:
    """The edit token of a graph made through post_json, for socket clients' join."""
    return EDIT_URLS[graph_id].split("edit=", 1)[1]


def editor_join(app, graph_id: str, **extra) -> dict:
    """A join payload with the edit token, for a graph in ``app``'s store (socketio.test_client tests)."""
    token = app.extensions["gradcanvas.store"].get(graph_id).edit_token
    return {"graph_id": graph_id, "token": token, **extra}


@pytest.fixture
def create_graph(live_server):
    """POST a document to the live server; returns the new graph's id (its edit link is remembered)."""
    def create(doc):
        return post_json(live_server + "/api/graphs", doc)["id"]
    return create


@pytest.fixture
def editors(browser, live_server):
    """A factory of `Editor` pages (tests/pages.py) on the live server, each in a browser
    context of its own (its own cookies, so edit grants, and its own localStorage, so client
    id): ``editors(console=True, **context options)``. Closes every context it made."""
    from pages import Editor
    made = []

    def make(console: bool = True, **options):
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 720}, **options})
        made.append(context)
        return Editor(context.new_page(), live_server, console=console)
    yield make
    for context in made:
        context.close()


@pytest.fixture
def editor(editors):
    """One `Editor` page in a fresh browser context, closed after the test."""
    return editors()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's chromium, never Playwright's download; flags keep it off the closed network.
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run"]}


# -- PostgreSQL: one throw-away cluster per session, a fresh database per test -------------------
PG_BIN = Path(os.environ.get("GRADCANVAS_PG_BIN", "/usr/lib/postgresql/15/bin"))


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL cluster in a temporary directory, on a free loopback port: its base URL.
    PostgreSQL refuses to run as root, so as root (CI, make test) it runs as the postgres user."""
    import shutil
    import tempfile
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL is not installed ({PG_BIN}/initdb is missing): "
                    "apt-get install postgresql (make system-packages does)", pytrace=False)
    home = tempfile.mkdtemp(prefix="gradcanvas-pg-")
    as_user = []
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def pg(*args):
        done = subprocess.run([*as_user, *args], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")
    pg(PG_BIN / "initdb", "-D", f"{home}/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
    pg(PG_BIN / "pg_ctl", "-D", f"{home}/data", "-l", f"{home}/log", "-w", "-o",
       f"-p {port} -k {home} -c listen_addresses=127.0.0.1", "start")
    yield f"postgresql://postgres@127.0.0.1:{port}"
    pg(PG_BIN / "pg_ctl", "-D", f"{home}/data", "-m", "immediate", "stop")
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """The URL of an empty database of its own on the session's cluster, dropped after the test."""
    import secrets as _secrets
    import psycopg
    name = "t_" + _secrets.token_hex(6)
    with psycopg.connect(postgres_server + "/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    yield f"{postgres_server}/{name}"
    with psycopg.connect(postgres_server + "/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
