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

from pages import DOUGHNUT, click, drag, new_graph, node, open_editor, snap, wait_snap

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The README's screenshots are refreshed only on request (GRADCANVAS_SCREENSHOTS=docs), so
# `make test` leaves the working tree clean; otherwise they go to a temporary folder.
DOCS = (Path(__file__).resolve().parent.parent / "docs" if os.environ.get("GRADCANVAS_SCREENSHOTS") == "docs"
        else Path(tempfile.mkdtemp(prefix="gradcanvas-shots-")))

EMPTY = {"format": "gradcanvas", "version": 1, "title": "t", "nodes": [], "edges": []}

# -- helpers ------------------------------------------------------------------------------

def settled(page, condition: str = "true", timeout: float = 10_000):
    """Wait for the condition with no step animation left to play."""
    return wait_snap(page, f"!s.animating && ({condition})", timeout)


def edge(s: dict, source: str, target: str, port: int) -> dict:
    return next(e for e in s["edges"] if (e["source"], e["target"], e["port"]) == (source, target, port))


def canvas_origin(page):
    box = page.locator('[data-testid="graph-canvas"]').bounding_box()
    return box["x"], box["y"]


def drop_from_palette(page, op: str, at):
    """Drag the palette entry for `op` to canvas point `at` (CSS px from the canvas corner)."""
    entry = page.locator(f'[data-testid="palette-{op}"]').bounding_box()
    ox, oy = canvas_origin(page)
    count = len(snap(page)["nodes"])
    drag(page, (entry["x"] + entry["width"] / 2, entry["y"] + entry["height"] / 2), (ox + at[0], oy + at[1]))
    return wait_snap(page, f"s.nodes.length === {count + 1}")["nodes"][-1]


def wire(page, source: str, target: str, port: int):
    s = snap(page)
    count = len(s["edges"])
    out = node(s, source)["ports"]["output"]
    inp = node(s, target)["ports"]["inputs"][port]
    drag(page, (out["x"], out["y"]), (inp["x"], inp["y"]))
    return wait_snap(page, f"s.edges.length === {count + 1}")


def edit_input(page, node_id: str, value: str, label: str | None = None):
    """Double-click an input node, type its value (and label), press Enter."""
    s = snap(page)
    n = node(s, node_id)
    page.mouse.dblclick(n["screen"]["cx"], n["screen"]["cy"])
    editor = page.locator('[data-testid="edit-value"]')
    editor.wait_for()
    page.keyboard.type(value)
    if label is not None:
        page.locator('[data-testid="edit-label"]').fill(label)
    page.keyboard.press("Enter")
    return wait_snap(page, f"s.version > {s['version']}")


# -- building and running a graph by hand ---------------------------------------------------

