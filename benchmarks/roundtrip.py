"""Edit round trip on loopback: send set_value, wait for the recomputed patch.

Beside it, a bare Socket.IO echo measured in the same run, the transport's floor.
Run: .venv/bin/python benchmarks/roundtrip.py
"""
from __future__ import annotations

import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import socketio  # noqa: E402

from graphs import layered_dag  # noqa: E402
from server.web.app import create_app  # noqa: E402
from server.web.realtime import socketio as server_socketio  # noqa: E402
from server.web.serve import run  # noqa: E402
from tests.conftest import free_port  # noqa: E402


def start_server() -> str:
    import tempfile
    app = create_app({"MAX_NODES": 20_000, "MAX_DOCUMENT_BYTES": 20_000_000,
                      "DATA_DIR": tempfile.mkdtemp(prefix="gradcanvas-bench-"), "EDITS_PER_SECOND": 10_000})

    @server_socketio.on("echo")
    def echo(data):
        return data

    port = free_port()
    threading.Thread(target=run, args=(app, "127.0.0.1", port), daemon=True).start()
    time.sleep(1.0)
    return app, f"http://127.0.0.1:{port}"


def median_ms(samples):
    return statistics.median(samples) * 1000


def main(repeats: int = 30):
    app, url = start_server()
    sio = socketio.Client()
    got = threading.Event()
    sio.on("patch", lambda data: got.set())
    sio.connect(url, transports=["websocket"])

    echo = []
    for _ in range(repeats):
        t = time.perf_counter()
        sio.call("echo", {"x": 1}, timeout=10)
        echo.append(time.perf_counter() - t)
    rows = [("bare Socket.IO echo", "-", median_ms(echo), 1.0)]

    for n in (100, 10_000):
        doc = layered_dag(n)
        session = app.extensions["gradcanvas.sessions"].create(doc)
        token = app.extensions["gradcanvas.store"].get(session.id).edit_token
        ack = sio.call("join", {"graph_id": session.id, "token": token}, timeout=30)
        version = ack["version"]
        sio.call("step", {"graph_id": session.id, "direction": "backward", "count": "all"}, timeout=60)
        samples = []
        for k in range(repeats):
            got.clear()
            t = time.perf_counter()
            ack = sio.call("edit", {"graph_id": session.id, "version": version,
                                    "ops": [{"type": "set_value", "id": "i0", "value": 0.5 + k / 100}]}, timeout=30)
            assert ack["ok"], ack
            got.wait(30)
            samples.append(time.perf_counter() - t)
            version = ack["version"]
        rows.append((f"set_value → patch, {len(doc['nodes']):,} nodes", len(doc["nodes"]),
                     median_ms(samples), median_ms(samples) / median_ms(echo)))
    sio.disconnect()

    print(f"{'round trip on loopback':40} {'median ms':>10} {'× echo':>8}")
    for name, _, ms, ratio in rows:
        print(f"{name:40} {ms:10.2f} {ratio:8.1f}")


if __name__ == "__main__":
    main()
