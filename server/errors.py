"""The kinds of refusal, each with its HTTP status and socket error code.

Every part raises one of these (the engine's GraphError is a Refused); the web
layer maps them once (server/web/replies.py), never by reading the message.
The message is for the person who made the request, in English; ``reason`` is a
stable id of what was refused and ``params`` its particulars, so the browser can
say it in the reader's language (docs/protocol.md, "Refusal reasons"). A refusal
that wraps another (cannot step backward *because* …) carries it as the param
``because``: ``{"reason", "params", "error"}``.
"""
from __future__ import annotations


class Error(Exception):
    status = 400
    code = "refused"

    def __init__(self, message: str, problems: list[str] | None = None, *, reason: str | None = None, **params):
        super().__init__(message)
        self.problems = problems or [message]
        self.reason = reason
        self.params = params

    def retold(self, message: str) -> "Error":
        """The same refusal (kind, reason, params, problems) with its English message reworded:
        a prefix (``ops[2]: ``) or a note added by whoever passes it on."""
        err = Exception.__new__(type(self))
        Exception.__init__(err, message)
        err.__dict__.update(self.__dict__)
        return err

    def described(self) -> dict:
        """The refusal for a reply: ``{"reason", "params"}`` when it has a reason, else ``{}``."""
        if self.reason is None:
            return {}
        return {"reason": self.reason, "params": self.params}

    def as_cause(self) -> dict:
        """This refusal as another's ``because`` param."""
        return {**self.described(), "error": str(self)}


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

    def __init__(self, message: str, retry_after: float = 1.0, *, reason: str = "rate_limited", **params):
        super().__init__(message, reason=reason, retry_after=max(1, round(retry_after)), **params)
        self.retry_after = retry_after


class Unavailable(Error):
    """The server cannot do it now (the disk is full, the store is read-only or full); nothing changed."""
    status = 503
    code = "unavailable"
