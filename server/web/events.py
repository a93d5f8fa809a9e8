"""Socket.IO event handlers: validate, call the session, emit. No maths here.

Every handler's return value is its ack: ``{ok: true, ...}`` or
``{ok: false, error}``. A refusal reaches only its sender.
"""
from __future__ import annotations

import functools

from flask import current_app, request
from flask_socketio import join_room

from .access import role_for

from ..engine.document import GraphError
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


MAX_MISSED = 500  # a re-joining client gets the patches it missed, up to this many; else the whole graph


def session_for(data):
    return current_app.extensions["gradcanvas.sessions"].get(data.get("graph_id"))


def me():
    return current_app.extensions["gradcanvas.clients"].get(request.sid)


def editable(data, what="edit"):
    """The session, if this connection may change it; counts against the edit rate limit."""
    session = session_for(data)
    client = me()
    client.require_edit(session.id, what)
    client.take_edit(current_app.extensions["gradcanvas.clients"].edits_per_second)
    return session, client


def apply_and_broadcast(session, ops, client="") -> int:
    """Apply a batch (caller holds the lock, so patches go out in version order) and send the patch.

    The batch is committed to the store before the patch goes out and before the ack.
    """
    changes, version = session.edit(ops, client)
    broadcast_patch(session, changes, version)
    return version


def broadcast_patch(session, changes, version):
    socketio.emit("patch", {"graph_id": session.id, "version": version, "ops": changes,
                            "state": session.state()}, to=session.id)


@socketio.on("join")
@acked
def on_join(data):
    """Join a graph's room. ``since``: the version a re-joining client has; it gets what it missed."""
    session = session_for(data)
    client = current_app.extensions["gradcanvas.clients"].identify(request.sid, data.get("client"), data.get("name"))
    role = role_for(session, data.get("token"))
    client.roles[session.id] = role
    join_room(session.id)
    since = data.get("since")
    with session.lock:
        payload = None
        if isinstance(since, int) and not isinstance(since, bool) and 0 <= since <= session.version \
                and session.version - since <= MAX_MISSED and session.store is not None:
            missed = session.store.edits_since(session.id, since)
            if len(missed) == session.version - since:
                payload = {"ok": True, "version": session.version, "state": session.state(),
                           "missed": [{"version": e.version, "ops": e.ops} for e in missed]}
        if payload is None:
            payload = session.join_payload()
    cfg = current_app.config
    payload.update(role=role, me=client.public(), history=session.history(client.client),
                   limits={"max_message_bytes": cfg["MAX_DOCUMENT_BYTES"] + 65536, "max_nodes": cfg["MAX_NODES"],
                           "edits_per_second": current_app.extensions["gradcanvas.clients"].edits_per_second})
    return payload


@socketio.on("edit")
@acked
def on_edit(data):
    """An edit batch made against ``version``: applied if it still makes sense, else refused."""
    session, client = editable(data)
    version = data.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise GraphError("version must be a whole number")
    with session.lock:  # the patch goes out before any later edit's
        try:
            version_now = apply_and_broadcast(session, data.get("ops"), client.client)
        except GraphError as err:
            if version is not None and version < session.version:
                raise GraphError(f"{err} (your edit was made at version {version}; others have since "
                                 f"changed the graph, now at version {session.version})", err.problems) from None
            raise
    return {"ok": True, "version": version_now, "history": session.history(client.client)}


@socketio.on("undo")
@acked
def on_undo(data):
    """Take back this client's own latest edit (never anyone else's)."""
    return undo_redo(data, "undo")


@socketio.on("redo")
@acked
def on_redo(data):
    return undo_redo(data, "redo")


def undo_redo(data, kind):
    session, client = editable(data, kind)
    with session.lock:
        changes, version = getattr(session, kind)(client.client)
        broadcast_patch(session, changes, version)
    return {"ok": True, "version": version, "history": session.history(client.client)}


@socketio.on("presence")
def on_presence(data=None, *_):
    """Where this client's pointer is and what it has selected; relayed at a bounded rate."""
    if not isinstance(data, dict) or not isinstance(data.get("graph_id"), str):
        return
    client = me()
    if client.role(data["graph_id"]) is None or not client.presence_due():
        return
    x, y = data.get("x"), data.get("y")
    sel = data.get("selection") if isinstance(data.get("selection"), list) else []
    msg = {"graph_id": data["graph_id"], **client.public(),
           "x": x if isinstance(x, (int, float)) and not isinstance(x, bool) else None,
           "y": y if isinstance(y, (int, float)) and not isinstance(y, bool) else None,
           "selection": [s for s in sel[:100] if isinstance(s, str) and len(s) <= 200]}
    socketio.emit("presence", msg, to=data["graph_id"], skip_sid=request.sid)


@socketio.on("disconnect")
def on_disconnect(*_):
    client = current_app.extensions["gradcanvas.clients"].drop(request.sid)
    if client is None:
        return
    for graph_id in client.roles:
        socketio.emit("presence_leave", {"graph_id": graph_id, "sid": client.sid}, to=graph_id)


@socketio.on("step")
@acked
def on_step(data):
    session, _ = editable(data, "step")
    with session.lock:
        events, cursor, done = session.step(data.get("direction"), data.get("count", 1))
        for event in events:
            socketio.emit("step", {"graph_id": session.id, **event}, to=session.id)
    return {"ok": True, "cursor": cursor.to_dict(), "done": done}


@socketio.on("reset")
@acked
def on_reset(data):
    session, _ = editable(data, "reset")
    with session.lock:
        cursor = session.reset()
        socketio.emit("state", {"graph_id": session.id, "version": session.version,
                                "state": session.state()}, to=session.id)
    return {"ok": True, "cursor": cursor.to_dict()}


@socketio.on("tidy")
@acked
def on_tidy(data):
    """Auto-layout as one edit: a batch of move_node ops, broadcast like any other."""
    session, client = editable(data)
    with session.lock:
        ops = session.tidy_ops()
        if not ops:
            return {"ok": True, "version": session.version}
        version = apply_and_broadcast(session, ops, client.client)
    return {"ok": True, "version": version, "history": session.history(client.client)}


@socketio.on("update")
@acked
def on_update(data):
    """Gradient descent: ``count`` steps p ← p − lr·grad, applied and broadcast as one edit."""
    session, client = editable(data)
    with session.lock:
        changes, version, losses = session.update(data.get("count", 1), client.client)
        broadcast_patch(session, changes, version)
        learning = session.learning_state()
    return {"ok": True, "version": version, "losses": learning["losses"], "loss_text": learning["loss_text"],
            "history": session.history(client.client)}
