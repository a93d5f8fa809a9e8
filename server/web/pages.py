"""The HTML pages: the library of this browser's graphs, and the editor for one graph."""
from __future__ import annotations

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for

from ..errors import Error, NotFound
from ..teaching.examples import example_doc, example_labels
from .access import browser_id, page_role
from .replies import http_error, with_retry_after

bp = Blueprint("pages", __name__)


def error_page(err: Error):
    """Every refusal, mapped once: JSON for the API and the socket's HTTP side, a page for a person."""
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return http_error(err)
    titles = {404: "Not found", 403: "Not allowed", 429: "Too many requests", 503: "Unavailable"}
    return with_retry_after(make_response(message_page(titles.get(err.status, "Refused"), err), err.status), err)


def message_page(title: str, err: Error) -> str:
    """The page for a refusal, in English; its script (static/js/message.js) says it in the
    reader's language from the title's key and the refusal's reason and params."""
    key = "message." + title.lower().replace(" ", "_")
    return render_template("message.html", title=title, title_key=key, message=str(err),
                           refusal={"reason": err.reason, "params": err.params, "error": str(err)})


@bp.get("/")
def index():
    """The library; on a first visit, the seed's doughnut example to step through, stored only
    when it is first changed (so a visit that only looks costs the store nothing)."""
    store = current_app.extensions["gradcanvas.store"]
    if not store.list(browser_id()):
        return redirect(url_for("pages.try_example", name="doughnut"))
    return redirect(url_for("pages.library"))


@bp.get("/try/<name>")
def try_example(name):
    """An example as a private draft: step it at once; the first edit stores it as your graph."""
    try:
        doc = example_doc(name, source=current_app.extensions["gradcanvas.sessions"].source)
    except KeyError as err:
        raise NotFound(str(err.args[0])) from None
    if "labels" not in request.args and example_labels(name) != "numbers":
        # a figure the post draws in symbols opens in symbols, as from the Examples menu
        # (the rest of the address stays: ?practice=grads, ?lang=ko)
        return redirect(url_for("pages.try_example", name=name, labels=example_labels(name), **request.args.to_dict()))
    browser_id()  # the cookie the socket will present when the draft is stored
    return render_template("index.html", graph_id="", draft=name, title=doc["title"], untitled=False,
                           role="edit", token="")


@bp.get("/library")
def library():
    return render_template("library.html")


@bp.get("/g/<graph_id>")
def editor(graph_id):
    try:
        service = current_app.extensions["gradcanvas.sessions"].get(graph_id)
        role, token = page_role(graph_id, request.args.get("edit"), request.args.get("view"))
    except NotFound:
        raise  # the "Not found" page (error_page), in the reader's language
    except Error as err:
        return message_page("Link not valid", err), 403
    if "edit" in request.args:  # the edit link is remembered: keep the token out of the address bar
        return redirect(url_for("pages.editor", graph_id=graph_id))
    title = service.graph.title
    return render_template("index.html", graph_id=service.id, title=title or "Untitled graph", untitled=not title,
                           role=role, token=token)
