"""The click-to-open matrix (issue 16): a node's whole value or gradient, formatted.

``GET /api/graphs/<id>/tensor/<node>?of=value|grad`` → ``{"node", "of", "shape", "rows"}``
(``display.tensor_table``). Read like ``GET /api/graphs/<id>``: knowing the id is enough (a
draft's id too). Only what the step cursor has revealed is answered; anything else is a
``not_revealed`` refusal, so the route shows no more than the canvas does. ``&target=<id>&port=<n>``
asks for the gradient one edge from the node carries back (one term of the node's at a fan-out).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import Refused

from .api import service

bp = Blueprint("tensors", __name__, url_prefix="/api/graphs")


@bp.get("/<graph_id>/tensor/<node>")
def tensor(graph_id, node):
    edge = None
    if "target" in request.args:
        try:
            edge = (request.args["target"], int(request.args.get("port", "")))
        except ValueError:
            raise Refused("port must be a whole number", reason="not_a_number", field="port") from None
    return jsonify(service(graph_id).tensor_table(node, request.args.get("of", "value"), edge))
