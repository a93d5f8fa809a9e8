"""The Flask application factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from .document import Limits
from .realtime import socketio
from .session import Sessions

HERE = Path(__file__).resolve().parent


def _folder(name: str) -> str:
    """Beside the package when installed from a wheel, else at the repository root."""
    inside = HERE / name
    return str(inside if inside.is_dir() else HERE.parent / name)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=_folder("templates"), static_folder=_folder("static"),
                static_url_path="/static")
    app.config.update(
        MAX_NODES=5000,
        MAX_DOCUMENT_BYTES=2_000_000,
        CORS_ALLOWED_ORIGINS=None,  # None: same origin only
    )
    app.config.update(config or {})
    # An imported PNG or SVG is bigger than the document it carries; the document's own
    # limit is checked once it is out of the file.
    app.config["MAX_CONTENT_LENGTH"] = 4 * app.config["MAX_DOCUMENT_BYTES"] + 65536
    limits = Limits(max_nodes=app.config["MAX_NODES"], max_bytes=app.config["MAX_DOCUMENT_BYTES"])
    app.extensions["gradcanvas.sessions"] = Sessions(limits)

    from . import api, events, files, pages  # noqa: F401  (events registers the socket handlers)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(files.bp)
    @app.errorhandler(413)
    def too_large(_):
        limit = app.config["MAX_CONTENT_LENGTH"]
        return {"error": f"the upload is larger than {limit:,} bytes"}, 413

    socketio.init_app(app, cors_allowed_origins=app.config["CORS_ALLOWED_ORIGINS"],
                      max_http_buffer_size=app.config["MAX_DOCUMENT_BYTES"] + 65536)
    return app
