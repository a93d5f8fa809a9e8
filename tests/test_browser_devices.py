"""Every device and every hand (issue 14), in headless Chromium with device emulation: a
touch phone (390×844, portrait and landscape), a touch tablet (1024×768) and a desktop
(1280×720). The layout is measured (the canvas's share of the screen, the header's one
row), the numbers' legibility read from the snapshot (label boxes on the canvas, at a
legible size) and the scene canvas's pixels, and touches are real touch events
(Chrome DevTools' Input.dispatchTouchEvent, what Playwright's tap() uses), so they
arrive as Pointer Events of type "touch".
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from pages import DOUGHNUT, node, server_version

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# docs/phone.png and docs/tablet.png are refreshed only on request (GRADCANVAS_SCREENSHOTS=docs),
# as in test_browser_editor.py; every other screenshot, to look at, goes to a temporary folder.
SHOTS = Path(tempfile.mkdtemp(prefix="gradcanvas-devices-"))
DOCS = Path(__file__).resolve().parent.parent / "docs" if os.environ.get("GRADCANVAS_SCREENSHOTS") == "docs" else SHOTS

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
LANDSCAPE = {"viewport": {"width": 844, "height": 390}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 720}}

LEGIBLE_PX = 9  # the least CSS font size of an edge's number that we call legible

# the doughnut graph with tax's output free, to wire by touch
UNWIRED = {**DOUGHNUT, "edges": DOUGHNUT["edges"][:3]}


# -- helpers ------------------------------------------------------------------------------------

class Touch:
    """Real touches through the DevTools protocol: each finger a (x, y) in page CSS px."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)

    def send(self, kind: str, points):
        self.cdp.send("Input.dispatchTouchEvent", {
            "type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})

    def drag(self, start, end, steps: int = 8):
        """One finger from start to end; the first move is sideways (a palette item scrolls on a vertical one)."""
        self.send("touchStart", [start])
        for i in range(1, steps + 1):
            self.send("touchMove", [(start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)])
        self.send("touchEnd", [])

    def pinch(self, centre, start_gap: float, end_gap: float, steps: int = 8):
        """Two fingers either side of `centre`, from start_gap apart to end_gap apart."""
        cx, cy = centre
        def at(gap): return [(cx - gap / 2, cy), (cx + gap / 2, cy)]
        self.send("touchStart", at(start_gap))
        for i in range(1, steps + 1):
            self.send("touchMove", at(start_gap + (end_gap - start_gap) * i / steps))
        self.send("touchEnd", [])


def canvas_box(editor) -> dict:
    return editor.testid("graph-canvas").bounding_box()


def inside(box: dict, area: dict) -> bool:
    return (box["x"] >= area["x"] - 0.5 and box["y"] >= area["y"] - 0.5
            and box["x"] + box["w"] <= area["x"] + area["width"] + 0.5 and box["y"] + box["h"] <= area["y"] + area["height"] + 0.5)


def assert_numbers_legible(editor, s: dict):
    """Every edge's revealed numbers lie on the canvas, at a legible size (the grad's 13 px font is the smaller)."""
    area = canvas_box(editor)
    assert s["camera"]["scale"] * 13 >= LEGIBLE_PX, s["camera"]
    shown = [b for e in s["edges"] for b in e["labels"].values() if b]
    assert shown, "no number revealed"
    for b in shown:
        assert inside(b, area), (b, area)
        assert b["h"] >= 15 * LEGIBLE_PX / 13 - 0.01, b


HEADER_ROWS = """() => {
  const header = document.querySelector('.topbar');
  const shown = [...header.children].filter((e) => getComputedStyle(e).display !== 'none' && e.getClientRects().length)
    .map((e) => e.getBoundingClientRect()).filter((b) => b.width > 0 && b.height > 0);
  return {height: header.getBoundingClientRect().height, tops: shown.map((b) => b.top), bottoms: shown.map((b) => b.bottom),
          count: shown.length};
}"""

DARK_IN_SCENE = """([x, y, w, h]) => {
  const c = document.querySelector('.layer-scene');
  const r = c.getBoundingClientRect(), k = c.width / r.width;
  const d = c.getContext('2d').getImageData(Math.round((x - r.left) * k), Math.round((y - r.top) * k),
                                            Math.max(1, Math.round(w * k)), Math.max(1, Math.round(h * k))).data;
  let dark = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && d[i] < 90 && d[i + 1] < 90 && d[i + 2] < 90) dark++;
  return dark;
}"""


def tap_step(editor, direction: str):
    """Tap a step button and wait until its step has played."""
    before = editor.snapshot()
    editor.testid(f"step-{direction}").tap()
    return editor.settled(f"s.phase === '{direction}' && !(s.phase === '{before['phase']}' && s.step === {before['step']})")


# -- phone, portrait -----------------------------------------------------------------------------

def test_a_phone_shows_the_doughnut_with_its_numbers_after_fit_and_a_student_taps_through_it(editors):
    editor = editors(**PHONE).open(DOUGHNUT, state="attached")  # the palette is in a closed drawer
    page = editor.page
    area = canvas_box(editor)
    assert area["width"] * area["height"] >= 0.6 * 390 * 844, area
    # the drawers are closed, and do not cover the canvas
    for drawer in ("#palette-drawer", "#panels-drawer"):
        assert not page.locator(drawer).is_visible()

    editor.testid("fit-view").tap()
    for _ in range(5):
        s = tap_step(editor, "forward")
    assert (s["phase"], s["step"], s["total"]) == ("forward", 5, 5)
    assert_numbers_legible(editor, s)
    assert {e["labels"]["value"] is not None for e in s["edges"]} == {True}
    for _ in range(5):
        s = tap_step(editor, "backward")
    assert (s["phase"], s["step"]) == ("backward", 5)
    assert node(s, "doughnut")["grad_text"] == "2.2"
    editor.testid("fit-view").tap()
    s = editor.snapshot()
    assert_numbers_legible(editor, s)
    assert all(e["labels"]["grad"] is not None for e in s["edges"])

    # the explanation is a drawer: opened, it shows the step; closed, the canvas is whole again
    editor.testid("open-panels").tap()
    panel = editor.testid("explain-panel")
    panel.wait_for(state="visible")
    assert "doughnut" in panel.inner_text()
    page.screenshot(path=str(SHOTS / "phone-explain.png"))
    editor.testid("close-panels").tap()
    panel.wait_for(state="hidden")
    page.screenshot(path=str(DOCS / "phone.png"))
    assert editor.errors == []


def test_the_phone_header_keeps_every_control_behind_more(editors):
    editor = editors(**PHONE).open(DOUGHNUT, state="attached")
    rows = editor.page.evaluate(HEADER_ROWS)
    assert max(rows["tops"]) < min(rows["bottoms"]), rows  # one row
    for hidden in ("examples-menu", "export-menu", "formula-input", "language"):
        assert not editor.testid(hidden).is_visible()
    editor.testid("header-more").tap()
    for shown in ("examples-menu", "export-menu", "open-file", "share", "formula-input", "language", "labels"):
        assert editor.testid(shown).is_visible(), shown
    editor.testid("examples-menu").tap()
    panel = editor.testid("examples-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 390  # the menu fits the phone
    assert editor.errors == []


# -- landscape phone --------------------------------------------------------------------------------

def test_a_landscape_phone_draws_the_numbers_and_undo_takes_a_small_corner(editors):
    editor = editors(**LANDSCAPE).open(DOUGHNUT, state="attached")
    page = editor.page
    editor.testid("fit-view").tap()
    s = editor.run("forward")
    assert_numbers_legible(editor, s)
    for e in s["edges"]:  # the text is drawn: dark pixels in each value's box on the scene layer
        b = e["labels"]["value"]
        assert page.evaluate(DARK_IN_SCENE, [b["x"], b["y"], b["w"], b["h"]]) > 10, e
    area = canvas_box(editor)
    undo = page.locator(".collab-edit").bounding_box()
    assert undo["width"] * undo["height"] < 0.05 * area["width"] * area["height"], (undo, area)
    page.screenshot(path=str(SHOTS / "phone-landscape.png"))
    assert editor.errors == []


# -- tablet and desktop -------------------------------------------------------------------------------

@pytest.mark.parametrize("device, shot", [(TABLET, "tablet.png"), (DESKTOP, "desktop.png")])  # desktop: to look at
def test_the_header_is_one_row_and_the_numbers_legible_after_fit(editors, device, shot):
    editor = editors(**device).open(DOUGHNUT, state="attached")
    page = editor.page
    rows = page.evaluate(HEADER_ROWS)
    assert rows["count"] >= 6 and max(rows["tops"]) < min(rows["bottoms"]), rows
    assert rows["height"] <= 52, rows
    # the step controls are one bar too
    steps = page.evaluate("""() => [...document.querySelectorAll('.steps > *')].filter((e) => e.getClientRects().length)
                             .map((e) => e.getBoundingClientRect().top)""")
    assert max(steps) - min(steps) < 12, steps
    (editor.testid("fit-view").tap if device.get("has_touch") else editor.testid("fit-view").click)()
    s = editor.run("backward")
    assert_numbers_legible(editor, s)
    area = canvas_box(editor)
    assert area["width"] * area["height"] > 0.5 * device["viewport"]["width"] * device["viewport"]["height"]
    page.screenshot(path=str((DOCS if device is TABLET else SHOTS) / shot))
    assert editor.errors == []


# -- touch: placing, wiring, pinching ------------------------------------------------------------------

def test_tap_to_place_makes_a_visible_node_and_a_drop_under_a_drawer_makes_none(editors, live_server):
    editor = editors(**PHONE).open(DOUGHNUT, state="attached")
    page = editor.page
    area = canvas_box(editor)
    before = editor.snapshot()

    editor.testid("open-palette").tap()
    editor.testid("palette-add").tap()
    editor.testid("place-hint").wait_for()
    assert not page.locator("#palette-drawer").is_visible()  # out of the way of the tap to come
    at = (area["x"] + 300, area["y"] + 120)
    page.touchscreen.tap(*at)
    s = editor.wait(f"s.nodes.length === {len(before['nodes']) + 1}")
    made = s["nodes"][-1]
    assert made["op"] == "add"
    assert (made["screen"]["cx"], made["screen"]["cy"]) == (pytest.approx(at[0], abs=2), pytest.approx(at[1], abs=2))
    assert inside({"x": made["screen"]["x"], "y": made["screen"]["y"], "w": made["screen"]["w"], "h": made["screen"]["h"]}, area)
    assert editor.testid("place-hint").count() == 0

    # a touch drag from the palette, let go over the canvas but under the open drawer: refused, nothing sent
    editor.testid("open-palette").tap()
    item = editor.testid("palette-mul").bounding_box()
    start = (item["x"] + 30, item["y"] + item["height"] / 2)
    drawer = page.locator("#palette-drawer").bounding_box()
    touch = Touch(page)
    touch.drag(start, (drawer["x"] + drawer["width"] - 20, start[1] + 10))
    message = editor.testid("error-message")
    message.wait_for()
    assert "where the canvas shows" in message.inner_text()
    s = editor.converged()
    assert len(s["nodes"]) == len(before["nodes"]) + 1 and s["version"] == server_version(live_server, s["graph_id"])
    # the same drag let go on the canvas beside the drawer adds it there
    end = (drawer["x"] + drawer["width"] + 60, start[1] + 10)
    touch.drag(start, end)
    s = editor.wait(f"s.nodes.length === {len(before['nodes']) + 2}")
    made = s["nodes"][-1]
    assert made["op"] == "mul" and made["screen"]["cx"] == pytest.approx(end[0], abs=2)
    assert editor.errors == []


def test_a_touch_press_near_a_port_starts_a_wire_and_pinch_zooms(editors):
    editor = editors(**TABLET).open(UNWIRED, state="attached")
    s = editor.snapshot()
    tax, m2 = node(s, "tax"), node(s, "m2")
    port = tax["ports"]["output"]
    touch = Touch(editor.page)
    # 12 px inside the node's right edge: a wire, not a move
    touch.drag((port["x"] - 12, port["y"]), (m2["ports"]["inputs"][1]["x"], m2["ports"]["inputs"][1]["y"]))
    s = editor.wait("s.edges.length === 4")
    assert {(e["source"], e["target"], e["port"]) for e in s["edges"]} >= {("tax", "m2", 1)}
    assert (node(s, "tax")["x"], node(s, "tax")["y"]) == (tax["x"], tax["y"])

    # two fingers apart: zoom in about their middle; one finger on the background: pan
    area = canvas_box(editor)
    centre = (area["x"] + area["width"] / 2, area["y"] + area["height"] - 60)
    scale = s["camera"]["scale"]
    touch.pinch(centre, 100, 200)
    s = editor.wait(f"s.camera.scale > {scale} * 1.5")
    assert s["camera"]["scale"] == pytest.approx(min(4, scale * 2), rel=0.1)
    offset = s["camera"]["offset"]
    touch.drag(centre, (centre[0] - 80, centre[1] - 40))
    s = editor.wait(f"s.camera.offset.x !== {offset['x']}")
    assert s["camera"]["offset"]["x"] * s["camera"]["scale"] == pytest.approx(offset["x"] * s["camera"]["scale"] - 80, abs=3)
    assert editor.errors == []


# -- the smaller defects -----------------------------------------------------------------------------

def test_a_placed_input_asks_for_its_name_and_value(editor):
    editor.open(DOUGHNUT)
    before = editor.snapshot()
    editor.testid("palette-input").click()
    name = editor.testid("edit-label")
    name.wait_for()
    assert editor.page.evaluate("document.activeElement.dataset.testid") == "edit-label"  # the name first
    made = editor.wait(f"s.nodes.length === {len(before['nodes']) + 1}")["nodes"][-1]
    assert made["id"] not in ("w", "b")  # no name that reads as a weight or a bias
    editor.page.keyboard.type("apple")
    editor.testid("edit-value").fill("150")
    editor.page.keyboard.press("Enter")
    s = editor.wait(f"s.nodes.some(n => n.id === '{made['id']}' && n.label === 'apple' && n.value === 150)")
    assert node(s, made["id"])["value_text"] == "150"
    assert editor.errors == []


def test_the_node_search_near_the_bottom_edge_stays_on_screen_and_icons_differ(editor):
    page = editor.open(DOUGHNUT).page
    area = canvas_box(editor)
    page.mouse.dblclick(area["x"] + area["width"] - 10, area["y"] + area["height"] - 10)
    search = editor.testid("node-search")
    search.wait_for()
    box = search.bounding_box()
    assert inside({"x": box["x"], "y": box["y"], "w": box["width"], "h": box["height"]}, area), (box, area)
    icon = lambda op: page.inner_text(f'[data-testid="palette-{op}"] .palette-symbol')  # noqa: E731
    assert icon("sub") != icon("neg")
    assert len({icon(op) for op in ("add", "sub", "mul", "div", "neg")}) == 5
    assert editor.errors == []
