"""Who may do what with a graph: edit and view tokens.

Every graph has two secret tokens. The edit link ``/g/<id>?edit=<token>``
lets its holder change the graph; the view link ``/g/<id>?view=<token>``
lets its holder watch it live and nothing more. The server checks the role
on every request that changes anything; the UI only follows.
"""
from __future__ import annotations

import secrets

from .document import GraphError


def role_for(session, token) -> str:
    """'edit' or 'view' for a connection presenting ``token`` (or none)."""
    if session.store is None:
        return "edit"
    row = session.store.get(session.id)
    if isinstance(token, str) and secrets.compare_digest(token, row.view_token):
        return "view"
    if isinstance(token, str) and secrets.compare_digest(token, row.edit_token):
        return "edit"
    if token is not None:
        raise GraphError("this link's token is not valid for this graph; ask for a new link")
    return "edit"