def test_doughnut_built_by_hand_from_empty_canvas_runs_forward_and_backward(page, live_server):
    errors = open_editor(page, live_server, new_graph(live_server, EMPTY))
    assert snap(page)["nodes"] == []

    a = drop_from_palette(page, "input", (110, 90))
    b = drop_from_palette(page, "input", (110, 250))
    m1 = drop_from_palette(page, "mul", (330, 160))
    c = drop_from_palette(page, "input", (330, 330))
    m2 = drop_from_palette(page, "mul", (560, 230))
    assert [n["op"] for n in snap(page)["nodes"]] == ["input", "input", "mul", "input", "mul"]
    ox, oy = canvas_origin(page)
    dropped = node(snap(page), m1["id"])["screen"]  # centred where it was dropped
    assert (dropped["cx"], dropped["cy"]) == (pytest.approx(ox + 330, abs=2), pytest.approx(oy + 160, abs=2))
    cam = snap(page)["camera"]  # x, y are the node's top-left corner, in world coordinates
    assert node(snap(page), m1["id"])["x"] == pytest.approx((dropped["x"] - ox) / cam["scale"] - cam["offset"]["x"], abs=1)

    wire(page, a["id"], m1["id"], 0)
    wire(page, b["id"], m1["id"], 1)
    wire(page, m1["id"], m2["id"], 0)
    s = wire(page, c["id"], m2["id"], 1)
    assert {(e["source"], e["target"], e["port"]) for e in s["edges"]} == {
        (a["id"], m1["id"], 0), (b["id"], m1["id"], 1), (m1["id"], m2["id"], 0), (c["id"], m2["id"], 1)}

    edit_input(page, a["id"], "100", label="doughnut")
    edit_input(page, b["id"], "2")
    s = edit_input(page, c["id"], "1.1")
    assert node(s, a["id"])["label"] == "doughnut"
    assert [node(s, n["id"])["value"] for n in (a, b, c)] == [100, 2, pytest.approx(1.1)]
    assert node(s, c["id"])["value_text"] == "1.1"

    click(page, "run-forward")
    s = settled(page, "s.phase === 'forward' && s.step === s.total")
    assert node(s, m1["id"])["value"] == pytest.approx(200)
    assert node(s, m2["id"])["value"] == pytest.approx(220)
    assert node(s, m2["id"])["value_text"] == "220"
    assert edge(s, m1["id"], m2["id"], 0)["value"] == pytest.approx(200)

    click(page, "run-backward")
    s = settled(page, "s.phase === 'backward' && s.step === s.total")
    assert node(s, m2["id"])["grad"] == pytest.approx(1)
    assert node(s, m1["id"])["grad"] == pytest.approx(1.1)
    assert node(s, a["id"])["grad"] == pytest.approx(2.2)
    assert node(s, b["id"])["grad"] == pytest.approx(110)
    assert node(s, c["id"])["grad"] == pytest.approx(200)
    assert edge(s, a["id"], m1["id"], 0)["grad_text"] == "2.2"
    assert errors == []


def test_stepping_reveals_values_then_grads_one_node_at_a_time(page, live_server):
    open_editor(page, live_server, new_graph(live_server, DOUGHNUT))
    s = snap(page)
    assert (s["phase"], s["step"]) == ("idle", 0)
    assert all(e["value"] is None and e["grad"] is None for e in s["edges"])
    assert node(s, "doughnut")["value"] == 100  # an input always shows its own value
    assert node(s, "m1")["value"] is None

    revealed = 0
    for k in range(1, 6):
        click(page, "step-forward")
        s = settled(page, f"s.phase === 'forward' && s.step === {k}")
        assert s["total"] == 5
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
        click(page, "step-backward")
        s = settled(page, f"s.phase === 'backward' && s.step === {k}")
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

    click(page, "reset")
    s = settled(page, "s.phase === 'idle'")
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


def test_canvas_writes_values_in_black_above_and_grads_in_gray_below_each_edge(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, device_scale_factor=2)
    page = context.new_page()
    try:
        open_editor(page, live_server, new_graph(live_server, DOUGHNUT))
        click(page, "run-backward")  # completes the forward pass first
        s = settled(page, "s.phase === 'backward' && s.step === s.total")
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
        click(page, "reset")
        s = settled(page, "s.phase === 'idle'")
        assert all(e["labels"] == {"value": None, "grad": None} for e in s["edges"])
        for value, grad in boxes:
            for box in (value, grad):
                blank = page.evaluate(READ_BOX, [box["x"], box["y"], box["w"], box["h"]])
                assert blank["dark"] == 0 and blank["gray"] == 0, blank
    finally:
        context.close()


def test_an_edit_and_a_step_in_one_page_appear_in_another(browser, live_server):
    graph_id = new_graph(live_server, DOUGHNUT)
    one, two = browser.new_context(), browser.new_context()
    try:
        a, b = one.new_page(), two.new_page()
        open_editor(a, live_server, graph_id)
        open_editor(b, live_server, graph_id)

        edit_input(a, "doughnut", "50")
        s = wait_snap(b, "s.nodes.find(n => n.id === 'doughnut').value === 50")
        assert node(s, "doughnut")["value_text"] == "50"

        click(a, "step-forward")
        s = settled(b, "s.phase === 'forward' && s.step === 1")
        assert s["total"] == 5

        click(b, "run-forward")
        s = settled(a, "s.phase === 'forward' && s.step === 5")
        assert node(s, "m2")["value"] == pytest.approx(110)
        assert b.locator('[data-testid="step-counter"]').inner_text() == "forward 5 / 5"
    finally:
        one.close()
        two.close()


