"""Socket.IO event handlers: validate, call the graph's service, publish. No maths, no locks.

Every handler's return value is its ack: ``{ok: true, ...}`` or
``{ok: false, error, code}``. A refusal reaches only its sender.
"""
from __future__ import annotations

import functools

from flask import current_app, request, session as cookie
from flask_socketio import join_room, leave_room

from ..errors import Error, NotFound, Refused
from ..service import Message
from ..teaching.examples import example_doc
from .access import editor_identity, role_for
from .publish import publish, send
from .realtime import socketio
from .replies import socket_error
from .wire_json import MALFORMED


def acked(handler):
    @functools.wraps(handler)
    def wrapper(data=None, *_):
        if not isinstance(data, dict):
            return socket_error(Refused("malformed payload: expected an object", reason="malformed_payload"))
        try:
            return handler(data)
        except Error as err:
            return socket_error(err)
        except Exception:  # never leave a client waiting on an ack
            current_app.logger.exception("handler %s failed", handler.__name__)
            return {"ok": False, "error": "internal error; the graph is unchanged", "code": "internal"}
    return wrapper


def clients():
    return current_app.extensions["gradcanvas.clients"]


def sessions():
    return current_app.extensions["gradcanvas.sessions"]


def service_for(data):
    return sessions().get(data.get("graph_id"))


def editable(data, what="edit"):
    """The graph's service, if this connection may change it; counts against the edit rate limit."""
    service = service_for(data)
    client = clients().get(request.sid)
    client.require_edit(service.id, what)
    client.take_edit(clients().edits_per_second)
    return service, client


def changing(data):
    """Like ``editable``, for a change to the graph: a draft is stored first (promoted), and the
    reply's ``promoted`` tells the page its graph's new id and edit token."""
    service, client = editable(data)
    if not sessions().is_draft(service):
        return service, client, {}
    browser = cookie.get("browser") or client.id
    current_app.extensions["gradcanvas.quotas"].creating(browser, request.remote_addr or "")
    draft_id, service = service.id, sessions().promote(service)
    if cookie.get("browser"):
        current_app.extensions["gradcanvas.store"].grant(cookie["browser"], service.id, "edit")
    client.roles.pop(draft_id, None)
    leave_room(draft_id)
    client.roles[service.id] = "edit"
    join_room(service.id)
    row = current_app.extensions["gradcanvas.store"].get(service.id)
    return service, client, {"promoted": {"graph_id": service.id, "token": row.edit_token,
                                          "url": f"/g/{service.id}", "from": draft_id}}


@socketio.on("join")
@acked
def on_join(data):
    """Join a graph's room. ``since``: the version a re-joining client has; it gets what it missed.
    ``draft: <example>`` instead of ``graph_id``: a private copy of an example, stored on its first edit,
    titled in ``lang`` (the UI's language) where the example has a title in it."""
    identity = editor_identity(cookie.get("browser"), data.get("client"), request.sid)
    client = clients().identify(request.sid, identity, data.get("name"))
    if "draft" in data and data.get("graph_id") is None:
        try:
            service = sessions().draft(example_doc(data["draft"], data.get("lang"), sessions().source))
        except (KeyError, TypeError):
            raise NotFound(f"no example {data['draft']!r:.40}", reason="no_example",
                           name=str(data["draft"])[:40]) from None
        role = "edit"
    else:
        service = service_for(data)
        role = role_for(service, data.get("token"))
    client.roles[service.id] = role
    join_room(service.id)
    cfg = current_app.config
    from .lecture import joining  # -- #17 lecture: a running lecture, for a page joining mid-lecture --
    return {**service.join(data.get("since")), **joining(service, client), "graph_id": service.id, "role": role,
            "me": client.own(),
            "history": service.history(client.id), "draft": sessions().is_draft(service),
            "limits": {"max_message_bytes": cfg["MAX_DOCUMENT_BYTES"] + 65536, "max_nodes": cfg["MAX_NODES"],
                       "edits_per_second": clients().edits_per_second}}


