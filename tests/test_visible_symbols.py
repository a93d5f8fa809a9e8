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


def fan_out() -> ComputationGraph:
    """c = a*b + a: a fans out to the product and the sum."""
    return ComputationGraph.from_dict({"format": "gradcanvas", "version": 1, "nodes": [
        {"id": "a", "op": "input", "value": 2}, {"id": "b", "op": "input", "value": 3},
        {"id": "m", "op": "mul"}, {"id": "c", "op": "add"}],
        "edges": [{"source": "a", "target": "m", "port": 0}, {"source": "b", "target": "m", "port": 1},
                  {"source": "m", "target": "c", "port": 0}, {"source": "a", "target": "c", "port": 1}]})


def test_a_fan_out_receives_the_sum_of_its_terms_once_its_own_step_is_shown():
    g = fan_out()
    fwd, bwd = pass_orders(g)
    names = g.symbols.names
    expected = f"∂L/∂{names['a']} = ∂L/∂{names['m']} · {names['b']} + ∂L/∂{names['c']} · 1"
    at = bwd.index("a") + 1
    before = visible_state(g, Cursor("backward", at - 1, len(bwd)), fwd, bwd)
    assert before["display"]["grad_sums"] == {}  # terms have arrived, the sum is not yet taken
    after = visible_state(g, Cursor("backward", at, len(bwd)), fwd, bwd)
    assert after["display"]["grad_sums"] == {"a": expected}
    # the step event of a's own backward step carries the same text; no other step has one
    events = StepCursor(g).events()[1]
    assert {e["node"]: e.get("grad_sum") for e in events if "grad_sum" in e} == {"a": expected}
