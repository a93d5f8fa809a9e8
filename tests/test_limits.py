"""Limits over a real socket: an oversized message is refused before it is read."""
import threading

import socketio

from server.teaching.examples import example_doc

from conftest import post_json


def test_oversized_socket_message_is_refused_and_the_graph_unchanged(live_server):
    made = post_json(live_server + "/api/examples/doughnut", {})
    gid, token = made["id"], made["edit_url"].split("edit=")[1]
    sio = socketio.Client(reconnection=False)
    gone = threading.Event()
    sio.on("disconnect", lambda *a: gone.set())
    sio.connect(live_server, transports=["websocket"])
    assert sio.call("join", {"graph_id": gid, "token": token}, timeout=5)["ok"]
    big_label = "x" * 21_000_000  # over the 20 MB document limit + 64 KiB (50,000-node graphs: issue 15)
    sio.emit("edit", {"graph_id": gid, "ops": [{"type": "set_label", "id": "tax", "label": big_label}]})
    assert gone.wait(10), "the server should close a connection that sends an oversized message"
    other = socketio.Client(reconnection=False)
    other.connect(live_server, transports=["websocket"])
    try:
        ack = other.call("join", {"graph_id": gid, "token": token}, timeout=5)
        assert ack["version"] == 0
        assert ack["graph"]["nodes"] == example_doc("doughnut")["nodes"]
    finally:
        other.disconnect()
