"""Requests a server should refuse before any handler sees them: a Host it does not serve
(DNS rebinding), and a state-changing request from another site (CSRF).

A browser sends ``Origin`` (or at least ``Referer``, or ``Sec-Fetch-Site``) with a
cross-site POST; plain clients such as curl send none of them and keep working.
JSON endpoints also need ``Content-Type: application/json`` and uploads the
header ``X-Requested-With: gradcanvas``: a cross-site form can send neither
without a CORS preflight, which this server never grants.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request

from ..errors import Forbidden, TooLarge, WrongMediaType

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
UPLOAD_HEADER = ("X-Requested-With", "gradcanvas")
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def host_name(host: str) -> str:
    """'example.org:5000' → 'example.org'; '[::1]:5000' → '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def allowed_hosts(config_hosts, bind: str | None) -> set[str] | None:
    """The Host names to answer: loopback, the bind address and any added; None means any ('*')."""
    hosts = set(LOOPBACK)
    if bind and bind not in ("0.0.0.0", "::"):  # a wildcard bind is no name: add hosts by hand
        hosts.add(bind.strip("[]").lower())
    for h in config_hosts or ():
        if h == "*":
            return None
        hosts.add(host_name(h))
    return hosts


class HostCheck:
    """WSGI middleware, outermost, so the Socket.IO handshake is checked too."""

    def __init__(self, app, hosts: set[str] | None):
        self.app, self.hosts = app, hosts

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if self.hosts is not None and host_name(host) not in self.hosts:
            body = (f"400 Bad Request: this server does not answer to the host {host_name(host)!r}; "
                    "start it with --allowed-hosts to add it\n").encode()
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"),
                                               ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_site() -> bool:
    """Whether this request comes from a page of another site, as far as the browser says."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    own = {_origin(request.host_url)} | set(current_app.config.get("CORS_ALLOWED_ORIGINS") or ())
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == "null" or origin.lower() not in own
    referer = request.headers.get("Referer")
    return referer is not None and _origin(referer) not in own


def check_request():
    """before_request: refuse a cross-site state change, and requests that need a header they lack."""
    if request.method in SAFE_METHODS:
        return
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length and request.content_length > limit:
        raise TooLarge(f"the upload is larger than {limit:,} bytes", reason="upload_too_large", limit=limit)
    if cross_site():
        raise Forbidden("this request came from another site, so it was refused")
    rule = request.url_rule
    needs = getattr(current_app.view_functions.get(request.endpoint), "needs", None) if rule else None
    if needs == "json" and request.mimetype != "application/json":
        raise WrongMediaType("send JSON with the header Content-Type: application/json", reason="json_expected")
    if needs == "upload" and request.headers.get(UPLOAD_HEADER[0]) != UPLOAD_HEADER[1]:
        raise Forbidden(f"uploads need the header {UPLOAD_HEADER[0]}: {UPLOAD_HEADER[1]}")


def needs(kind: str):
    """Mark a view: 'json' (Content-Type: application/json) or 'upload' (X-Requested-With)."""
    def mark(view):
        view.needs = kind
        return view
    return mark
