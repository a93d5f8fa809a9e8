"""Real server processes: crash safety (kill -9) and two processes sharing Redis and one store."""
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

import pytest
import socketio

from server.teaching.examples import example_doc

from conftest import edit_token, free_port, kill_server, post_json, start_server, stop_server

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def connect(url, gid, client_id, on_patch=None):
    sio = socketio.Client()
    if on_patch:
        sio.on("patch", on_patch)
    sio.connect(url, transports=["websocket"])
    ack = sio.call("join", {"graph_id": gid, "client": client_id, "token": edit_token(gid)}, timeout=10)
    assert ack["ok"], ack
    return sio, ack


def stop(proc):
    """Stop a process that is not a gradcanvas server (redis-server)."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.slow
def test_every_acknowledged_edit_survives_kill_9(tmp_path):
    proc, url = start_server(data_dir=tmp_path)
    gid = post_json(url + "/api/graphs", example_doc("doughnut"))["id"]
    sio, ack = connect(url, gid, "crash-test-1")
    acked = []
    for k in range(40):
        r = sio.call("edit", {"graph_id": gid, "version": k,
                              "ops": [{"type": "move_node", "id": "m1", "x": k, "y": -k},
                                      {"type": "set_value", "id": "doughnut", "value": 100 + k}]}, timeout=10)
        assert r["ok"], r
        acked.append(r["version"])
    kill_server(proc)  # SIGKILL to master and worker: no shutdown, no flush, only what was committed is there
    sio.disconnect()

    proc2, url2 = start_server(data_dir=tmp_path)
    try:
        doc = get_json(f"{url2}/api/graphs/{gid}")
        m1 = next(n for n in doc["nodes"] if n["id"] == "m1")
        assert (m1["x"], m1["y"]) == (39, -39)
        assert next(n for n in doc["nodes"] if n["id"] == "doughnut")["value"] == 139
        sio, ack = connect(url2, gid, "crash-test-1")
        assert ack["version"] == acked[-1] == 40
        assert ack["history"]["can_undo"]  # and the undo history came back with it
        sio.disconnect()
    finally:
        stop_server(proc2)


@pytest.fixture
def redis_url():
    port = free_port()
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    import redis
    while True:
        try:
            redis.Redis(port=port).ping()
            break
        except redis.ConnectionError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture
def two_servers(tmp_path, redis_url):
    procs = [start_server("--message-queue", redis_url, data_dir=tmp_path) for _ in range(2)]
    yield [url for _, url in procs]
    for proc, _ in procs:
        stop_server(proc)


@pytest.mark.slow
def test_an_edit_through_one_process_reaches_a_client_of_the_other(two_servers):
    one, two = two_servers
    gid = post_json(one + "/api/graphs", example_doc("doughnut"))["id"]
    got, arrived = [], threading.Event()

    def on_patch(msg):
        got.append(msg)
        arrived.set()
    a, _ = connect(one, gid, "alice-0001")
    b, ack_b = connect(two, gid, "bob-00000002", on_patch)
    try:
        assert ack_b["version"] == 0
        r = a.call("edit", {"graph_id": gid, "version": 0,
                            "ops": [{"type": "set_value", "id": "tax", "value": 1.5}]}, timeout=10)
        assert r["ok"]
        assert arrived.wait(10), "the patch did not cross the message queue"
        assert got[0]["ops"] == [{"type": "set_value", "id": "tax", "value": 1.5}] and got[0]["version"] == 1
    finally:
        a.disconnect(), b.disconnect()


@pytest.mark.slow
def test_concurrent_edits_through_both_processes_converge(two_servers):
    one, two = two_servers
    gid = post_json(one + "/api/graphs", example_doc("doughnut"))["id"]
    a, _ = connect(one, gid, "alice-0001")
    b, _ = connect(two, gid, "bob-00000002")
    results = {}

    def hammer(sio, name, node):
        acks = []
        for k in range(25):
            acks.append(sio.call("edit", {"graph_id": gid, "ops": [
                {"type": "move_node", "id": node, "x": k, "y": k},
                {"type": "add_node", "node": {"id": f"{name}{k}", "op": "input", "value": k}}]}, timeout=20))
        results[name] = acks
    threads = [threading.Thread(target=hammer, args=(a, "a", "m1")),
               threading.Thread(target=hammer, args=(b, "b", "m2"))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert all(r["ok"] for r in results["a"] + results["b"]), results
        versions = sorted(r["version"] for r in results["a"] + results["b"])
        assert versions == list(range(1, 51))  # one order, no version given twice
        doc1, doc2 = get_json(f"{one}/api/graphs/{gid}"), get_json(f"{two}/api/graphs/{gid}")
        assert doc1 == doc2
        assert len(doc1["nodes"]) == 5 + 50
    finally:
        a.disconnect(), b.disconnect()
