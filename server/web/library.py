"""The graph library over HTTP: list, rename, duplicate, delete and restore, thumbnails.

Changing a graph needs this browser's edit grant (server/access.py). A
rename is an ordinary edit (``set_title``), so open editors see it live.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from .access import browser_id, created, links, require_edit
from .api import error, session_or_404, sessions
from ..engine.document import GraphError
from ..export import ExportOptions, export
from .realtime import socketio

bp = Blueprint("library", __name__, url_prefix="/api/graphs")


def store():
    return current_app.extensions["gradcanvas.store"]


def editable(graph_id):
    session = session_or_404(graph_id)
    require_edit(graph_id)
    return session


@bp.errorhandler(PermissionError)
def forbidden(err):
    return error(str(err), 403)


@bp.get("")
def list_graphs():
    """This browser's graphs, newest change first: [{id, title, version, created_at, updated_at, nodes}]."""
    return jsonify([{**g, "url": f"/g/{g['id']}", "thumbnail": f"/api/graphs/{g['id']}/thumbnail.svg?v={g['version']}"}
                    for g in store().list(browser_id())])


@bp.patch("/<graph_id>")
def rename(graph_id):
    session = editable(graph_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("title"), str):
        return error('send JSON {"title": "…"}', 400)
    try:
        with session.lock:
            changes, version = session.edit([{"type": "set_title", "title": body["title"].strip()}],
                                            client="browser:" + browser_id())
            socketio.emit("patch", {"graph_id": session.id, "version": version, "ops": changes,
                                    "state": session.state()}, to=session.id)
    except GraphError as err:
        return error(str(err), 400)
    return jsonify({"id": graph_id, "title": session.graph.title, "version": version})


@bp.post("/<graph_id>/duplicate")
def duplicate(graph_id):
    session = session_or_404(graph_id)  # anyone who can see a graph may copy it
    with session.lock:
        doc = session.graph.to_dict()
    try:
        copy = sessions().create(doc, title=f"{doc['title'] or 'Untitled graph'} (copy)")
    except GraphError as err:
        return error(str(err), 400)
    return jsonify(created(copy)), 201


@bp.delete("/<graph_id>")
def delete(graph_id):
    """Soft delete: gone from the library, restorable with POST …/restore (the page offers Undo)."""
    editable(graph_id)
    store().delete(graph_id)
    sessions().forget(graph_id)
    socketio.emit("deleted", {"graph_id": graph_id}, to=graph_id)
    return jsonify({"ok": True, "restore": f"/api/graphs/{graph_id}/restore"})


@bp.get("/<graph_id>/links")
def share_links(graph_id):
    """The edit and view links, for the editor's Share button: only a browser that may edit gets them."""
    editable(graph_id)
    return jsonify(links(graph_id))


@bp.post("/<graph_id>/restore")
def restore(graph_id):
    if store().granted(browser_id(), graph_id) != "edit":
        return error("you can only restore graphs you could edit", 403)
    try:
        store().restore(graph_id)
    except GraphError as err:
        return error(str(err), 404)
    return jsonify({"ok": True, "id": graph_id})


@bp.get("/<graph_id>/thumbnail.svg")
def thumbnail(graph_id):
    """The SVG export with every value and gradient: the library's picture of the graph."""
    session = session_or_404(graph_id)
    etag = f'"{graph_id}-{session.version}"'
    if request.if_none_match.contains(etag.strip('"')):
        return Response(status=304)
    with session.lock:
        svg = export(session.graph, "svg", ExportOptions(state="all"))
    resp = Response(svg, mimetype="image/svg+xml")
    resp.set_etag(etag.strip('"'))
    resp.cache_control.private = True
    resp.cache_control.max_age = 0
    return resp
