"""Lecture mode's socket events and its CSV export: validate, call service/lecture.py, publish.

The events (docs/protocol.md, "Lecture mode"): ``lecture_start``, ``lecture_stop``,
``lecture_control``, ``lecture_view``, ``lecture_ask``, ``lecture_answer``, ``lecture_reveal``.
Stepping during a lecture is decided by ``stepping`` (events.py's ``step`` and ``reset`` call it,
importing this module when called: it imports events.py's ``acked``).
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, request

from ..errors import Error, Refused
from ..service.sessions import DRAFT_PREFIX
from .access import require_edit
from .events import acked, service_for
from .publish import publish
from .realtime import socketio

bp = Blueprint("lecture", __name__, url_prefix="/api")


def lectures():
    return current_app.extensions["gradcanvas.lectures"]


def clients():
    return current_app.extensions["gradcanvas.clients"]


def sessions():
    return current_app.extensions["gradcanvas.sessions"]


def joined(data):
    """The graph's service and this connection, which must have joined it."""
    service = service_for(data)
    client = clients().get(request.sid)
    if client.role(service.id) is None:
        raise Refused("join the graph first", reason="not_joined")
    lectures().enter(service, who(client))  # a page that joined an example it has since stored
    return service, client


def who(client) -> dict:
    return {**client.public(), "id": client.id}


def stepping(service, client, what: str) -> bool:
    """During a lecture only its controller may step or reset (whatever their role): True for the
    controller, a refusal (``not_presenter``) for anyone else, False when no lecture runs."""
    if lectures().may_step(service, who(client), what):
        client.take_edit(clients().edits_per_second)
        return True
    return False


def left(graph_id: str, sid: str):
    """A connection left the room (events.py's disconnect): the store's room and lecture say so."""
    if graph_id.startswith(DRAFT_PREFIX):
        return  # an unsaved example: in no store, so in no lecture
    try:
        outcome = lectures().left(current_app.extensions["gradcanvas.store"], graph_id, sid)
    except Error:  # the graph is gone, or the store takes no write now: an editor can take over (docs/lecture.md)
        current_app.logger.warning("lecture: the store could not be told that %s left %s", sid, graph_id)
        return
    if outcome is not None:
        publish(outcome)


@socketio.on("lecture_start")
@acked
def on_lecture_start(data):
    """Start a lecture on the graph; the sender (an editor) presents it. ``take_over: true``: take
    over another editor's running lecture (docs/lecture.md, "When a presenter is gone")."""
    service, client = joined(data)
    client.require_edit(service.id, "lecture")
    return publish(lectures().start(service, who(client), take_over=data.get("take_over") is True))


@socketio.on("lecture_stop")
@acked
def on_lecture_stop(data):
    service, client = joined(data)
    return publish(lectures().stop(service, who(client)))


@socketio.on("lecture_control")
@acked
def on_lecture_control(data):
    """Hand control to ``sid`` (someone in the room, on any process); the presenter's own sid takes
    it back. A connection of this process is known here; another's, by the store's room."""
    service, client = joined(data)
    target = clients().find(data.get("sid"))
    here = who(target) if target is not None and target.role(service.id) is not None else None
    return publish(lectures().hand(service, who(client), data.get("sid"), here))


@socketio.on("lecture_view")
@acked
def on_lecture_view(data):
    """The controller's camera ({cx, cy, w, h}: the world rectangle shown) and highlighted node."""
    service, client = joined(data)
    return publish(lectures().view(service, who(client), data.get("camera"), data.get("node")))


@socketio.on("lecture_ask")
@acked
def on_lecture_ask(data):
    """Ask the room to predict ``node``'s next ``kind`` ("value" or "grad")."""
    service, client = joined(data)
    return publish(lectures().ask(service, who(client), data.get("node"), data.get("kind")))


@socketio.on("lecture_answer")
@acked
def on_lecture_answer(data):
    service, client = joined(data)
    return publish(lectures().answer(service, who(client), data.get("round"), data.get("answer")))


@socketio.on("lecture_reveal")
@acked
def on_lecture_reveal(data):
    """Step to the asked node, mark the answers; the steps go out before the results."""
    service, client = joined(data)
    stepped, result = lectures().reveal(service, who(client), data.get("round"))
    if stepped is not None:
        publish(stepped)
    return publish(result)


def joining(service, client) -> dict:
    """What a join ack carries of a running lecture (events.py's join). The connection enters the
    store's room; the presenter (or controller) joining again is shown as this connection, and the
    room is told."""
    rebound = lectures().entered(service, who(client))
    if rebound is not None:
        publish(rebound)
    lecture = lectures().public(service)
    return {"lecture": lecture} if lecture is not None else {}


@bp.get("/graphs/<graph_id>/lecture.csv")
def lecture_csv(graph_id):
    """The graph's lecture history, one answer a row (edit rights needed: it names the participants)."""
    require_edit(graph_id)
    service = sessions().get(graph_id)
    out = io.StringIO()
    rows = csv.writer(out, lineterminator="\r\n")
    rows.writerow(["round", "node", "kind", "participant name", "answer", "correct", "answered_at"])
    for a in lectures().history(service.store, graph_id):
        when = datetime.fromtimestamp(a.answered_at, timezone.utc).isoformat(timespec="seconds")
        rows.writerow([a.round, a.node, a.kind, _cell(a.name), a.answer,
                       "" if a.correct is None else ("yes" if a.correct else "no"), when])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="lecture-{graph_id}.csv"'})


def _cell(text: str) -> str:
    """A name that a spreadsheet would run as a formula (=, +, -, @) is written as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
