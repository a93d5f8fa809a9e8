"""A real server process and a python-socketio client over a real websocket."""
import threading

import socketio

from server.teaching.examples import example_doc

from conftest import edit_token


def test_websocket_client_joins_steps_and_receives_events(live_server, create_graph):
    gid = create_graph(example_doc("doughnut"))
    got, done = [], threading.Event()
    sio = socketio.Client()

    @sio.on("step")
    def on_step(event):
        got.append(event)
        if len(got) == 10:
            done.set()

    sio.connect(live_server, transports=["websocket"])
    try:
        assert sio.transport() == "websocket"
        ack = sio.call("join", {"graph_id": gid, "token": edit_token(gid)}, timeout=5)
        assert ack["ok"] and ack["state"]["cursor"]["total"] == 5
        ack = sio.call("step", {"graph_id": gid, "direction": "backward", "count": "all"}, timeout=5)
        assert ack["ok"] and ack["done"]
        assert done.wait(5)
        # python-socketio's client runs each handler in its own thread: order by the events' own index.
        got.sort(key=lambda e: (e["phase"] == "backward", e["index"]))
        assert [e["value_text"] for e in got[:5]] == ["100", "2", "1.1", "200", "220"]
        assert [e["grad_text"] for e in got[5:]] == ["1", "1.1", "200", "110", "2.2"]
        ack = sio.call("edit", {"graph_id": gid, "version": 0,
                                "ops": [{"type": "connect", "source": "m2", "target": "m1", "port": 1}]}, timeout=5)
        assert ack["ok"] is False and "already wired" in ack["error"]
    finally:
        sio.disconnect()
