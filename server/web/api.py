"""The JSON HTTP API: ops, formats, examples, graphs, formulas and the gradient check.

Refusals are raised as their kind (server/errors.py); the app's one error
handler turns them into JSON with their status (replies.py).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from ..engine.document import loads
from ..engine.graph import ComputationGraph
from ..engine.registry import describe_ops
from ..errors import NotFound, Refused, TooLarge
from ..export import FORMATS
from ..teaching.examples import example_doc, list_examples
from ..teaching.formula import parse_formula
from ..teaching.gradcheck import check_gradients
from ..teaching.practice import practice
from .access import browser_id, created, creating
from .guard import needs

MAX_CHECK_WORK = 300_000  # inputs × nodes: six evaluations each (a few dozen where the step adapts), a few seconds at most

bp = Blueprint("api", __name__, url_prefix="/api")


def sessions():
    return current_app.extensions["gradcanvas.sessions"]


def service(graph_id):
    """The graph's service; an unknown id is a NotFound (a JSON 404)."""
    return sessions().get(graph_id)


@bp.get("/ops")
def ops():
    return jsonify(describe_ops())


@bp.get("/formats")
def formats():
    return jsonify([{"name": f.name, "title": f.title, "extension": f.extension, "steps": f.steps}
                    for f in FORMATS.values()])


@bp.get("/examples")
def examples():
    return jsonify(list_examples(sessions().source))


@bp.post("/examples/<name>")
def copy_example(name):
    creating()
    try:
        doc = example_doc(name, request.args.get("lang"), sessions().source)  # titled in the UI's language
    except KeyError as err:
        raise NotFound(str(err.args[0]), reason="no_example", name=name[:40]) from None
    return jsonify(created(sessions().create(doc))), 201


@bp.post("/graphs")
@needs("json")
def create_graph():
    creating()
    doc = loads(request.get_data(), sessions().limits)
    return jsonify(created(sessions().create(doc))), 201


@bp.post("/formula")
@needs("json")
def from_formula():
    """A new graph from a formula: {text, title?} → 201 {id}; 400 with line and column."""
    creating()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise Refused("send JSON {\"text\": \"a = 2\\nb = a * a\"}")
    doc = parse_formula(body["text"], title=str(body.get("title") or ""), limits=sessions().limits)
    return jsonify(created(sessions().create(doc))), 201


@bp.get("/graphs/<graph_id>/check")
def gradient_check(graph_id):
    """Backprop beside central differences for every input: the "Check gradients" panel.
    It works on a copy, so the graph's lock is held only to read the document; it is
    bounded in size and rate, since it evaluates the graph twice per input."""
    current_app.extensions["gradcanvas.quotas"].check.take(browser_id() + "|" + (request.remote_addr or ""))
    graph = ComputationGraph.from_dict(service(graph_id).document(), sessions().limits)
    inputs = sum(1 for _, a in graph.g.nodes(data=True) if a["op"] == "input")
    if inputs * len(graph) > MAX_CHECK_WORK:
        raise TooLarge(f"the gradient check of {len(graph):,} nodes with {inputs:,} inputs is too large to run "
                       f"here (at most {MAX_CHECK_WORK:,} node evaluations); run `gradcanvas check` instead",
                       reason="check_too_large", nodes=len(graph), inputs=inputs)
    return jsonify([c.to_dict() for c in check_gradients(graph)])


# -- #17 practice --
@bp.get("/graphs/<graph_id>/practice")
def practice_blanks(graph_id):
    """Fill-in practice for one person: every blank's answer, display string and hint
    (server/teaching/practice.py). Read from a copy; nothing about the practice is stored."""
    graph = ComputationGraph.from_dict(service(graph_id).document(), sessions().limits)
    return jsonify(practice(graph))
# -- end #17 practice --


@bp.get("/graphs/<graph_id>")
def get_graph(graph_id):
    return jsonify(service(graph_id).document())
