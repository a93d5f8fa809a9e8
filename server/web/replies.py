"""Errors to replies, once: each kind of refusal (server/errors.py) carries its HTTP status
and socket error code, so nothing here reads a message to decide."""
from __future__ import annotations

from flask import jsonify

from ..errors import Error


def http_error(err: Error):
    return jsonify({"error": str(err), "code": err.code, "problems": err.problems}), err.status


def socket_error(err: Error) -> dict:
    return {"ok": False, "error": str(err), "code": err.code}
