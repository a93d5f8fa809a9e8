"""The HTML pages: the library of this browser's graphs, and the editor for one graph."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from ..errors import Error, NotFound
from ..teaching.examples import example_doc
from .access import browser_id, created, page_role

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The library; on a first visit, a fresh copy of the seed's doughnut graph to step through."""
    store = current_app.extensions["gradcanvas.store"]
    if not store.list(browser_id()):
        service = current_app.extensions["gradcanvas.sessions"].create(example_doc("doughnut"))
        created(service)
        return redirect(url_for("pages.editor", graph_id=service.id))
    return redirect(url_for("pages.library"))


@bp.get("/library")
def library():
    return render_template("library.html")


@bp.get("/g/<graph_id>")
def editor(graph_id):
    try:
        service = current_app.extensions["gradcanvas.sessions"].get(graph_id)
        role, token = page_role(graph_id, request.args.get("edit"), request.args.get("view"))
    except NotFound:
        abort(404)
    except Error as err:
        return render_template("message.html", title="Link not valid", message=str(err)), 403
    if "edit" in request.args:  # the edit link is remembered: keep the token out of the address bar
        return redirect(url_for("pages.editor", graph_id=graph_id))
    title = service.graph.title
    return render_template("index.html", graph_id=service.id, title=title or "Untitled graph", untitled=not title,
                           role=role, token=token)
