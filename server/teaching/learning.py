"""The gradient-descent step: p ← p − lr · ∂loss/∂p for every trainable input.

An update is an ordinary edit, a batch of ``set_value`` ops, so it is
validated, versioned, broadcast and undone like any other. The loss is the
output node's value.
"""
from __future__ import annotations

from ..engine.display import fmt
from ..engine.document import DEFAULT_LEARNING_RATE, GraphError
from ..engine.graph import ComputationGraph
from ..engine.tensor import finite

MAX_UPDATES = 1000  # per request: a runaway loop stays bounded


def learning_rate(graph: ComputationGraph) -> float:
    return DEFAULT_LEARNING_RATE if graph.learning_rate is None else graph.learning_rate


def loss(graph: ComputationGraph) -> float:
    """The output's value; GraphError if the graph cannot be evaluated."""
    return graph.forward()[graph.output_node()]


def update_ops(graph: ComputationGraph) -> list[dict]:
    """The ``set_value`` ops of one gradient-descent step; the graph is not changed."""
    params = graph.trainable()
    if not params:
        raise GraphError("nothing to update: mark at least one input as trainable", reason="no_trainable")
    grads = graph.backward()
    lr = learning_rate(graph)
    ops = []
    for p in params:
        value = graph.node(p)["value"]
        grad = grads.get(p, 0.0)  # a parameter off every path to the output does not move
        new = value - lr * grad
        if not finite(new):
            raise GraphError(f"update of {p!r} gives {fmt(new)} ({fmt(value)} − {fmt(lr)} × {fmt(grad)}); "
                             "lower the learning rate", reason="update_not_finite", node=p, value=fmt(new))
        ops.append({"type": "set_value", "id": p, "value": new})
    return ops


def check_count(count) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_UPDATES:
        raise GraphError(f"count must be a whole number from 1 to {MAX_UPDATES}")
    return count


def train(graph: ComputationGraph, count: int) -> tuple[list[dict], list[float]]:
    """Work out ``count`` steps; returns (the net set_value ops, the loss after each step).

    The graph is left as it was: the caller applies the ops as one edit, so
    ``count`` steps are one version, one patch and one undo.
    """
    count = check_count(count)
    before = [{"type": "set_value", "id": p, "value": graph.node(p)["value"]} for p in graph.trainable()]
    losses = []
    try:
        for _ in range(count):
            graph.apply_batch(update_ops(graph))
            losses.append(loss(graph))
        after = [{**op, "value": graph.node(op["id"])["value"]} for op in before]
    finally:
        if before:
            graph.apply_batch(before)
    return after, losses
