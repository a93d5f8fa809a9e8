"""Panning a big graph copies a bitmap (static/js/pancache.js, issue 15): the frame it
shows is the frame a direct draw of the same view would show, and a change of the scene
draws directly again. The cache is switched on for every pan here (``panCache.always``),
so the test does not depend on how fast this machine draws."""
from __future__ import annotations

import pytest

from pages import DOUGHNUT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOT = "/tmp/pancache-after-pan.png"
FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def drag_background(page, dx: int, dy: int):
    """Drag on empty canvas (near its top-right corner, away from the fitted graph): a pan."""
    box = page.locator('[data-testid="graph-canvas"]').bounding_box()
    x, y = box["x"] + box["width"] - 150, box["y"] + 60
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, 9):
        page.mouse.move(x + dx * k / 8, y + dy * k / 8)
    page.mouse.up()
    page.evaluate(FRAME)  # the loop has drawn the last move


def test_a_cached_pan_shows_what_a_direct_draw_shows_and_an_edit_draws_directly(editor):
    page = editor.open(DOUGHNUT).page
    editor.run("forward")  # values on the edges: text in the bitmap too
    page.evaluate("window.gradcanvas.panCache.always(true)")
    before = editor.snapshot()["nodes"][0]["screen"]
    drag_background(page, 88, -40)  # whole pixels each move: the bitmap lands exactly
    after = editor.snapshot()["nodes"][0]["screen"]
    assert (round(after["x"] - before["x"]), round(after["y"] - before["y"])) == (88, -40)
    page.screenshot(path=SHOT)
    result = page.evaluate("window.gradcanvas.panCache.compare()")
    assert result["cached"] is True  # the frame on screen was copied from the bitmap
    assert result["inked"] > 5000    # and the graph is on it
    assert result["differing"] <= 0.002 * result["inked"], result
    # A change of the scene is drawn directly, not copied.
    drag_background(page, 32, 8)
    assert page.evaluate("window.gradcanvas.panCache.compare()")["cached"] is True
    editor.run("backward")
    page.evaluate(FRAME)
    assert page.evaluate("window.gradcanvas.panCache.compare()")["cached"] is False
