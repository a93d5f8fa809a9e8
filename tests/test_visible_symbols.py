"""Symbolic labels in what the editor is sent: each edge's name and gradient expression
arrive with its numbers, revealed as the numbers are (visible_state and the step events)."""
from __future__ import annotations

from server.engine.graph import ComputationGraph
from server.engine.visible import Cursor, pass_orders, visible_state
from server.service.cursor import StepCursor
from server.teaching.examples import example_doc


def mul_node() -> ComputationGraph:
    return ComputationGraph.from_dict(example_doc("seed-mul-node"))


def by_port(state: dict) -> dict:
    return {e["port"]: e for e in state["edges"]}


def test_symbols_are_revealed_with_the_numbers_they_name():
    g = mul_node()
    fwd, bwd = pass_orders(g)
    idle = by_port(visible_state(g, Cursor(), fwd, bwd))
    assert [(e["value_symbol"], e["grad_symbol"]) for e in idle.values()] == [(None, None), (None, None)]

    forward = visible_state(g, Cursor("forward", 1, len(fwd)), fwd, bwd)  # only x has its value
    assert [(e["value_symbol"], e["value_text"]) for e in by_port(forward).values()] == [("x", "2"), (None, None)]

    done = visible_state(g, Cursor("backward", len(bwd), len(bwd)), fwd, bwd)
    edges = by_port(done)
    assert (edges[0]["value_symbol"], edges[0]["grad_symbol"], edges[0]["grad_text"]) == ("x", "∂L/∂z · y", "3")
    assert (edges[1]["value_symbol"], edges[1]["grad_symbol"], edges[1]["grad_text"]) == ("y", "∂L/∂z · x", "2")
    # the output's own arrow is written from the nodes' names
    assert done["display"]["value_symbols"]["mul"] == "z"
    assert done["display"]["grad_symbols"]["mul"] == "∂L/∂z"


def test_step_events_carry_the_symbols_of_what_they_reveal():
    cursor = StepCursor(mul_node())
    fwd, bwd = cursor.events()
    last = fwd[-1]
    assert (last["node"], last["value_symbol"]) == ("mul", "z")
    first_input = fwd[0]
    assert [e["value_symbol"] for e in first_input["edges"]] == [first_input["node"]]
    start = bwd[0]
    assert (start["node"], start["grad_symbol"]) == ("mul", "∂L/∂z")
    assert [(e["port"], e["grad_symbol"]) for e in start["edges"]] == [(0, "∂L/∂z · y"), (1, "∂L/∂z · x")]


def test_a_new_label_renames_the_symbols_at_once():
    g = mul_node()
    fwd, bwd = pass_orders(g)
    full = Cursor("backward", len(bwd), len(bwd))
    assert by_port(visible_state(g, full, fwd, bwd))[1]["grad_symbol"] == "∂L/∂z · x"
    g.set_label("x", "price")
    edges = by_port(visible_state(g, full, fwd, bwd))
    assert edges[0]["value_symbol"] == "price"
    assert edges[1]["grad_symbol"] == "∂L/∂x · price"  # the letter x is free again: the product takes it
