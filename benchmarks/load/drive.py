"""The coordinating process: starts the servers and the client processes, drives the scenarios
(the class joins, a teacher steps, editors edit) and gathers what the clients saw."""
from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import sys
import time
import urllib.request

import socketio

from benchmarks.load import fleet
from benchmarks.load.servers import Servers, cpu_seconds

BASELINE_JOINS = 20


def chain_doc(n: int) -> dict:
    """x0 → neg → neg → … (n negs): n + 1 forward steps for the teacher, one node per editor to drag."""
    nodes = [{"id": "x0", "op": "input", "value": 1.0, "x": 0, "y": 0}]
    edges = []
    for i in range(1, n + 1):
        nodes.append({"id": f"n{i}", "op": "neg", "x": 200 * i, "y": 0})
        edges.append({"source": nodes[-2]["id"], "target": f"n{i}", "port": 0})
    return {"format": "gradcanvas", "version": 1, "title": "load", "nodes": nodes, "edges": edges}


def create_graph(url: str, doc: dict) -> tuple[str, str]:
    req = urllib.request.Request(url + "/api/graphs", data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        made = json.loads(r.read())
    return made["id"], made["edit_url"].split("edit=")[1]


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))] if xs else float("nan")


class Workers:
    """The client processes, each with a pipe to it."""

    def __init__(self, count: int, spec: dict, n_clients: int, editors: int):
        ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited loop or sockets
        self.conns, self.procs = [], []
        editor_of = {k: k for k in range(editors)}  # the first clients edit (one per client process first)
        for w in range(count):
            mine = list(range(w, n_clients, count))
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=fleet.main, args=(child, {
                **spec, "clients": mine, "editors": {k: e for k, e in editor_of.items() if k in mine}}),
                daemon=True)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs)

    async def ask(self, *command, timeout=600):
        """Send a command to every client process; wait (bounded) for each one's reply."""
        for c in self.conns:
            c.send(command)
        return await asyncio.gather(*(self.reply(c, timeout) for c in self.conns))

    async def reply(self, conn, timeout):
        loop = asyncio.get_running_loop()
        got = loop.create_future()

        def readable():
            message = conn.recv()
            # a step notice that came after its step's wait had ended is not the reply
            if message[0] != "stepped" and not got.done():
                got.set_result(message)
        loop.add_reader(conn.fileno(), readable)
        try:
            return await asyncio.wait_for(got, timeout)
        finally:
            loop.remove_reader(conn.fileno())

    def stop(self):
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)


async def steps_phase(teacher, workers, servers, gid, n_steps, timeout=60.0):
    """The teacher steps forward once at a time; each step waits until every screen has it."""
    await workers.ask("steps")
    loop = asyncio.get_running_loop()
    heard: dict[int, int] = {}
    waiting: dict[int, asyncio.Future] = {}

    def on_readable(conn):
        message = conn.recv()
        assert message[0] == "stepped", message
        i = message[1]
        heard[i] = heard.get(i, 0) + 1
        if heard[i] == len(workers.conns) and i in waiting and not waiting[i].done():
            waiting[i].set_result(None)
    for c in workers.conns:
        loop.add_reader(c.fileno(), on_readable, c)
    sent, reached = [], 0
    cpu0 = servers.cpu()
    try:
        for s in range(1, n_steps + 1):
            waiting[s] = loop.create_future()
            if heard.get(s) == len(workers.conns):
                waiting[s].set_result(None)
            t0 = time.perf_counter()
            ack = await teacher.call("step", {"graph_id": gid, "direction": "forward", "count": 1}, timeout=60)
            if not ack.get("ok"):
                raise RuntimeError(f"step {s} refused: {ack}")
            sent.append(t0)
            try:
                await asyncio.wait_for(waiting[s], timeout)
            except asyncio.TimeoutError:
                break  # reported as steps that did not reach everyone
            reached = s
    finally:
        for c in workers.conns:
            loop.remove_reader(c.fileno())
    server_cpu = servers.cpu() - cpu0
    arrivals = [screen for _, lists in await workers.ask("arrivals") for screen in lists]
    each, last = [], []
    for i, t0 in enumerate(sent):
        got = [steps[i] - t0 for steps in arrivals if len(steps) > i]
        each += got
        if len(got) == len(arrivals):
            last.append(max(got))
    return {"steps": len(sent), "reached_all": reached, "screens": len(arrivals),
            "each_median": statistics.median(each) if each else float("nan"), "each_p99": percentile(each, 99),
            "all_median": statistics.median(last) if last else float("nan"), "all_p99": percentile(last, 99),
            "server_cpu_per_step": server_cpu / max(len(sent), 1)}