def test_a_refused_wiring_shows_the_servers_message_and_changes_nothing(page, live_server):
    doc = {"format": "gradcanvas", "version": 1, "title": "cycle",
           "nodes": [{"id": "a", "op": "input", "value": 3, "x": 60, "y": 100},
                     {"id": "m1", "op": "mul", "x": 260, "y": 100},
                     {"id": "m2", "op": "mul", "x": 460, "y": 100}],
           "edges": [{"source": "a", "target": "m1", "port": 0},
                     {"source": "m1", "target": "m2", "port": 0}]}
    open_editor(page, live_server, new_graph(live_server, doc))
    before = snap(page)
    error = page.locator('[data-testid="error-message"]')
    assert error.is_hidden()

    out = node(before, "m2")["ports"]["output"]
    into = node(before, "m1")["ports"]["inputs"][1]
    drag(page, (out["x"], out["y"]), (into["x"], into["y"]))  # m2 → m1 closes a loop
    error.wait_for(state="visible")
    assert "cycle" in error.inner_text()
    after = snap(page)
    assert after["version"] == before["version"]
    assert after["edges"] == before["edges"]

    page.locator('[data-testid="error-dismiss"]').click()
    error.wait_for(state="hidden")


def test_clicking_an_edge_and_pressing_delete_disconnects_it(page, live_server):
    open_editor(page, live_server, new_graph(live_server, DOUGHNUT))
    e = edge(snap(page), "tax", "m2", 1)
    ox, oy = e["mid"]["x"], e["mid"]["y"]
    page.mouse.click(ox, oy)
    wait_snap(page, "s.selection.edge !== null")
    page.keyboard.press("Delete")
    s = wait_snap(page, "s.edges.length === 3")
    assert not any(x["target"] == "m2" and x["port"] == 1 for x in s["edges"])
    assert node(s, "m2")["error"]  # its port 1 is now unwired


def test_box_selection_moves_nodes_together_and_delete_removes_them(page, live_server):
    open_editor(page, live_server, new_graph(live_server, DOUGHNUT))
    s = snap(page)
    d, c = node(s, "doughnut"), node(s, "count")
    left = min(d["screen"]["x"], c["screen"]["x"]) - 20
    top = d["screen"]["y"] - 20
    right = max(d["screen"]["x"] + d["screen"]["w"], c["screen"]["x"] + c["screen"]["w"]) + 10
    bottom = c["screen"]["y"] + c["screen"]["h"] + 10
    page.keyboard.down("Shift")
    drag(page, (left, top), (right, bottom))
    page.keyboard.up("Shift")
    s = wait_snap(page, "s.selection.nodes.length === 2")
    assert set(s["selection"]["nodes"]) == {"doughnut", "count"}

    scale = s["camera"]["scale"]
    drag(page, (d["screen"]["cx"], d["screen"]["cy"]), (d["screen"]["cx"] + 60, d["screen"]["cy"] + 30))
    s = wait_snap(page, f"s.version > {s['version']}")
    assert node(s, "doughnut")["x"] == pytest.approx(60 + 60 / scale, abs=2)
    assert node(s, "count")["x"] == pytest.approx(60 + 60 / scale, abs=2)
    assert node(s, "count")["y"] == pytest.approx(220 + 30 / scale, abs=2)

    click(page, "delete-selected")
    s = wait_snap(page, "s.nodes.length === 3")
    assert {n["id"] for n in s["nodes"]} == {"m1", "tax", "m2"}


