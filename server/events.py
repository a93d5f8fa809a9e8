"""Socket.IO event handlers: validate, call the session, emit. No maths here.

Every handler's return value is its ack: ``{ok: true, ...}`` or
``{ok: false, error}``. A refusal reaches only its sender.
"""
from __future__ import annotations

import functools

from flask import current_app
from flask_socketio import join_room

from .document import GraphError
from .realtime import socketio


def acked(handler):
    @functools.wraps(handler)
    def wrapper(data=None, *_):
        if not isinstance(data, dict):
            return {"ok": False, "error": "malformed payload: expected an object"}
        try:
            return handler(data)
        except GraphError as err:
            return {"ok": False, "error": str(err)}
        except Exception:  # never leave a client waiting on an ack
            current_app.logger.exception("handler %s failed", handler.__name__)
            return {"ok": False, "error": "internal error; the graph is unchanged"}
    return wrapper


def session_for(data):
    return current_app.extensions["gradcanvas.sessions"].get(data.get("graph_id"))


def apply_and_broadcast(session, ops) -> int:
    """Apply a batch (caller holds the lock, so patches go out in version order) and send the patch."""
    changes, version = session.edit(ops)
    broadcast_patch(session, changes, version)
    return version


def broadcast_patch(session, changes, version):
    socketio.emit("patch", {"graph_id": session.id, "version": version, "ops": changes,
                            "state": session.state()}, to=session.id)


@socketio.on("join")
@acked
def on_join(data):
    session = session_for(data)
    join_room(session.id)
    return session.join_payload()


@socketio.on("edit")
@acked
def on_edit(data):
    session = session_for(data)
    version = data.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise GraphError("version must be a whole number")
    with session.lock:  # the patch goes out before any later edit's
        version = apply_and_broadcast(session, data.get("ops"))
    return {"ok": True, "version": version}


@socketio.on("step")
@acked
def on_step(data):
    session = session_for(data)
    with session.lock:
        events, cursor, done = session.step(data.get("direction"), data.get("count", 1))
        for event in events:
            socketio.emit("step", {"graph_id": session.id, **event}, to=session.id)
    return {"ok": True, "cursor": cursor.to_dict(), "done": done}


@socketio.on("reset")
@acked
def on_reset(data):
    session = session_for(data)
    with session.lock:
        cursor = session.reset()
        socketio.emit("state", {"graph_id": session.id, "version": session.version,
                                "state": session.state()}, to=session.id)
    return {"ok": True, "cursor": cursor.to_dict()}


@socketio.on("tidy")
@acked
def on_tidy(data):
    """Auto-layout as one edit: a batch of move_node ops, broadcast like any other."""
    session = session_for(data)
    with session.lock:
        ops = session.tidy_ops()
        if not ops:
            return {"ok": True, "version": session.version}
        version = apply_and_broadcast(session, ops)
    return {"ok": True, "version": version}


@socketio.on("update")
@acked
def on_update(data):
    """Gradient descent: ``count`` steps p ← p − lr·grad, applied and broadcast as one edit."""
    session = session_for(data)
    with session.lock:
        changes, version, losses = session.update(data.get("count", 1))
        broadcast_patch(session, changes, version)
        learning = session.learning_state()
    return {"ok": True, "version": version, "losses": learning["losses"], "loss_text": learning["loss_text"]}
