"""GET /health: whether this process can serve — its store and its message queue."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .realtime import queue_status

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """``{ok, store, queue}``: each part "ok", or what is wrong with it; 503 unless all are ok.
    ``queue`` is "none" for a single process with no message queue."""
    try:
        current_app.extensions["gradcanvas.store"].ping()
        store = "ok"
    except Exception as err:  # the point is to report any failure, whatever its type
        store = f"unavailable: {err}"
    queue = queue_status()
    ok = store == "ok" and queue in ("ok", "none")
    return jsonify({"ok": ok, "store": store, "queue": queue}), 200 if ok else 503
