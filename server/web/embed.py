"""The read-only stepper for other sites (issue 17): ``GET /embed/<id>[?view=<token>]``.

The page (templates/stepper.html) carries every step precomputed by the server
(export/stepper_data.py) and steps through them in the reader's browser alone: an embed
never joins the graph's room, so it cannot move the room's shared cursor, and nothing it
does reaches the server. Access is /g/<id>'s for a viewer (access.embed_token). The page
shows the graph as it was when loaded; a reload shows later edits.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, make_response, request

from ..engine.graph import ComputationGraph
from ..errors import Error, NotFound
from ..export.html import stepper_page
from ..export.stepper_data import stepper_data
from .access import embed_token
from .pages import message_page

bp = Blueprint("embed", __name__)

# The URL options the page reads (static/js/stepper.js); lang is read by i18n.js.
OPTIONS = ("step", "labels", "controls", "theme", "speed")


@bp.get("/embed/<graph_id>")
def embed(graph_id):
    try:
        service = current_app.extensions["gradcanvas.sessions"].get(graph_id)
        token = embed_token(graph_id, request.args.get("view"))
    except NotFound:
        raise  # the "Not found" page (error_page), in the reader's language
    except Error as err:
        return message_page("Link not valid", err), 403
    # the steps are worked out from a copy, so edits need not wait for them
    copy, title = service.read(lambda g, cursor: (ComputationGraph.from_dict(g.to_dict(), g.limits), g.title))
    payload = {**stepper_data(copy), "graph_id": service.id}
    open_url = f"/g/{quote(service.id)}" + (f"?view={quote(token)}" if token else "")
    html = stepper_page(payload, inline=False, title=title, open_url=open_url,
                        options={k: request.args.get(k) for k in OPTIONS})
    resp = make_response(html)
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the view token stays out of other sites' logs
    return resp
