"""Tensors in the editor (issue 16, "Showing tensors"): the two-layer net's edges show their
shapes as badges that do not overlap, a batch steps forward and backward as scalars do, a
click on W1's gradient opens the whole matrix as the server's tensor route gives it, and
the explanation writes the Affine rules with their shapes, typeset by KaTeX."""
import json
import urllib.request

import pytest

from pages import PALETTE

pytestmark = pytest.mark.browser

SHAPES = {"x": "(30, 2)", "W1": "(2, 10)", "b1": "(10,)", "Affine1": "(30, 10)", "Relu1": "(30, 10)",
          "W2": "(10, 3)", "b2": "(3,)", "Affine2": "(30, 3)", "t": "(30, 3)"}


def server_table(base, graph_id, node, of, via=""):
    with urllib.request.urlopen(f"{base}/api/graphs/{graph_id}/tensor/{node}?of={of}{via}", timeout=10) as r:
        return json.loads(r.read())


def overlap(a, b, pad=0.0):
    return a["x"] < b["x"] + b["w"] + pad and b["x"] < a["x"] + a["w"] + pad \
        and a["y"] < b["y"] + b["h"] + pad and b["y"] < a["y"] + a["h"] + pad


def edge_from(s, source):
    return next(e for e in s["edges"] if e["source"] == source)


def centre(box):
    return box["x"] + box["w"] / 2, box["y"] + box["h"] / 2


def test_the_two_layer_net_steps_a_batch_and_opens_w1s_gradient(editor, live_server):
    editor.visit("/try/two_layer_net", ready=PALETTE)
    s = editor.snapshot()
    # every tensor node and every edge from one shows its shape; the badges clear each other and the nodes
    assert {n["id"]: n["shape"] for n in s["nodes"] if n["shape"]} == SHAPES
    assert {e["source"]: e["shape"] for e in s["edges"]} == {k: v for k, v in SHAPES.items() if k != "Affine2"} | \
        {"Affine2": "(30, 3)"}
    badges = [e["tensor"]["badge"] for e in s["edges"]]
    assert all(b["w"] > 20 and b["h"] > 9 for b in badges)  # legible at the view's zoom
    for i, a in enumerate(badges):
        assert not any(overlap(a, b) for b in badges[i + 1:])
        assert not any(overlap(a, n["screen"]) for n in s["nodes"])

    s = editor.run("forward")
    w1 = edge_from(s, "W1")
    assert w1["tensor"]["value"] == "map" and len(w1["value"]) == 2 and len(w1["value"][0]) == 10
    assert edge_from(s, "Affine1")["value_text"].startswith("[[")
    s = editor.step("backward", 4)  # the loss, Affine2, Relu1, then Affine1 sends W1 its gradient
    assert s["current"] == "Affine1"
    assert edge_from(s, "W1")["tensor"]["grad"] == "map"
    maps = [b for e in s["edges"] for b in (e["labels"]["value"], e["labels"]["grad"]) if b]
    for i, a in enumerate(maps):  # the heat maps too: none covers another
        assert not any(overlap(a, b) for b in maps[i + 1:]), a

    # the explanation: each Affine rule with its shapes, typeset
    rules = editor.page.locator('[data-testid="explain-line"][data-shapes]')
    assert rules.count() == 3
    assert rules.nth(1).get_attribute("data-shapes") == "(2, 30) · (30, 10) = (2, 10)"
    assert rules.nth(1).locator(".katex").count() == 1
    assert "∂L/∂W = xᵀ · dout : (2, 30) · (30, 10) = (2, 10)" in rules.nth(1).locator(".plain").inner_text()

    # a click on W1's gray map: the whole gradient, as the server's route gives it
    editor.page.mouse.click(*centre(edge_from(s, "W1")["labels"]["grad"]))
    dialog = editor.testid("tensor-view")
    editor.testid("tensor-table").wait_for()
    assert dialog.get_attribute("data-node") == "W1" and dialog.get_attribute("data-of") == "grad"
    want = server_table(live_server, s["graph_id"], "W1", "grad", "&target=Affine1&port=1")  # the edge's
    assert want["shape"] == [2, 10]
    assert editor.text("tensor-shape").endswith("(2, 10)")
    cells = editor.page.eval_on_selector('[data-testid="tensor-table"]',
                                         "t => [...t.tBodies[0].rows].map(r => [...r.cells].slice(1).map(c => c.textContent))")
    assert cells == want["rows"]
    editor.page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")

    s = editor.run("backward")
    assert s["phase"] == "backward" and s["step"] == s["total"] == 10
    assert edge_from(s, "x")["tensor"]["grad"] == "map"
    assert not editor.errors


def test_a_matrix_not_yet_shown_is_refused_and_enter_opens_a_nodes_matrix(editor):
    editor.visit("/try/two_layer_net", ready=PALETTE)
    s = editor.snapshot()
    editor.page.mouse.click(*centre(edge_from(s, "Affine1")["tensor"]["badge"]))
    editor.testid("tensor-refused").wait_for()
    assert "not shown yet" in editor.text("tensor-refused")
    editor.page.keyboard.press("Escape")
    editor.testid("tensor-view").wait_for(state="hidden")
    # with the keyboard: focus the canvas, Tab to the first node (x), Enter opens its matrix
    editor.testid("graph-canvas").focus()
    editor.page.keyboard.press("Tab")
    editor.wait("s.focused_node === 'x'")
    editor.page.keyboard.press("Enter")
    editor.testid("tensor-table").wait_for()
    assert editor.testid("tensor-view").get_attribute("data-node") == "x"
    assert editor.testid("tensor-table").get_attribute("data-rows") == "30"
    assert not editor.errors


def test_the_affine_figure_shows_its_shapes_and_numbers(editor):
    """The book's Affine figure: small matrices, a vector bias broadcast, a scalar sum as the output."""
    editor.visit("/try/affine_figure", ready=PALETTE)
    s = editor.run("forward")
    assert edge_from(s, "B")["shape"] == "(3,)" and edge_from(s, "XW")["shape"] == "(2, 3)"
    assert edge_from(s, "Y")["tensor"]["value"] == "map"
    assert s["output_drawn"]["value"] is not None  # the sum: a number on the output's arrow
    s = editor.run("backward")
    assert edge_from(s, "B")["grad"] == [2.0, 2.0, 2.0]  # dB = the sum of dY over the batch
    assert not editor.errors
