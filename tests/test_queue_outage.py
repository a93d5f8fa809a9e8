"""A Redis outage in the middle of editing: two server processes share one store and one
Redis; Redis is killed and started again while an editor on one process keeps editing.
Every page on the other process must converge, /health must say what happened, and the
log must say it once."""
from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from server.teaching.examples import example_doc

from conftest import free_port, post_json, start_server, stop_server
from test_processes import REDIS, connect

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def start_redis(port: int) -> subprocess.Popen:
    import redis
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port).ping()
            return proc
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)  # between two tries


def health(url: str) -> dict:
    try:
        with urllib.request.urlopen(url + "/health", timeout=5) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as err:
        return json.loads(err.read())


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)  # between two checks


def test_a_redis_outage_mid_stream_leaves_every_page_converged(tmp_path, browser):
    from pages import Editor
    port = free_port()
    redis_proc = start_redis(port)
    url = f"redis://127.0.0.1:{port}"
    servers = [start_server("--message-queue", url, data_dir=tmp_path) for _ in range(2)]
    (_, one), (_, two) = servers
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        made = post_json(one + "/api/graphs", example_doc("doughnut"))
        gid = made["id"]
        editor, _ = connect(one, gid, "editor-0001")
        observer = Editor(context.new_page(), two).visit(made["url"])  # a viewer on the other process
        assert observer.snapshot()["version"] == 0

        def edit(k):
            ack = editor.call("edit", {"graph_id": gid, "ops": [{"type": "set_value", "id": "tax", "value": 1 + k / 100}]},
                              timeout=10)
            assert ack["ok"], ack
            return ack["version"]
        for k in range(5):
            edit(k)
        observer.wait("s.version === 5")
        assert health(one) == health(two) == {"ok": True, "store": "ok", "queue": "ok"}

        redis_proc.kill()
        redis_proc.wait()
        for k in range(5, 25):  # editing goes on through the outage: committed, but not broadcast across
            edit(k)
        wait_until(lambda: health(two)["queue"].startswith("down"), 10, "the other process reports the outage")
        assert health(one)["ok"] is False and health(one)["queue"].startswith("down")
        assert observer.snapshot()["version"] < 25  # it missed what the queue could not carry

        redis_proc = start_redis(port)
        observer.wait("s.version === 25 && s.connected", timeout=15_000)  # told to resync, it caught up
        wait_until(lambda: health(one)["ok"] and health(two)["ok"], 10, "both report the queue back")
        last = edit(25)
        observer.wait(f"s.version === {last}")  # and broadcasts cross again
        s = observer.snapshot()
        tax = next(n for n in s["nodes"] if n["id"] == "tax")
        assert tax["value"] == 1.25 and observer.errors == []
        editor.disconnect()
    finally:
        context.close()
        logs = []
        for proc, _ in servers:
            stop_server(proc)
            logs.append(b"".join(proc.log).decode(errors="replace"))
        redis_proc.kill()
    for log in logs:  # said once when it started and once when it ended, not once per message
        assert log.count("message queue unavailable") == 1, log[-2000:]
        assert log.count("message queue back") == 1, log[-2000:]
