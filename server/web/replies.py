"""Errors to replies, once: each kind of refusal (server/errors.py) carries its HTTP status
and socket error code, so nothing here reads a message to decide. Its reason and params,
when it has them, go beside the English text for the browser to translate."""
from __future__ import annotations

import math

from flask import jsonify

from ..errors import Error, RateLimited


def http_error(err: Error):
    resp = jsonify({"error": str(err), "code": err.code, **err.described(), "problems": err.problems})
    resp.status_code = err.status
    return with_retry_after(resp, err)


def with_retry_after(resp, err: Error):
    """A 429 says when to try again."""
    if isinstance(err, RateLimited):
        resp.headers["Retry-After"] = str(max(1, math.ceil(err.retry_after)))
    return resp


def socket_error(err: Error) -> dict:
    return {"ok": False, "error": str(err), "code": err.code, **err.described()}
