"""The HTML pages: the editor for one graph."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from .document import GraphError
from .examples import example_doc

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """A fresh copy of the seed's doughnut example, so `/` always opens something to step."""
    session = current_app.extensions["gradcanvas.sessions"].create(example_doc("doughnut"))
    return redirect(url_for("pages.editor", graph_id=session.id))


@bp.get("/g/<graph_id>")
def editor(graph_id):
    try:
        session = current_app.extensions["gradcanvas.sessions"].get(graph_id)
    except GraphError:
        abort(404)
    return render_template("index.html", graph_id=session.id, title=session.graph.title or "Untitled graph")
