"""A class on one graph: 100 python-socketio clients on loopback.

Reports, for one server process and for two processes sharing Redis:
  - step-broadcast latency: from the teacher's `step` to its arrival at each of
    the clients (median and p99 of every delivery, and of the last arrival per step);
  - edits per second sustained with no loss: editors send move_node batches as
    fast as acks come back; every client must receive every patch, in order.
The baseline, measured in the same run, is one client's `join` round trip.

Every loop is bounded and every wait has a timeout; it stops on its own.
Run: .venv/bin/python benchmarks/load.py [--clients 100] [--steps 40] [--seconds 5]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import socketio  # noqa: E402

from server.teaching.examples import example_doc  # noqa: E402
from tests.conftest import free_port, start_server  # noqa: E402

EDITORS = 4


def post(url, path, body=None):
    req = urllib.request.Request(url + path, data=json.dumps(body or {}).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def token_of(made):
    return made["edit_url"].split("edit=")[1]


class Listener:
    """One class member's screen: counts steps and patches as they arrive."""

    def __init__(self, url, gid, token, k):
        self.steps: dict[int, float] = {}
        self.versions: list[int] = []
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("step", lambda m: self.steps.setdefault(m["cursor"]["step"], time.perf_counter()))
        self.sio.on("patch", lambda m: self.versions.append(m["version"]))
        self.sio.connect(url, transports=["websocket"], wait_timeout=10)
        ack = self.sio.call("join", {"graph_id": gid, "token": token, "client": f"listener-{k:04d}"}, timeout=20)
        assert ack["ok"], ack


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def cpu_seconds(pid) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_class(urls, pids, n_clients, n_steps, seconds):
    """One scenario; ``urls`` are the server processes, clients spread over them."""
    made = post(urls[0], "/api/graphs", chain_doc(n_steps))
    gid, token = made["id"], token_of(made)
    listeners = []
    for k in range(n_clients):
        listeners.append(Listener(urls[k % len(urls)], gid, token, k))
        if (k + 1) % 25 == 0:
            print(f"  {k + 1} clients joined", file=sys.stderr, flush=True)
    teacher = listeners[0].sio

    # the baseline: a join round trip, the cheapest acked request
    base = []
    for _ in range(20):
        t0 = time.perf_counter()
        teacher.call("join", {"graph_id": gid, "token": token, "client": "listener-0000"}, timeout=10)
        base.append(time.perf_counter() - t0)

    print("  stepping", file=sys.stderr, flush=True)
    # steps: one at a time, waiting until every screen has it (bounded by a timeout)
    deliveries, lasts = [], []
    for s in range(1, n_steps + 1):
        t0 = time.perf_counter()
        ack = teacher.call("step", {"graph_id": gid, "direction": "forward", "count": 1}, timeout=10)
        assert ack["ok"], ack
        deadline = time.time() + 10
        while any(s not in lst.steps for lst in listeners) and time.time() < deadline:
            time.sleep(0.001)
        arrived = [lst.steps[s] - t0 for lst in listeners if s in lst.steps]
        if len(arrived) < n_clients:
            raise SystemExit(f"step {s} reached only {len(arrived)} of {n_clients} clients")
        deliveries += arrived
        lasts.append(max(arrived))

    print("  editing", file=sys.stderr, flush=True)
    # edits: EDITORS clients edit as fast as their acks return, for `seconds`
    for lst in listeners:
        lst.versions.clear()
    count = [0] * EDITORS
    stop_at = time.time() + seconds

    def edit(e):
        sio = listeners[1 + e].sio
        k = 0
        while time.time() < stop_at and k < 100_000:
            ack = sio.call("edit", {"graph_id": gid, "ops": [
                {"type": "move_node", "id": "x0", "x": k, "y": e}]}, timeout=20)
            assert ack["ok"], ack
            count[e] += 1
            k += 1
    t0 = time.perf_counter()
    server_cpu0, client_cpu0 = sum(cpu_seconds(p) for p in pids), time.process_time()
    threads = [threading.Thread(target=edit, args=(e,)) for e in range(EDITORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 30)
    elapsed = time.perf_counter() - t0
    total = sum(count)
    deadline = time.time() + 20
    while any(len(lst.versions) < total for lst in listeners) and time.time() < deadline:
        time.sleep(0.01)
    server_cpu = sum(cpu_seconds(p) for p in pids) - server_cpu0
    client_cpu = time.process_time() - client_cpu0
    print("  checking delivery", file=sys.stderr, flush=True)
    lost = sum(total - len(lst.versions) for lst in listeners)
    out_of_order = sum(lst.versions != sorted(lst.versions) for lst in listeners)
    # python-socketio's disconnect() can wait on a busy client: do it in the
    # background, bounded; the servers are stopped right after anyway.
    closing = [threading.Thread(target=lst.sio.disconnect, daemon=True) for lst in listeners]
    for t in closing:
        t.start()
    for t in closing:
        t.join(0.2)
    return {"baseline": statistics.median(base), "median": statistics.median(deliveries),
            "p99": percentile(deliveries, 99), "last_median": statistics.median(lasts),
            "last_p99": percentile(lasts, 99), "edits_per_s": total / elapsed, "edits": total,
            "lost": lost, "out_of_order": out_of_order,
            "server_ms_per_edit": 1000 * server_cpu / max(total, 1),
            "client_ms_per_edit": 1000 * client_cpu / max(total, 1)}


def chain_doc(n):
    """A chain long enough for n forward steps: x0 → neg → neg → …"""
    nodes = [{"id": "x0", "op": "input", "value": 1.0, "x": 0, "y": 0}]
    edges = []
    for i in range(1, n + 1):
        nodes.append({"id": f"n{i}", "op": "neg", "x": 200 * i, "y": 0})
        edges.append({"source": nodes[-2]["id"], "target": f"n{i}", "port": 0})
    return {"format": "gradcanvas", "version": 1, "title": "load", "nodes": nodes, "edges": edges}


def start_redis():
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
                             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis
    for _ in range(200):
        try:
            redis.Redis(port=port).ping()
            return proc, f"redis://127.0.0.1:{port}"
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not start")


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    flags = ("--edits-per-second", "100000")
    rows = []

    data = tempfile.mkdtemp(prefix="gradcanvas-load-")
    proc, url = start_server(*flags, data_dir=data)
    try:
        rows.append(("1 process", run_class([url], [proc.pid], args.clients, args.steps, args.seconds)))
    finally:
        stop([proc])

    redis_proc, redis_url = start_redis()
    data = tempfile.mkdtemp(prefix="gradcanvas-load-")
    servers = [start_server(*flags, "--message-queue", redis_url, data_dir=data) for _ in range(2)]
    try:
        rows.append(("2 processes + Redis", run_class([u for _, u in servers], [p.pid for p, _ in servers],
                                                      args.clients, args.steps, args.seconds)))
    finally:
        stop([p for p, _ in servers] + [redis_proc])

    ms = lambda s: f"{s * 1000:7.1f}"  # noqa: E731
    print(f"\n{args.clients} clients on one graph, loopback; {args.steps} steps; edits for {args.seconds:g} s "
          f"by {EDITORS} editors\n")
    print("| setup | join round trip (baseline) | step → each client, median / p99 | step → all clients, "
          "median / p99 | median ÷ baseline | edits/s | patches lost | clients that got patches out of order* |")
    print("|---|---|---|---|---|---|---|---|")
    after = ("\n*Through Redis, two processes' broadcasts can interleave; every patch carries its version "
             "and the editor applies them in version order.")
    for name, r in rows:
        print(f"| {name} | {ms(r['baseline'])} ms | {ms(r['median'])} / {ms(r['p99'])} ms | "
              f"{ms(r['last_median'])} / {ms(r['last_p99'])} ms | {r['median'] / r['baseline']:.1f}× | "
              f"{r['edits_per_s']:.0f} ({r['edits']} edits) | {r['lost']} | {r['out_of_order']} |")
    print(after)
    print("\n| setup | server CPU per edit (all deliveries) | this script's 100 clients' CPU per edit |")
    print("|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['server_ms_per_edit']:.1f} ms | {r['client_ms_per_edit']:.1f} ms |")


if __name__ == "__main__":
    main()
