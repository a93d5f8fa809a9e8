"""``gradcanvas serve``: run the editor on one process."""
from __future__ import annotations

import threading
import webbrowser

from werkzeug.serving import WSGIRequestHandler

from .app import create_app
from ..teaching.examples import example_doc
from .realtime import socketio


class NoDelayHandler(WSGIRequestHandler):
    """TCP_NODELAY: an ack and a broadcast are two small writes, and Nagle's
    algorithm with delayed ACKs held the second one back by 40 ms."""
    disable_nagle_algorithm = True


def run(app, host: str, port: int):
    # allow_unsafe_werkzeug: the threading-mode development server is what we ship for
    # one machine; docs/deploy.md covers running behind a production server.
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False,
                 log_output=False, request_handler=NoDelayHandler)


def serve(args) -> int:
    config = {"DATA_DIR": args.data_dir, "MESSAGE_QUEUE": args.message_queue, "MAX_GRAPHS": args.max_graphs,
              "EDITS_PER_SECOND": args.edits_per_second}
    if args.cors_allowed_origins:
        origins = args.cors_allowed_origins
        config["CORS_ALLOWED_ORIGINS"] = "*" if origins == ["*"] else origins
    app = create_app(config)
    base = f"http://{'localhost' if args.host in ('127.0.0.1', '::1') else args.host}:{args.port}"
    url = base + "/"
    if args.open_example:
        session = app.extensions["gradcanvas.sessions"].create(example_doc(args.open_example))
        token = app.extensions["gradcanvas.store"].get(session.id).edit_token
        url = f"{base}/g/{session.id}?edit={token}"  # opening it makes this browser an editor
    print(f"gradcanvas is running at {url}  (Ctrl+C to stop)", flush=True)
    if args.open:
        threading.Timer(1.0, webbrowser.open, [url]).start()
    run(app, args.host, args.port)
    return 0