def test_double_click_on_empty_canvas_searches_ops_and_adds_one_there(page, live_server):
    open_editor(page, live_server, new_graph(live_server, EMPTY))
    ox, oy = canvas_origin(page)
    page.mouse.dblclick(ox + 300, oy + 200)
    search = page.locator('[data-testid="node-search-input"]')
    search.wait_for()
    page.keyboard.type("sigm")
    options = page.locator('[data-testid="node-search"] li')
    assert options.count() == 1 and "Sigmoid" in options.inner_text()
    page.keyboard.press("Enter")
    s = wait_snap(page, "s.nodes.length === 1")
    n = s["nodes"][0]
    assert n["op"] == "sigmoid"
    assert (n["screen"]["cx"], n["screen"]["cy"]) == (pytest.approx(ox + 300, abs=2), pytest.approx(oy + 200, abs=2))
    assert search.count() == 0


def test_escape_cancels_an_inline_edit_and_set_as_output_marks_the_node(page, live_server):
    open_editor(page, live_server, new_graph(live_server, DOUGHNUT))
    s = snap(page)
    n = node(s, "tax")
    page.mouse.dblclick(n["screen"]["cx"], n["screen"]["cy"])
    page.locator('[data-testid="edit-value"]').wait_for()
    page.keyboard.type("999")
    page.keyboard.press("Escape")
    page.locator('[data-testid="inline-editor"]').wait_for(state="detached")
    page.wait_for_timeout(300)
    assert snap(page)["version"] == s["version"]
    assert node(snap(page), "tax")["value"] == pytest.approx(1.1)

    m1 = node(s, "m1")
    page.mouse.click(m1["screen"]["cx"], m1["screen"]["cy"])
    click(page, "set-output")
    s = wait_snap(page, "s.output === 'm1'")
    click(page, "run-backward")
    s = settled(page, "s.phase === 'backward' && s.step === s.total")
    assert node(s, "m1")["grad"] == pytest.approx(1)
    assert node(s, "doughnut")["grad"] == pytest.approx(2)
    assert node(s, "m2")["grad"] is None


def test_wheel_zooms_around_the_cursor_and_dragging_the_background_pans(page, live_server):
    open_editor(page, live_server, new_graph(live_server, DOUGHNUT))
    s = snap(page)
    m1 = node(s, "m1")
    page.mouse.move(m1["screen"]["cx"], m1["screen"]["cy"])
    page.mouse.wheel(0, -300)
    s2 = wait_snap(page, f"s.camera.scale > {s['camera']['scale'] * 1.2}")
    after = node(s2, "m1")
    assert (after["screen"]["cx"], after["screen"]["cy"]) == (pytest.approx(m1["screen"]["cx"], abs=1),
                                                              pytest.approx(m1["screen"]["cy"], abs=1))
    assert after["screen"]["w"] > m1["screen"]["w"] * 1.2

    ox, oy = canvas_origin(page)
    drag(page, (ox + 40, oy + 40), (ox + 140, oy + 90))
    s3 = wait_snap(page, f"Math.abs(s.nodes.find(n => n.id === 'm1').screen.cx - {after['screen']['cx'] + 100}) < 2")
    assert node(s3, "m1")["x"] == m1["x"]  # panning moves the view, not the node
    assert s3["version"] == s["version"]


def test_a_page_that_loses_its_connection_resyncs_when_it_comes_back(browser, live_server):
    graph_id = new_graph(live_server, DOUGHNUT)
    flaky, steady = browser.new_context(), browser.new_context()
    try:
        a, b = flaky.new_page(), steady.new_page()
        open_editor(a, live_server, graph_id)
        open_editor(b, live_server, graph_id)
        flaky.set_offline(True)
        wait_snap(a, "!s.connected")
        assert a.locator('[data-testid="connection-state"]').inner_text() == "reconnecting…"
        click(b, "run-forward")
        settled(b, "s.step === 5")
        flaky.set_offline(False)
        s = wait_snap(a, "s.connected && s.phase === 'forward' && s.step === 5", timeout=30_000)
        assert node(s, "m2")["value"] == pytest.approx(220)
        assert a.locator('[data-testid="connection-state"]').inner_text() == "connected"
    finally:
        flaky.close()
        steady.close()
