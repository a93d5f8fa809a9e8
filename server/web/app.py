"""The Flask application factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from ..engine.document import Limits
from .realtime import socketio
from .access import secret_key
from .clients import Clients
from ..errors import Error, TooLarge
from ..service import Sessions
from ..store import SQLiteStore, default_data_dir
from .replies import http_error

HERE = Path(__file__).resolve().parent.parent  # the server package


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
        DATA_DIR=None,              # None: $GRADCANVAS_DATA, else the platform's user data folder
        MAX_GRAPHS=10_000,
        EDITS_PER_SECOND=50,        # per connection, with bursts of twice that
        DELETED_RETENTION_DAYS=30,  # a deleted graph can be restored for this long
        MESSAGE_QUEUE=None,         # redis://… to fan broadcasts out across processes
    )
    app.config.update(config or {})
    # An imported PNG or SVG is bigger than the document it carries; the document's own
    # limit is checked once it is out of the file.
    app.config["MAX_CONTENT_LENGTH"] = 4 * app.config["MAX_DOCUMENT_BYTES"] + 65536
    limits = Limits(max_nodes=app.config["MAX_NODES"], max_bytes=app.config["MAX_DOCUMENT_BYTES"])
    data_dir = app.config["DATA_DIR"] or default_data_dir()
    store = SQLiteStore.in_dir(data_dir, max_graphs=app.config["MAX_GRAPHS"])
    store.purge_deleted(app.config["DELETED_RETENTION_DAYS"] * 86400)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(data_dir)
    app.extensions["gradcanvas.store"] = store
    app.extensions["gradcanvas.sessions"] = Sessions(limits, store)
    app.extensions["gradcanvas.clients"] = Clients(app.config["EDITS_PER_SECOND"])

    from . import api, events, files, library, pages  # noqa: F401  (events registers the socket handlers)
    app.register_blueprint(pages.bp)
    app.register_blueprint(library.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(files.bp)
    app.register_error_handler(Error, http_error)

    @app.errorhandler(413)
    def too_large(_):
        limit = app.config["MAX_CONTENT_LENGTH"]
        return http_error(TooLarge(f"the upload is larger than {limit:,} bytes"))

    socketio.init_app(app, cors_allowed_origins=app.config["CORS_ALLOWED_ORIGINS"],
                      max_http_buffer_size=app.config["MAX_DOCUMENT_BYTES"] + 65536,
                      message_queue=app.config["MESSAGE_QUEUE"])
    return app
