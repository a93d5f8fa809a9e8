"""The Flask application factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

from ..engine.document import Limits
from ..errors import Error, NotFound, TooLarge
from ..service import Sessions
from ..service.lecture import Lectures
from ..store import default_data_dir, open_store
from ..teaching.minibatch import source_for
from . import wire_json
from .clients import Clients
from .guard import HostCheck, allowed_hosts, check_request
from .quotas import Quotas
from .realtime import socketio, use_queue
from .replies import http_error

HERE = Path(__file__).resolve().parent.parent  # the server package
ROOM_MEMBERS_KEPT_S = 86400  # #17 lecture: who entered a room longer ago is forgotten at start (docs/lecture.md)

DEFAULTS = dict(
    MAX_NODES=50_000,
    # A 50,000-node document with a label on every node is about 10 MB compact and 14 MB
    # as exported (indented): room for that and longer labels (docs/scale.md).
    MAX_DOCUMENT_BYTES=20_000_000,
    CORS_ALLOWED_ORIGINS=None,      # None: same origin only
    ALLOWED_HOSTS=None,             # Host names to answer besides loopback and BIND_HOST ("*": any)
    BIND_HOST=None,                 # the address served on (its name is allowed as a Host)
    DATA_DIR=None,                  # None: $GRADCANVAS_DATA, else the platform's user data folder
    DATABASE_URL=None,              # postgresql://… instead of SQLite in DATA_DIR (several hosts)
    MAX_GRAPHS=10_000,
    EDITS_PER_SECOND=50,            # per browser, across its connections, with bursts of twice that
    CREATIONS_PER_MINUTE=10,        # new graphs per browser (bursts of three times that) …
    CREATIONS_PER_MINUTE_PER_ADDRESS=60,  # … and per network address (bursts of twice that)
    CHECKS_PER_MINUTE=30,           # gradient checks per browser
    MEMORY_BUDGET_MB=512,           # graphs held in memory beyond it are dropped, least recently used
    DELETED_RETENTION_DAYS=30,      # a deleted graph can be restored for this long
    MESSAGE_QUEUE=None,             # redis://… to fan broadcasts out across processes
    DATASET=None,                   # a folder of MNIST idx files to train on (teaching/mnist.py), or None
    SESSION_COOKIE_SAMESITE="Lax",  # the browser cookie never rides along a cross-site POST
)


def _folder(name: str) -> str:
    """Beside the package when installed from a wheel, else at the repository root."""
    inside = HERE / name
    return str(inside if inside.is_dir() else HERE.parent / name)


class CookieSessions(SecureCookieSessionInterface):
    """The signed cookie, marked Secure whenever the page was served over HTTPS."""

    def get_cookie_secure(self, app):
        return super().get_cookie_secure(app) or request.is_secure


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=_folder("templates"), static_folder=_folder("static"),
                static_url_path="/static")
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    # An imported PNG or SVG is bigger than the document it carries; the document's own
    # limit is checked once it is out of the file.
    app.config["MAX_CONTENT_LENGTH"] = 4 * app.config["MAX_DOCUMENT_BYTES"] + 65536
    app.session_interface = CookieSessions()
    limits = Limits(max_nodes=app.config["MAX_NODES"], max_bytes=app.config["MAX_DOCUMENT_BYTES"])
    data_dir = app.config["DATA_DIR"] or default_data_dir()
    store = open_store(app.config["DATABASE_URL"], data_dir, app.config["MAX_GRAPHS"])  # Unavailable: a clear refusal
    store.purge_deleted(app.config["DELETED_RETENTION_DAYS"] * 86400)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = store.secret_key()  # kept by the store: every process shares it
    app.extensions["gradcanvas.store"] = store
    app.extensions["gradcanvas.sessions"] = Sessions(limits, store, app.config["MEMORY_BUDGET_MB"] * 2**20,
                                                     source_for(app.config["DATASET"]))
    app.extensions["gradcanvas.clients"] = Clients(app.config["EDITS_PER_SECOND"])
    app.extensions["gradcanvas.quotas"] = Quotas(app.config)
    app.extensions["gradcanvas.lectures"] = Lectures()  # #17 lecture mode (service/lecture.py)
    store.purge_room_members(ROOM_MEMBERS_KEPT_S)  # #17: connections a killed process left in rooms

    from . import api, events, files, health, library, pages  # noqa: F401  (events registers the socket handlers)
    from . import lecture  # #17: lecture mode's socket events and its CSV export
    app.register_blueprint(lecture.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(library.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(files.bp)
    app.register_blueprint(health.bp)
    from . import embed  # -- #17 the stepper anywhere: /embed/<id> --
    app.register_blueprint(embed.bp)
    # -- #16 view: the click-to-open matrix --
    from . import tensors
    app.register_blueprint(tensors.bp)
    # -- #16 view end --
    app.before_request(check_request)
    app.register_error_handler(Error, pages.error_page)

    @app.errorhandler(404)
    def no_such_page(_):  # an address nothing answers: the same "Not found" page (or JSON) as a missing graph
        return pages.error_page(NotFound("nothing here: check the address", reason="no_page"))

    @app.errorhandler(413)
    def too_large(_):
        limit = app.config["MAX_CONTENT_LENGTH"]
        return http_error(TooLarge(f"the upload is larger than {limit:,} bytes", reason="upload_too_large",
                                   limit=limit))

    socketio.init_app(app, cors_allowed_origins=app.config["CORS_ALLOWED_ORIGINS"],
                      max_http_buffer_size=app.config["MAX_DOCUMENT_BYTES"] + 65536,
                      json=wire_json, **use_queue(app.config["MESSAGE_QUEUE"]))
    # Outermost, so the Socket.IO handshake is checked too.
    app.wsgi_app = HostCheck(app.wsgi_app, allowed_hosts(app.config["ALLOWED_HOSTS"], app.config["BIND_HOST"]))
    return app
