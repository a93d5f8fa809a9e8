"""``gradcanvas serve``: gunicorn by default, Werkzeug's development server with ``--debug``.

Why gunicorn: Flask-SocketIO in threading mode needs a server that hands the raw
socket to simple-websocket, and of the production WSGI servers only gunicorn does
(waitress and cheroot cannot carry a websocket; eventlet and gevent would mean
monkey-patching). One worker process with a thread per connection (``gthread``)
keeps every client of a graph in one process, as Socket.IO's rooms need; more
processes go behind a sticky load balancer with a message queue (docs/deploy.md).
Gunicorn brings what the development server lacks: request-size limits, keep-alive
and worker timeouts, graceful restarts, and no warning at every start.
"""
from __future__ import annotations

import sys
import threading
import webbrowser

from ..errors import Error
from ..teaching.examples import example_doc
from .app import create_app

KEEPALIVE_S = 5           # an idle HTTP connection is closed after this
GRACEFUL_S = 5            # on stop, requests in flight get this long


def config_from(args) -> dict:
    config = {"DATA_DIR": args.data_dir, "DATABASE_URL": args.database, "MESSAGE_QUEUE": args.message_queue, "MAX_GRAPHS": args.max_graphs,
              "EDITS_PER_SECOND": args.edits_per_second, "ALLOWED_HOSTS": args.allowed_hosts,
              "BIND_HOST": args.host, "CREATIONS_PER_MINUTE": args.creations_per_minute,
              "CREATIONS_PER_MINUTE_PER_ADDRESS": args.creations_per_minute_per_address,
              "CHECKS_PER_MINUTE": args.checks_per_minute, "MEMORY_BUDGET_MB": args.memory_budget_mb,
              "DATASET": getattr(args, "dataset", None)}
    if args.cors_allowed_origins:
        origins = args.cors_allowed_origins
        config["CORS_ALLOWED_ORIGINS"] = "*" if origins == ["*"] else origins
    return config


def serve(args) -> int:
    config = config_from(args)
    try:
        app = create_app(config)
    except Error as err:  # a read-only or full data directory: say so, no traceback
        print(f"gradcanvas serve: cannot start: {err}", file=sys.stderr)
        return 1
    base = f"http://{'localhost' if args.host in ('127.0.0.1', '::1') else args.host}:{args.port}"
    url = base + "/"
    if args.open_example:
        service = app.extensions["gradcanvas.sessions"].create(example_doc(args.open_example, source=app.extensions["gradcanvas.sessions"].source))
        token = app.extensions["gradcanvas.store"].get(service.id).edit_token
        url = f"{base}/g/{service.id}?edit={token}"  # opening it makes this browser an editor
    app.extensions["gradcanvas.store"].close()
    print(f"gradcanvas is running at {url}  (Ctrl+C to stop)", flush=True)
    if args.open:
        threading.Timer(1.0, webbrowser.open, [url]).start()
    if args.debug:
        run_development(app, args.host, args.port)
    else:
        run_production(lambda: create_app(config), args.host, args.port, args.threads)
    return 0


def run_production(make_app, host: str, port: int, threads: int):
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": 1, "worker_class": "gthread", "threads": threads,
                "keepalive": KEEPALIVE_S, "graceful_timeout": GRACEFUL_S,
                "timeout": 30,            # a worker silent this long is replaced
                "accesslog": None, "errorlog": "-", "loglevel": "warning",
                "proc_name": "gradcanvas",
            }.items():
                self.cfg.set(key, value)

        def load(self):
            return make_app()  # in the worker, after the fork: no connection crosses it

    Server().run()


def run_development(app, host: str, port: int):
    from werkzeug.serving import WSGIRequestHandler

    from .realtime import socketio

    class NoDelayHandler(WSGIRequestHandler):
        """TCP_NODELAY: an ack and a broadcast are two small writes, and Nagle's
        algorithm with delayed ACKs held the second one back by 40 ms."""
        disable_nagle_algorithm = True

    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False,
                 log_output=True, debug=True, request_handler=NoDelayHandler)
