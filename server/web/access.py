"""Who may do what with a graph: edit and view tokens, and each browser's grants.

Every graph has two secret tokens. The edit link ``/g/<id>?edit=<token>``
lets its holder change the graph; the view link ``/g/<id>?view=<token>``
lets its holder watch it live and nothing more. Knowing only the id gives the
read-only view too. A browser that created a graph, or opened its edit link,
is remembered (a signed cookie holds a random browser id; the store holds its
grants), so ``/g/<id>`` opens as the editor for it.

The editor page hands its token to the socket on join; the server checks the
role on every request that changes anything. The UI only follows.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, request, session as cookie

from ..engine.text import text_problem
from ..errors import Forbidden
from .guard import cross_site


def role_for(service, token) -> str:
    """'edit' or 'view' for a socket presenting ``token``: the edit token edits, anything else views."""
    if service.store is None:
        return "edit"
    if token is None or token == "":
        return "view"  # knowing only the id gives the read-only view
    row = service.store.get(service.id)
    if isinstance(token, str) and secrets.compare_digest(token, row.edit_token):
        return "edit"
    if isinstance(token, str) and secrets.compare_digest(token, row.view_token):
        return "view"
    raise Forbidden("this link's token is not valid for this graph; ask for a new link", reason="link_invalid")


def browser_id() -> str:
    """This browser's random id, kept in the signed session cookie (SameSite=Lax).

    A request from another site that arrives without the cookie gets a throwaway
    id and no Set-Cookie: it must never replace the browser's own cookie, and with
    it every grant the browser holds."""
    if "browser" not in cookie:
        if cross_site():
            return "cross-site:" + secrets.token_urlsafe(16)
        cookie["browser"] = secrets.token_urlsafe(16)
        cookie.permanent = True
    return cookie["browser"]


def editor_identity(browser: str | None, offered=None, sid: str = "") -> str:
    """Who an editor is for undo/redo: derived from the signed browser cookie, so nothing
    another person can see (presence shows none of it) lets them act as someone else.
    A client without the cookie (a script) is known by the id it offers, or its connection."""
    if browser:
        key = current_app.config["SECRET_KEY"].encode()
        return "b:" + hmac.new(key, browser.encode(), hashlib.sha256).hexdigest()[:24]
    if isinstance(offered, str) and 8 <= len(offered) <= 64 and text_problem(offered, newline=False) is None:
        return "c:" + offered
    return "s:" + sid


def store():
    return current_app.extensions["gradcanvas.store"]


def links(graph_id: str) -> dict:
    row = store().get(graph_id)
    return {"url": f"/g/{graph_id}", "edit_url": f"/g/{graph_id}?edit={row.edit_token}",
            "view_url": f"/g/{graph_id}?view={row.view_token}",
            "embed_url": f"/embed/{graph_id}?view={row.view_token}"}  # #17: the read-only stepper


def creating():
    """Count a new graph against this browser's and this address's quotas (429 past them)."""
    current_app.extensions["gradcanvas.quotas"].creating(browser_id(), request.remote_addr or "")


def created(service) -> dict:
    """A new graph's reply: its id and links; the creating browser may edit it from now on."""
    store().grant(browser_id(), service.id, "edit")
    return {"id": service.id, **links(service.id)}


def page_role(graph_id: str, edit: str | None, view: str | None) -> tuple[str, str]:
    """(role, token) for the editor page; an edit link is remembered for this browser."""
    row = store().get(graph_id)
    if edit is not None:
        if not secrets.compare_digest(edit, row.edit_token):
            raise Forbidden("this edit link is not valid for this graph; ask for a new link", reason="link_invalid")
        store().grant(browser_id(), graph_id, "edit")
    if view is not None:
        check_view_token(row, view)
        return "view", view
    if edit is not None or store().granted(browser_id(), graph_id) == "edit":
        return "edit", row.edit_token
    return "view", ""


def check_view_token(row, view: str):
    """A view link's token must be this graph's (Forbidden, reason link_invalid, if not)."""
    if not secrets.compare_digest(view, row.view_token):
        raise Forbidden("this view link is not valid for this graph; ask for a new link", reason="link_invalid")


# -- #17 the stepper anywhere --
def embed_token(graph_id: str, view: str | None) -> str:
    """The embed's access, decided as /g/<id> decides a viewer's: a view token must be this
    graph's; without one, the graph is public to its id (knowing the id gives the read-only
    view). The edit token is never taken here, and no browser grant is read or made (no cookie):
    an embed sits on other sites. Returns the token to put in its links ('' without one)."""
    row = store().get(graph_id)
    if view is None or view == "":
        return ""
    check_view_token(row, view)
    return view
# -- (end of the stepper anywhere) --


def require_edit(graph_id: str):
    """For HTTP requests that change a graph (rename, delete): this browser must hold edit rights."""
    if store().granted(browser_id(), graph_id) != "edit":
        raise Forbidden("you can only change graphs you can edit; open the graph's edit link first",
                        reason="not_editor")
