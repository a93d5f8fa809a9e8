"""The editor in headless Chromium, against a real server (the `live_server` fixture).

Every number the page shows comes from the server; these tests read what the page
shows through the read-only ``window.gradcanvas.snapshot()`` and, for the book's
look, through the canvas pixels themselves.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from pages import DOUGHNUT, drag, new_graph, node

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The README's screenshots are refreshed only on request (GRADCANVAS_SCREENSHOTS=docs), so
# `make test` leaves the working tree clean; otherwise they go to a temporary folder.
DOCS = (Path(__file__).resolve().parent.parent / "docs" if os.environ.get("GRADCANVAS_SCREENSHOTS") == "docs"
        else Path(tempfile.mkdtemp(prefix="gradcanvas-shots-")))

EMPTY = {"format": "gradcanvas", "version": 1, "title": "t", "nodes": [], "edges": []}

# -- helpers ------------------------------------------------------------------------------

def edge(s: dict, source: str, target: str, port: int) -> dict:
    return next(e for e in s["edges"] if (e["source"], e["target"], e["port"]) == (source, target, port))


def drop_from_palette(editor, op: str, at):
    """Drag the palette entry for `op` to canvas point `at` (CSS px from the canvas corner)."""
    entry = editor.testid(f"palette-{op}").bounding_box()
    ox, oy = editor.canvas_origin()
    count = len(editor.snapshot()["nodes"])
    drag(editor.page, (entry["x"] + entry["width"] / 2, entry["y"] + entry["height"] / 2), (ox + at[0], oy + at[1]))
    return editor.wait(f"s.nodes.length === {count + 1}")["nodes"][-1]


def wire(editor, source: str, target: str, port: int):
    """Drag from `source`'s output port to `target`'s input `port`."""
    s = editor.snapshot()
    count = len(s["edges"])
    out = node(s, source)["ports"]["output"]
    inp = node(s, target)["ports"]["inputs"][port]
    drag(editor.page, (out["x"], out["y"]), (inp["x"], inp["y"]))
    return editor.wait(f"s.edges.length === {count + 1}")


# -- building and running a graph by hand ---------------------------------------------------

def test_doughnut_built_by_hand_from_empty_canvas_runs_forward_and_backward(editor):
    editor.open(EMPTY)
    assert editor.snapshot()["nodes"] == []

    a = drop_from_palette(editor, "input", (110, 90))
    b = drop_from_palette(editor, "input", (110, 250))
    m1 = drop_from_palette(editor, "mul", (330, 160))
    c = drop_from_palette(editor, "input", (330, 330))
    m2 = drop_from_palette(editor, "mul", (560, 230))
    assert [n["op"] for n in editor.snapshot()["nodes"]] == ["input", "input", "mul", "input", "mul"]
    ox, oy = editor.canvas_origin()
    dropped = editor.node(m1["id"])["screen"]  # centred where it was dropped
    assert (dropped["cx"], dropped["cy"]) == (pytest.approx(ox + 330, abs=2), pytest.approx(oy + 160, abs=2))
    cam = editor.snapshot()["camera"]  # x, y are the node's top-left corner, in world coordinates
    assert editor.node(m1["id"])["x"] == pytest.approx((dropped["x"] - ox) / cam["scale"] - cam["offset"]["x"], abs=1)

    wire(editor, a["id"], m1["id"], 0)
    wire(editor, b["id"], m1["id"], 1)
    wire(editor, m1["id"], m2["id"], 0)
    s = wire(editor, c["id"], m2["id"], 1)
    assert {(e["source"], e["target"], e["port"]) for e in s["edges"]} == {
        (a["id"], m1["id"], 0), (b["id"], m1["id"], 1), (m1["id"], m2["id"], 0), (c["id"], m2["id"], 1)}

    editor.edit_value(a["id"], "100", label="doughnut")
    editor.edit_value(b["id"], "2")
    s = editor.edit_value(c["id"], "1.1")
    assert node(s, a["id"])["label"] == "doughnut"
    assert [node(s, n["id"])["value"] for n in (a, b, c)] == [100, 2, pytest.approx(1.1)]
    assert node(s, c["id"])["value_text"] == "1.1"

    s = editor.run("forward")
    assert node(s, m1["id"])["value"] == pytest.approx(200)
    assert node(s, m2["id"])["value"] == pytest.approx(220)
    assert node(s, m2["id"])["value_text"] == "220"
    assert edge(s, m1["id"], m2["id"], 0)["value"] == pytest.approx(200)

    s = editor.run("backward")
    assert node(s, m2["id"])["grad"] == pytest.approx(1)
    assert node(s, m1["id"])["grad"] == pytest.approx(1.1)
    assert node(s, a["id"])["grad"] == pytest.approx(2.2)
    assert node(s, b["id"])["grad"] == pytest.approx(110)
    assert node(s, c["id"])["grad"] == pytest.approx(200)
    assert edge(s, a["id"], m1["id"], 0)["grad_text"] == "2.2"
    assert editor.errors == []


def test_stepping_reveals_values_then_grads_one_node_at_a_time(editor):
    page = editor.open(DOUGHNUT).page
    s = editor.snapshot()
    assert (s["phase"], s["step"]) == ("idle", 0)
    assert all(e["value"] is None and e["grad"] is None for e in s["edges"])
    assert node(s, "doughnut")["value"] == 100  # an input always shows its own value
    assert node(s, "m1")["value"] is None

    revealed = 0
    for k in range(1, 6):
        s = editor.step("forward")
        assert (s["phase"], s["step"], s["total"]) == ("forward", k, 5)
        assert page.locator('[data-testid="step-counter"]').inner_text() == f"forward {k} / 5"
        now = sum(e["value"] is not None for e in s["edges"])
        assert now >= revealed
        revealed = now
        if k == 4:
            assert node(s, "m1")["value"] == pytest.approx(200)
            assert node(s, "m2")["value"] is None
            page.screenshot(path=str(DOCS / "screenshot-forward.png"))
    assert revealed == 4
    assert node(s, "m2")["value"] == pytest.approx(220)
    assert all(n["grad"] is None for n in s["nodes"])

    for k in range(1, 6):
        s = editor.step("backward")
        assert (s["phase"], s["step"]) == ("backward", k)
        grads = {n["id"]: n["grad"] for n in s["nodes"] if n["grad"] is not None}
        assert len(grads) == k
        if k == 1:
            assert grads == {"m2": pytest.approx(1)}
            # m2's step sends its gradient down m2's own incoming edges, and no others
            assert {e["source"]: e["grad"] for e in s["edges"] if e["grad"] is not None} == {
                "m1": pytest.approx(1.1), "tax": pytest.approx(200)}
        if k == 2:
            assert grads["m1"] == pytest.approx(1.1)
            assert edge(s, "doughnut", "m1", 0)["grad"] == pytest.approx(2.2)
            assert "2.2" in page.locator('[data-testid="explain-panel"]').inner_text()
            page.screenshot(path=str(DOCS / "screenshot-backward.png"))
    assert page.locator('[data-testid="step-counter"]').inner_text() == "backward 5 / 5"
    assert node(s, "tax")["grad"] == pytest.approx(200)
    assert node(s, "m2")["value"] == pytest.approx(220)  # values stay during backward

    s = editor.reset()
    assert all(e["value"] is None and e["grad"] is None for e in s["edges"])


READ_BOX = """([x, y, w, h]) => {
  const canvas = document.querySelector('canvas.layer-scene');
  const r = canvas.getBoundingClientRect();
  const k = canvas.width / r.width;   // devicePixelRatio, as the canvas was sized
  const px = Math.round((x - r.left) * k), py = Math.round((y - r.top) * k);
  const d = canvas.getContext('2d').getImageData(px, py, Math.max(1, Math.round(w * k)), Math.max(1, Math.round(h * k))).data;
  let dark = 0, gray = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] < 200) continue;
    const [r0, g0, b0] = [d[i], d[i + 1], d[i + 2]];
    const hi = Math.max(r0, g0, b0), lo = Math.min(r0, g0, b0);
    if (hi < 80) dark += 1;
    else if (hi - lo < 24 && lo >= 100 && hi <= 190) gray += 1;
  }
  return {dark, gray, k};
}"""


def test_canvas_writes_values_in_black_above_and_grads_in_gray_below_each_edge(editors):
    editor = editors(device_scale_factor=2).open(DOUGHNUT)
    page = editor.page
    s = editor.run("backward")  # completes the forward pass first
    assert s["dpr"] == 2
    for e in s["edges"]:
        mid, value, grad = e["mid"], e["labels"]["value"], e["labels"]["grad"]
        assert value["y"] + value["h"] <= mid["y"] + 1, e    # the value's box is above the middle
        assert grad["y"] >= mid["y"] - 1, e                  # the grad's box is below it
        # Above the midpoint: dark text. Below: gray text and no dark pixel at all.
        above = page.evaluate(READ_BOX, [value["x"], value["y"], value["w"], value["h"]])
        below = page.evaluate(READ_BOX, [grad["x"] + 1, grad["y"] + 1, grad["w"] - 2, grad["h"] - 2])
        assert above["k"] == 2
        assert above["dark"] > 20, (e, above)
        assert below["gray"] > 10 and below["dark"] == 0, (e, below)
    # After a reset the same places are blank: the pixels above were the value's text.
    boxes = [(e["labels"]["value"], e["labels"]["grad"]) for e in s["edges"]]
    s = editor.reset()
    assert all(e["labels"] == {"value": None, "grad": None} for e in s["edges"])
    for value, grad in boxes:
        for box in (value, grad):
            blank = page.evaluate(READ_BOX, [box["x"], box["y"], box["w"], box["h"]])
            assert blank["dark"] == 0 and blank["gray"] == 0, blank


def test_an_edit_and_a_step_in_one_page_appear_in_another(editors, live_server):
    graph_id = new_graph(live_server, DOUGHNUT)
    a, b = editors().open(graph_id), editors().open(graph_id)

    a.edit_value("doughnut", "50")
    s = b.wait("s.nodes.find(n => n.id === 'doughnut').value === 50")
    assert node(s, "doughnut")["value_text"] == "50"

    a.step("forward")
    s = b.settled("s.phase === 'forward' && s.step === 1")
    assert s["total"] == 5

    b.run("forward")
    s = a.settled("s.phase === 'forward' && s.step === 5")
    assert node(s, "m2")["value"] == pytest.approx(110)
    assert b.text("step-counter") == "forward 5 / 5"


def test_a_refused_wiring_shows_the_servers_message_and_changes_nothing(editor):
    doc = {"format": "gradcanvas", "version": 1, "title": "cycle",
           "nodes": [{"id": "a", "op": "input", "value": 3, "x": 60, "y": 100},
                     {"id": "m1", "op": "mul", "x": 260, "y": 100},
                     {"id": "m2", "op": "mul", "x": 460, "y": 100}],
           "edges": [{"source": "a", "target": "m1", "port": 0},
                     {"source": "m1", "target": "m2", "port": 0}]}
    page = editor.open(doc).page
    before = editor.snapshot()
    error = editor.testid("error-message")
    assert error.is_hidden()

    out = node(before, "m2")["ports"]["output"]
    into = node(before, "m1")["ports"]["inputs"][1]
    drag(page, (out["x"], out["y"]), (into["x"], into["y"]))  # m2 → m1 closes a loop
    error.wait_for(state="visible")
    assert "cycle" in error.inner_text()
    after = editor.converged()
    assert after["version"] == before["version"]
    assert after["edges"] == before["edges"]

    editor.click("error-dismiss")
    error.wait_for(state="hidden")


def test_clicking_an_edge_and_pressing_delete_disconnects_it(editor):
    page = editor.open(DOUGHNUT).page
    e = edge(editor.snapshot(), "tax", "m2", 1)
    page.mouse.click(e["mid"]["x"], e["mid"]["y"])
    editor.wait("s.selection.edge !== null")
    page.keyboard.press("Delete")
    s = editor.wait("s.edges.length === 3")
    assert not any(x["target"] == "m2" and x["port"] == 1 for x in s["edges"])
    assert node(s, "m2")["error"]  # its port 1 is now unwired


def test_box_selection_moves_nodes_together_and_delete_removes_them(editor):
    page = editor.open(DOUGHNUT).page
    s = editor.snapshot()
    d, c = node(s, "doughnut"), node(s, "count")
    left = min(d["screen"]["x"], c["screen"]["x"]) - 20
    top = d["screen"]["y"] - 20
    right = max(d["screen"]["x"] + d["screen"]["w"], c["screen"]["x"] + c["screen"]["w"]) + 10
    bottom = c["screen"]["y"] + c["screen"]["h"] + 10
    page.keyboard.down("Shift")
    drag(page, (left, top), (right, bottom))
    page.keyboard.up("Shift")
    s = editor.wait("s.selection.nodes.length === 2")
    assert set(s["selection"]["nodes"]) == {"doughnut", "count"}

    scale = s["camera"]["scale"]
    s = editor.move_node("doughnut", 60, 30)  # the selection moves with it, in one edit
    assert node(s, "doughnut")["x"] == pytest.approx(60 + 60 / scale, abs=2)
    assert node(s, "count")["x"] == pytest.approx(60 + 60 / scale, abs=2)
    assert node(s, "count")["y"] == pytest.approx(220 + 30 / scale, abs=2)

    editor.click("delete-selected")
    s = editor.wait("s.nodes.length === 3")
    assert {n["id"] for n in s["nodes"]} == {"m1", "tax", "m2"}


def test_double_click_on_empty_canvas_searches_ops_and_adds_one_there(editor):
    page = editor.open(EMPTY).page
    ox, oy = editor.canvas_origin()
    page.mouse.dblclick(ox + 300, oy + 200)
    search = editor.testid("node-search-input")
    search.wait_for()
    page.keyboard.type("sigm")
    options = page.locator('[data-testid="node-search"] li')
    assert options.count() == 1 and "Sigmoid" in options.inner_text()
    page.keyboard.press("Enter")
    s = editor.wait("s.nodes.length === 1")
    n = s["nodes"][0]
    assert n["op"] == "sigmoid"
    assert (n["screen"]["cx"], n["screen"]["cy"]) == (pytest.approx(ox + 300, abs=2), pytest.approx(oy + 200, abs=2))
    assert search.count() == 0


def test_escape_cancels_an_inline_edit_and_set_as_output_marks_the_node(editor):
    page = editor.open(DOUGHNUT).page
    before = editor.snapshot()
    n = node(before, "tax")
    page.mouse.dblclick(n["screen"]["cx"], n["screen"]["cy"])
    editor.testid("edit-value").wait_for()
    page.keyboard.type("999")
    page.keyboard.press("Escape")
    editor.testid("inline-editor").wait_for(state="detached")
    assert node(editor.snapshot(), "tax")["value"] == pytest.approx(1.1)

    m1 = node(before, "m1")
    page.mouse.click(m1["screen"]["cx"], m1["screen"]["cy"])
    editor.click("set-output")
    editor.wait("s.output === 'm1'")
    # The page's requests reach the server in order: had Escape sent the 999, it would have
    # landed before "set as output", and the graph would now be two versions on, not one.
    s = editor.converged()
    assert s["version"] == before["version"] + 1
    assert node(s, "tax")["value"] == pytest.approx(1.1)
    s = editor.run("backward")
    assert node(s, "m1")["grad"] == pytest.approx(1)
    assert node(s, "doughnut")["grad"] == pytest.approx(2)
    assert node(s, "m2")["grad"] is None


def test_wheel_zooms_around_the_cursor_and_dragging_the_background_pans(editor):
    page = editor.open(DOUGHNUT).page
    s = editor.snapshot()
    m1 = node(s, "m1")
    page.mouse.move(m1["screen"]["cx"], m1["screen"]["cy"])
    page.mouse.wheel(0, -300)
    s2 = editor.wait(f"s.camera.scale > {s['camera']['scale'] * 1.2}")
    after = node(s2, "m1")
    assert (after["screen"]["cx"], after["screen"]["cy"]) == (pytest.approx(m1["screen"]["cx"], abs=1),
                                                              pytest.approx(m1["screen"]["cy"], abs=1))
    assert after["screen"]["w"] > m1["screen"]["w"] * 1.2

    ox, oy = editor.canvas_origin()
    drag(page, (ox + 40, oy + 40), (ox + 140, oy + 90))
    s3 = editor.wait(f"Math.abs(s.nodes.find(n => n.id === 'm1').screen.cx - {after['screen']['cx'] + 100}) < 2")
    assert node(s3, "m1")["x"] == m1["x"]  # panning moves the view, not the node
    assert s3["version"] == s["version"]


def test_a_page_that_loses_its_connection_resyncs_when_it_comes_back(editors, live_server):
    graph_id = new_graph(live_server, DOUGHNUT)
    flaky, steady = editors().open(graph_id), editors().open(graph_id)
    flaky.page.context.set_offline(True)
    flaky.wait("!s.connected")
    assert flaky.text("connection-state") == "reconnecting…"
    assert steady.run("forward")["step"] == 5
    flaky.page.context.set_offline(False)
    s = flaky.wait("s.connected && s.phase === 'forward' && s.step === 5", timeout=30_000)
    assert node(s, "m2")["value"] == pytest.approx(220)
    assert flaky.text("connection-state") == "connected"
