"""Edit round trip on loopback: send set_value, wait for the patch; and the patch's size.

Beside it, a bare Socket.IO echo measured in the same run, the transport's floor.
Each graph is measured with nothing revealed (cursor idle) and with every value and
gradient revealed (stepped backward to the end), as a class sees it after a run.
Columns: the median round trip, its ratio to the echo, the server's own time for the
edit (the service call: apply, commit, recompute, the delta), the patch's JSON bytes
and the whole visible state's (what every patch carried before deltas).

Run: .venv/bin/python benchmarks/roundtrip.py [--quick]
"""
from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import socketio  # noqa: E402

from graphs import layered_dag  # noqa: E402
from server.service import GraphService, delta  # noqa: E402
from server.service.cursor import StepCursor  # noqa: E402
from server.web.app import create_app  # noqa: E402
from server.web.realtime import socketio as server_socketio  # noqa: E402
from tests.conftest import free_port  # noqa: E402

SERVER_SECONDS: list[float] = []
PARTS = {"state": [], "current": [], "diff": []}  # seconds spent in each, per edit


def timed_edits():
    """Time the service's own edit calls (the server runs in this process), and within them
    building the visible state, the step on show (``current``) and the diff."""
    def wrap(owner, name, into):
        fn = getattr(owner, name)

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                if into:  # (outside an edit: not counted)
                    into[-1] += time.perf_counter() - t
        setattr(owner, name, timed)

    edit = GraphService.edit

    def timed_edit(self, *args, **kwargs):
        for part in PARTS.values():
            part.append(0.0)
        t = time.perf_counter()
        try:
            return edit(self, *args, **kwargs)
        finally:
            SERVER_SECONDS.append(time.perf_counter() - t)
    GraphService.edit = timed_edit
    wrap(GraphService, "state", PARTS["state"])
    wrap(StepCursor, "current", PARTS["current"])
    wrap(delta, "diff", PARTS["diff"])


def run(app, host: str, port: int):
    """The app in this process (so the edits can be timed), on werkzeug's threaded server with
    TCP_NODELAY, as server/web/serve.py's run_development but without debug and logging."""
    from werkzeug.serving import WSGIRequestHandler

    class NoDelayHandler(WSGIRequestHandler):
        disable_nagle_algorithm = True

    server_socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False,
                        log_output=False, request_handler=NoDelayHandler)


def start_server():
    import tempfile
    app = create_app({"MAX_NODES": 50_000, "MAX_DOCUMENT_BYTES": 50_000_000,
                      "DATA_DIR": tempfile.mkdtemp(prefix="gradcanvas-bench-"), "EDITS_PER_SECOND": 10_000})

    @server_socketio.on("echo")
    def echo(data):
        return data

    port = free_port()
    threading.Thread(target=run, args=(app, "127.0.0.1", port), daemon=True).start()
    time.sleep(1.0)
    return app, f"http://127.0.0.1:{port}"


def wide_sum(n: int) -> dict:
    """Many branches (input → tanh) summed by a line of adds, then the output adds one more
    input, x: a value edit of x changes x and the output and nothing else (add's slope is 1)."""
    k = (n - 2) // 3
    nodes = [{"id": f"a{i}", "op": "input", "value": (i % 7) / 7, "x": 0.0, "y": 90.0 * i} for i in range(k)]
    nodes += [{"id": f"u{i}", "op": "tanh", "x": 220.0, "y": 90.0 * i} for i in range(k)]
    edges = [{"source": f"a{i}", "target": f"u{i}", "port": 0} for i in range(k)]
    prev = "u0"
    for i in range(1, k):
        nodes.append({"id": f"s{i}", "op": "add", "x": 440.0 + 20 * i, "y": 90.0 * i})
        edges += [{"source": prev, "target": f"s{i}", "port": 0}, {"source": f"u{i}", "target": f"s{i}", "port": 1}]
        prev = f"s{i}"
    nodes += [{"id": "x", "op": "input", "value": 1.0, "x": 440.0 + 20 * k, "y": -180.0},
              {"id": "out", "op": "add", "x": 660.0 + 20 * k, "y": -90.0}]
    edges += [{"source": prev, "target": "out", "port": 0}, {"source": "x", "target": "out", "port": 1}]
    return {"format": "gradcanvas", "version": 1, "title": f"wide sum of {len(nodes)} nodes",
            "nodes": nodes, "edges": edges, "output": "out"}