@socketio.on("edit")
@acked
def on_edit(data):
    """An edit batch made against ``version``: applied if it still makes sense, else refused."""
    service, client, promoted = changing(data)
    base = None if promoted else data.get("version")
    return {**publish(service.edit(data.get("ops"), client.id, base=base)), **promoted}


@socketio.on("undo")
@acked
def on_undo(data):
    """Take back this client's own latest edit (never anyone else's)."""
    service, client = editable(data, "undo")
    return publish(service.undo(client.id))


@socketio.on("redo")
@acked
def on_redo(data):
    service, client = editable(data, "redo")
    return publish(service.redo(client.id))


# -- #17 lecture: during a lecture only its controller steps (web/lecture.py) --
def steppable(data, what):
    """The graph's service, if this connection may step it now: the lecture's controller (any role),
    else, with no lecture running, an editor; anyone else during a lecture is refused (not_presenter)."""
    from .lecture import stepping
    service = service_for(data)
    client = clients().get(request.sid)
    if client.role(service.id) is not None and stepping(service, client, what):
        return service
    return editable(data, what)[0]


@socketio.on("step")
@acked
def on_step(data):
    service = steppable(data, "step")
    return publish(service.step(data.get("direction"), data.get("count", 1)))


@socketio.on("reset")
@acked
def on_reset(data):
    service = steppable(data, "reset")
    return publish(service.reset())
# -- end #17 lecture --


@socketio.on("tidy")
@acked
def on_tidy(data):
    """Auto-layout as one edit: a batch of move_node edits, broadcast like any other."""
    service, client, promoted = changing(data)
    return {**publish(service.tidy(client.id)), **promoted}


@socketio.on("update")
@acked
def on_update(data):
    """Training: ``count`` steps p ← p − lr·grad, applied and broadcast as one edit."""
    service, client, promoted = changing(data)
    return {**publish(service.train(data.get("count", 1), client.id)), **promoted}


# -- #16 train --
@socketio.on("next_batch")
@acked
def on_next_batch(data):
    """The dataset's next batch into x and t, the parameters kept: one edit, broadcast as any other."""
    service, client, promoted = changing(data)
    return {**publish(service.next_batch(client.id)), **promoted}
# -- end #16 train --


@socketio.on("presence")
def on_presence(data=None, *_):
    """Where this client's pointer is and what it has selected; relayed at a bounded rate."""
    if not isinstance(data, dict) or not isinstance(data.get("graph_id"), str):
        return
    client = clients().get(request.sid)
    if client.role(data["graph_id"]) is None or not client.presence_due():
        return
    x, y = data.get("x"), data.get("y")
    sel = data.get("selection") if isinstance(data.get("selection"), list) else []
    msg = {"graph_id": data["graph_id"], **client.public(),
           "x": x if isinstance(x, (int, float)) and not isinstance(x, bool) else None,
           "y": y if isinstance(y, (int, float)) and not isinstance(y, bool) else None,
           "selection": [s for s in sel[:100] if isinstance(s, str) and len(s) <= 200]}
    send(Message("presence", msg, data["graph_id"], skip_sid=request.sid))


@socketio.on("disconnect")
def on_disconnect(*_):
    client = clients().drop(request.sid)
    if client is None:
        return
    from .lecture import left  # -- #17 lecture --
    for graph_id in client.roles:
        sessions().drop_draft(graph_id)  # a draft belongs to its one connection
        send(Message("presence_leave", {"graph_id": graph_id, "sid": client.sid}, graph_id))
        left(graph_id, client.sid)  # a presenter's going ends the lecture; a controller's gives control back


@socketio.on(MALFORMED)
@acked
def on_malformed(data):
    """A packet whose payload could not be read (web/wire_json.py): refused, but acknowledged."""
    raise Refused(f"malformed payload for {data.get('event') or 'an event'}: it is not JSON this server can read",
                  reason="malformed_payload")


@socketio.on("*")
def on_unknown(event, *_):
    """Every event gets an ack, an unknown one too."""
    return {"ok": False, "error": f"unknown event {event!r:.60}", "code": "unknown_event", "reason": "unknown_event",
            "params": {"event": str(event)[:60]}}