async def edits_phase(workers, servers, first_version, seconds):
    """The editors edit for ``seconds``; then every screen must hold every acknowledged version."""
    await workers.ask("reset_patches")
    cpu0, client0, redis0 = servers.cpu(), workers.cpu(), servers.redis_cpu()
    t0 = time.perf_counter()
    replies = await workers.ask("edit", seconds, timeout=seconds + 120)
    acked = sorted(a for _, got, _ in replies for a in got)
    errors = [e for _, _, errs in replies for e in errs]
    versions = [v for v, _, _ in acked]
    round_trips = [rtt for _, _, rtt in acked]
    last = max(versions, default=first_version)
    checked = [r for _, r in await workers.ask("check", first_version + 1, last, 60.0)]
    server_cpu, client_cpu = servers.cpu() - cpu0, workers.cpu() - client0
    redis_cpu = servers.redis_cpu() - redis0
    total = len(acked)
    incomplete = sum(r["incomplete"] for r in checked)
    # the window: until every screen held every edit (with a loss: every screen that did)
    elapsed = max(max(r["complete_at"] for r in checked) - t0, 1e-9)
    cpu_window = time.perf_counter() - t0 if incomplete else elapsed
    sizes = {}
    for r in checked:
        sizes.update(r["sizes"])
    kind_of = {v: kind for v, kind, _ in acked}
    by_kind = {kind: [n for v, n in sizes.items() if kind_of.get(v) == kind] for kind in ("move", "value")}
    screens = sum(r["screens"] for r in checked)
    lost = sum(r["missing"] for r in checked)
    return {"edits": total, "errors": errors[:5], "elapsed": elapsed,
            "edits_per_s": total / elapsed if total else 0.0,
            "incomplete_screens": incomplete,
            "dropped": sorted({d for r in checked for d in r["dropped"]}),
            "dropped_screens": sum(len(r["dropped"]) for r in checked),
            # versions are one sequence: the acknowledged ones must be exactly first+1 … last
            "edit_rtt_median": statistics.median(round_trips) if round_trips else float("nan"),
            "edit_rtt_p99": percentile(round_trips, 99),
            "contiguous": versions == list(range(first_version + 1, last + 1)),
            "lost": lost, "duplicated": sum(r["duplicated"] for r in checked),
            "unexpected": sum(r["unexpected"] for r in checked),
            "out_of_order_screens": sum(r["out_of_order"] for r in checked),
            "quick_read_mismatches": sum(r["mismatches"] for r in checked),
            "screens": screens,
            "server_cpu_per_edit": server_cpu / max(total, 1), "client_cpu_per_edit": client_cpu / max(total, 1),
            "redis_cpu_per_edit": redis_cpu / max(total, 1),
            "machine_busy": (server_cpu + client_cpu + redis_cpu) / cpu_window / multiprocessing.cpu_count(),
            "bytes_per_edit_per_client": sum(r["bytes"] for r in checked) / max(total * screens, 1),
            "patch_bytes_median": {k: statistics.median(v) if v else None for k, v in by_kind.items()}}


async def drive(servers, workers, gid, token, n_steps, seconds):
    joined = await workers.ask("join", timeout=900)
    errors = [e for _, _, errs in joined for e in errs]
    if errors:
        raise RuntimeError("clients could not join: " + "; ".join(errors))
    teacher = socketio.AsyncClient(reconnection=False)
    await teacher.connect(servers.urls[0], transports=["websocket"], wait_timeout=60)
    try:
        # the baseline: the teacher's join round trip, with the class connected and idle
        base = []
        for _ in range(BASELINE_JOINS):
            t0 = time.perf_counter()
            ack = await teacher.call("join", {"graph_id": gid, "token": token, "client": "teacher"}, timeout=60)
            base.append(time.perf_counter() - t0)
        print("  stepping", file=sys.stderr, flush=True)
        steps = await steps_phase(teacher, workers, servers, gid, n_steps)
        print("  editing", file=sys.stderr, flush=True)
        ack = await teacher.call("join", {"graph_id": gid, "token": token, "client": "teacher"}, timeout=60)
        edits = await edits_phase(workers, servers, ack["version"], seconds)
    finally:
        await teacher.disconnect()
        await workers.ask("close", timeout=60)
    return {"clients": sum(n for _, n, _ in joined), "baseline": statistics.median(base), **steps, **edits}


def run(n_servers: int, n_clients: int, *, steps: int = 40, seconds: float = 5.0, editors: int = 20,
        client_procs: int = 4, redis: bool | None = None) -> dict:
    """One setup: ``n_servers`` processes (Redis between them), ``n_clients`` screens on one graph."""
    editors = min(editors, n_clients)
    per_server = -(-n_clients // n_servers)
    servers = Servers(n_servers, threads=per_server + 50, redis=redis)
    workers = None
    try:
        gid, token = create_graph(servers.urls[0], chain_doc(max(steps, editors)))
        spec = {"urls": servers.urls, "graph_id": gid, "token": token}
        workers = Workers(min(client_procs, n_clients), spec, n_clients, editors)
        result = asyncio.run(drive(servers, workers, gid, token, steps, seconds))
    finally:
        if workers:
            workers.stop()
        servers.stop()
    return {"servers": n_servers, "redis": servers.redis_url is not None, "editors": editors,
            "client_procs": len(workers.procs) if workers else 0, **result}
