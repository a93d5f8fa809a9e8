"""The JSON HTTP API: ops, examples and graphs."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, make_response, request

from .access import created
from ..engine.document import GraphError, loads
from ..teaching.examples import example_doc, list_examples
from ..engine.registry import describe_ops

bp = Blueprint("api", __name__, url_prefix="/api")


def sessions():
    return current_app.extensions["gradcanvas.sessions"]


def session_or_404(graph_id):
    """The graph's session; an unknown id ends the request with a JSON 404."""
    try:
        return sessions().get(graph_id)
    except GraphError as err:
        abort(make_response(jsonify({"error": str(err)}), 404))


def error(message: str, status: int, problems=None):
    body = {"error": message}
    if problems:
        body["problems"] = problems
    return jsonify(body), status


@bp.get("/ops")
def ops():
    return jsonify(describe_ops())


@bp.get("/formats")
def formats():
    from ..export import FORMATS
    return jsonify([{"name": f.name, "title": f.title, "extension": f.extension} for f in FORMATS.values()])


@bp.get("/examples")
def examples():
    return jsonify(list_examples())


@bp.post("/examples/<name>")
def copy_example(name):
    try:
        doc = example_doc(name)
    except KeyError as err:
        return error(str(err.args[0]), 404)
    return jsonify(created(sessions().create(doc))), 201


@bp.post("/graphs")
def create_graph():
    try:
        doc = loads(request.get_data(), sessions().limits)
        session = sessions().create(doc)
    except GraphError as err:
        status = 413 if "limit is" in str(err) else 400
        return error(str(err), status, err.problems)
    return jsonify(created(session)), 201


@bp.post("/formula")
def from_formula():
    """A new graph from a formula: {text, title?} → 201 {id}; 400 with line and column."""
    from ..teaching.formula import parse_formula
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return error("send JSON {\"text\": \"a = 2\\nb = a * a\"}", 400)
    try:
        doc = parse_formula(body["text"], title=str(body.get("title") or ""), limits=sessions().limits)
        session = sessions().create(doc)
    except GraphError as err:
        return error(str(err), 400)
    return jsonify(created(session)), 201


@bp.get("/graphs/<graph_id>/check")
def gradient_check(graph_id):
    """Backprop beside central differences for every input: the "Check gradients" panel."""
    from ..teaching.gradcheck import check_gradients
    session = session_or_404(graph_id)
    try:
        with session.lock:
            checks = check_gradients(session.graph)
    except GraphError as err:
        return error(str(err), 400)
    return jsonify([c.to_dict() for c in checks])


@bp.get("/graphs/<graph_id>")
def get_graph(graph_id):
    session = session_or_404(graph_id)
    with session.lock:
        return jsonify(session.graph.to_dict())