def tanh_chain(n: int) -> dict:
    """x → tanh → tanh → …: a value edit of x changes every value and every gradient."""
    nodes = [{"id": "x", "op": "input", "value": 0.9, "x": 0.0, "y": 0.0}]
    nodes += [{"id": f"t{i}", "op": "tanh", "x": 220.0 * (i % 50), "y": 90.0 * (i // 50)} for i in range(n - 1)]
    edges = [{"source": "x" if i == 0 else f"t{i - 1}", "target": f"t{i}", "port": 0} for i in range(n - 1)]
    return {"format": "gradcanvas", "version": 1, "title": f"tanh chain of {n} nodes",
            "nodes": nodes, "edges": edges, "output": f"t{n - 2}"}


def median_ms(samples):
    return statistics.median(samples) * 1000


def measure(app, sio, got, doc, node, revealed, repeats):
    session = app.extensions["gradcanvas.sessions"].create(doc)
    token = app.extensions["gradcanvas.store"].get(session.id).edit_token
    ack = sio.call("join", {"graph_id": session.id, "token": token}, timeout=120)
    version = ack["version"]
    if revealed:  # stepped on the service: 10,000 step events are not what is measured here
        session.step("backward", "all")
        session.outbox.drain(lambda message: None)
    whole = len(json.dumps(session.state(), separators=(",", ":")))
    samples, sizes = [], []
    SERVER_SECONDS.clear()
    for part in PARTS.values():
        part.clear()
    for k in range(repeats + 1):  # the first edit after stepping works out the room's state: not counted
        got["patch"] = None
        got["event"].clear()
        t = time.perf_counter()
        ack = sio.call("edit", {"graph_id": session.id, "version": version,
                                "ops": [{"type": "set_value", "id": node, "value": 0.5 + k / 100}]}, timeout=300)
        assert ack["ok"], ack
        got["event"].wait(300)
        if k:
            samples.append(time.perf_counter() - t)
            sizes.append(len(json.dumps(got["patch"], separators=(",", ":"))))
        version = ack["version"]
    parts = {k: median_ms(v[1:]) for k, v in PARTS.items()}
    return median_ms(samples), median_ms(SERVER_SECONDS[1:]), parts, statistics.median(sizes), whole


def main(argv=None):
    quick = "--quick" in (argv or sys.argv[1:])
    timed_edits()
    app, url = start_server()
    sio = socketio.Client()
    got = {"event": threading.Event(), "patch": None}

    def on_patch(data):
        got["patch"] = data
        got["event"].set()
    sio.on("patch", on_patch)
    sio.connect(url, transports=["websocket"])

    echo = []
    for _ in range(60):
        t = time.perf_counter()
        sio.call("echo", {"x": 1}, timeout=10)
        echo.append(time.perf_counter() - t)
    echo_ms = median_ms(echo)

    big = 2_000 if quick else 10_000
    cases = [
        ("random DAG, first input", layered_dag(100), "i0", 30),
        ("wide sum, input at the output", wide_sum(big), "x", 10),
        ("random DAG, first input", layered_dag(big), "i0", 5),
        ("tanh chain, its input (touches all)", tanh_chain(big), "x", 3),
    ]
    rows = []
    for name, doc, node, repeats in cases:
        for revealed in (False, True):
            ms, server, parts, size, whole = measure(app, sio, got, doc, node, revealed, repeats)
            rows.append((name, len(doc["nodes"]), "all" if revealed else "none", ms, ms / echo_ms, server, parts,
                         size, whole))
    sio.disconnect()

    print(f"bare Socket.IO echo: {echo_ms:.2f} ms (median of {len(echo)})\n")
    print("| graph, value edited | nodes | revealed | round trip ms | × echo | server ms (state / current / diff) "
          "| patch bytes | whole state bytes |")
    print("|---|---|---|---|---|---|---|---|")
    for name, n, revealed, ms, ratio, server, parts, size, whole in rows:
        split = " / ".join(f"{parts[k]:.0f}" for k in ("state", "current", "diff"))
        print(f"| {name} | {n:,} | {revealed} | {ms:.1f} | {ratio:.1f}× | {server:.1f} ({split}) | {size:,.0f} "
              f"| {whole:,} |")


if __name__ == "__main__":
    main()
