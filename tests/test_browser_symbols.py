"""Symbolic labels on the canvas, in headless Chromium against a real server: a seed
figure opened from the Examples menu shows names and gradient expressions (x, ∂L/∂z · y),
and the header's Labels choice switches to numbers or both, for this person only.

Every text is the server's (visible_state's and the step events' `value_symbol` /
`grad_symbol` beside `value_text` / `grad_text`); the tests read them from
``window.gradcanvas.snapshot()``, whose edges say what is drawn (`drawn`).
"""
from __future__ import annotations

import pytest

from pages import DOUGHNUT, new_graph, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOT = "/tmp/symbols-canvas.png"


def drawn(s: dict) -> list:
    """(value, gradient) as drawn on each edge, in port order."""
    return [(e["drawn"]["value"], e["drawn"]["grad"]) for e in sorted(s["edges"], key=lambda e: e["port"])]


def open_seed_mul_node(editor):
    page = editor.open(new_graph(editor.base, DOUGHNUT)).page
    start = page.evaluate("location.pathname")
    editor.click("examples-menu")
    editor.testid("example-seed-mul-node").click()
    page.wait_for_function("p => location.pathname !== p", arg=start)
    wait_ready(page)


def test_seed_figure_opens_in_symbols_and_switches_to_numbers_and_both(editor):
    open_seed_mul_node(editor)
    page = editor.page
    s = editor.snapshot()
    assert s["labels"] == "symbols"
    assert editor.testid("labels").input_value() == "symbols"
    assert "labels" not in page.evaluate("location.search")  # read once, then taken out of the address
    assert drawn(s) == [(None, None), (None, None)]           # nothing revealed yet

    editor.run("forward")
    s = editor.run("backward")
    edges = sorted(s["edges"], key=lambda e: e["port"])
    assert [(e["value_symbol"], e["grad_symbol"]) for e in edges] == [("x", "∂L/∂z · y"), ("y", "∂L/∂z · x")]
    assert drawn(s) == [("x", "∂L/∂z · y"), ("y", "∂L/∂z · x")]
    assert s["output_drawn"] == {"value": "z", "grad": "∂L/∂z"}
    numbers = [(e["value_text"], e["grad_text"]) for e in edges]
    assert numbers == [("2", "3"), ("3", "2")]
    page.screenshot(path=SHOT)

    editor.testid("labels").select_option("numbers")
    s = editor.wait("s.labels === 'numbers'")
    assert drawn(s) == numbers
    assert s["output_drawn"] == {"value": "6", "grad": "1"}

    editor.testid("labels").select_option("both")
    s = editor.wait("s.labels === 'both'")
    assert drawn(s) == [("x = 2", "∂L/∂z · y = 3"), ("y = 3", "∂L/∂z · x = 2")]
    assert s["output_drawn"] == {"value": "z = 6", "grad": "∂L/∂z = 1"}
    # the grad texts are drawn where the snapshot says, below their edges
    assert all(e["labels"]["grad"]["y"] > e["mid"]["y"] for e in s["edges"])
    assert editor.errors == []


def test_the_labels_choice_is_remembered_and_not_shared(editors):
    alice, bob = editors(), editors()
    gid = new_graph(alice.base, DOUGHNUT)
    alice.open(gid)
    bob.open(gid)
    alice.run("forward")
    alice.testid("labels").select_option("symbols")
    alice.wait("s.labels === 'symbols'")
    s = alice.snapshot()
    assert ("doughnut", None) in drawn(s)            # a labelled input is its name
    assert bob.converged()["labels"] == "numbers"    # the other person still sees numbers
    assert ("100", None) in drawn(bob.snapshot())
    assert alice.reload()["labels"] == "symbols"     # remembered on this browser


FAN_OUT = {"format": "gradcanvas", "version": 1, "title": "c = a*b + a", "nodes": [
    {"id": "a", "op": "input", "value": 2, "label": "a", "x": 40, "y": 60},
    {"id": "b", "op": "input", "value": 3, "label": "b", "x": 40, "y": 200},
    {"id": "m", "op": "mul", "x": 240, "y": 130}, {"id": "c", "op": "add", "label": "c", "x": 440, "y": 90}],
    "edges": [{"source": "a", "target": "m", "port": 0}, {"source": "b", "target": "m", "port": 1},
              {"source": "m", "target": "c", "port": 0}, {"source": "a", "target": "c", "port": 1}],
    "output": "c"}


def test_a_fan_out_shows_the_sum_of_its_terms_under_it_in_symbols(editor):
    editor.open(new_graph(editor.base, FAN_OUT))
    editor.run("forward")
    s = editor.run("backward")
    assert editor.node("a")["grad_sum"] is None  # numbers: the sum is not drawn
    editor.testid("labels").select_option("symbols")
    s = editor.wait("s.labels === 'symbols'")
    sums = {n["id"]: n["grad_sum"] for n in s["nodes"] if n["grad_sum"]}
    assert sums == {"a": "∂L/∂a = ∂L/∂x · b + ∂L/∂c · 1"}  # the product is unnamed: x
    editor.click("tidy")  # a tidied layout, fitted: what the screenshot shows
    editor.wait(f"s.version > {s['version']}")
    editor.click("fit-view")
    editor.page.screenshot(path="/tmp/symbols-fan-out.png")
    s = editor.reset()
    assert all(n["grad_sum"] is None for n in s["nodes"])  # cleared with the gradients
    editor.run("forward")
    s = editor.run("backward")                               # and revealed again by the step events
    assert {n["id"]: n["grad_sum"] for n in s["nodes"] if n["grad_sum"]} == sums


def test_a_seed_figure_made_from_the_library_opens_in_symbols(editor, live_server):
    page = editor.page
    page.goto(f"{live_server}/library")
    page.wait_for_function("document.querySelectorAll('[data-testid=\"new-example\"] option').length > 4")
    page.locator('[data-testid="new-example"]').select_option("seed-add-node")
    page.wait_for_url("**/g/**")
    wait_ready(page)
    s = editor.snapshot()
    assert s["labels"] == "symbols"
    editor.run("forward")
    s = editor.run("backward")
    assert sorted(e["drawn"]["grad"] for e in s["edges"]) == ["∂L/∂z · 1", "∂L/∂z · 1"]
