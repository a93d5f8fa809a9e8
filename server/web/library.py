"""The graph library over HTTP: list, rename, duplicate, delete and restore, thumbnails.

Changing a graph needs this browser's edit grant (web/access.py). A rename is
an ordinary edit (``set_title``), so open editors see it live.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from ..errors import Forbidden, Refused
from ..export import ExportOptions, export
from .access import browser_id, created, creating, links, require_edit
from .guard import needs
from .api import service, sessions
from .publish import publish

bp = Blueprint("library", __name__, url_prefix="/api/graphs")


def store():
    return current_app.extensions["gradcanvas.store"]


def editable(graph_id):
    found = service(graph_id)
    require_edit(graph_id)
    return found


@bp.get("")
def list_graphs():
    """This browser's graphs, newest change first: [{id, title, version, created_at, updated_at, nodes}]."""
    return jsonify([{**g, "url": f"/g/{g['id']}", "thumbnail": f"/api/graphs/{g['id']}/thumbnail.svg?v={g['version']}"}
                    for g in store().list(browser_id())])


@bp.patch("/<graph_id>")
@needs("json")
def rename(graph_id):
    graph = editable(graph_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("title"), str):
        raise Refused('send JSON {"title": "…"}')
    reply = publish(graph.edit([{"type": "set_title", "title": body["title"].strip()}],
                               client="browser:" + browser_id()))
    return jsonify({"id": graph_id, "title": graph.graph.title, "version": reply["version"]})


@bp.post("/<graph_id>/duplicate")
def duplicate(graph_id):
    creating()
    doc = service(graph_id).document()  # anyone who can see a graph may copy it
    copy = sessions().create(doc, title=f"{doc['title'] or 'Untitled graph'} (copy)")
    return jsonify(created(copy)), 201


@bp.delete("/<graph_id>")
def delete(graph_id):
    """Soft delete: gone from the library, restorable with POST …/restore (the page offers Undo)."""
    editable(graph_id)
    return jsonify(publish(sessions().delete(graph_id)))


@bp.get("/<graph_id>/links")
def share_links(graph_id):
    """The edit and view links, for the editor's Share button: only a browser that may edit gets them."""
    if sessions().is_draft(service(graph_id)):
        raise Refused("this example is not saved yet: change something to make it your own graph, then share it",
                      reason="draft_not_shared")
    editable(graph_id)
    return jsonify(links(graph_id))


@bp.post("/<graph_id>/restore")
def restore(graph_id):
    if store().granted(browser_id(), graph_id) != "edit":
        raise Forbidden("you can only restore graphs you could edit", reason="not_editor")
    store().restore(graph_id)
    return jsonify({"ok": True, "id": graph_id})


@bp.get("/<graph_id>/thumbnail.svg")
def thumbnail(graph_id):
    """The SVG export with every value and gradient: the library's picture of the graph."""
    graph = service(graph_id)
    etag = f"{graph_id}-{graph.version}"
    if request.if_none_match.contains(etag):
        return Response(status=304)
    svg = graph.read(lambda g, _: export(g, "svg", ExportOptions(state="all")))
    resp = Response(svg, mimetype="image/svg+xml")
    resp.set_etag(etag)
    resp.cache_control.private = True
    resp.cache_control.max_age = 0
    return resp
