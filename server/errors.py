"""The kinds of refusal, each with its HTTP status and socket error code.

Every part raises one of these (the engine's GraphError is a Refused); the web
layer maps them once (server/web/replies.py), never by reading the message.
The message is for the person who made the request.
"""
from __future__ import annotations


class Error(Exception):
    status = 400
    code = "refused"

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


class Refused(Error):
    """The request makes no sense for this graph (a cycle, a wrong port, a bad value)."""


class WrongMediaType(Refused):
    status = 415
    code = "unsupported_media_type"


class NotFound(Error):
    status = 404
    code = "not_found"


class Forbidden(Error):
    status = 403
    code = "forbidden"


class TooLarge(Error):
    """Over a size limit: a document's bytes or nodes, a message, an upload."""
    status = 413
    code = "too_large"


class RateLimited(Error):
    """Too many requests of one kind from one browser or address; try again shortly."""
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float = 1.0):
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(Error):
    """The server cannot do it now (the disk is full, the store is read-only or full); nothing changed."""
    status = 503
    code = "unavailable"
