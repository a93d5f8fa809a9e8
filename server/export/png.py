"""PNG from the server side: the SVG rasterised by headless Chromium, the document embedded.

Chromium rather than an SVG library: it is the engine that draws the editor's
canvas, with the same fonts and text shaping, so the PNG matches what the user
saw (cairosvg, the alternative, shapes text differently and has no canvas to
agree with). Debian's chromium is found at GRADCANVAS_CHROMIUM or /usr/bin/chromium.
"""
from __future__ import annotations

import os
import re

from ..engine.document import GraphError, GraphTooLarge
from .embed import png_with_document
from .svg import render as render_svg

MAX_PIXELS = 40_000_000  # about 160 MB of RGBA in Chromium, and as much again to encode it

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str:
    return os.environ.get("GRADCANVAS_CHROMIUM", "/usr/bin/chromium")


def svg_size(svg_text: str) -> tuple[float, float]:
    m = re.search(r'width="([\d.]+)" height="([\d.]+)"', svg_text)
    return (float(m.group(1)), float(m.group(2))) if m else (800.0, 600.0)


def rasterise(svg_text: str, scale: float, transparent: bool) -> bytes:
    """The SVG as a PNG at 2 × scale device pixels."""
    return rasterise_pages([svg_text], svg_size(svg_text), scale, transparent, "svg")[0]


def rasterise_pages(bodies: list[str], size: tuple[float, float], scale: float, transparent: bool,
                    selector: str) -> list[bytes]:
    """Each HTML body's ``selector`` element as a PNG, all in one Chromium page (an animation's
    frames: launching Chromium takes longer than drawing a frame). ``size`` is the CSS size of
    the viewport. Run in its own thread: Playwright's sync API refuses a thread with an asyncio loop."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_rasterise, bodies, size, scale, transparent, selector).result()


def _rasterise(bodies, size, scale, transparent, selector) -> list[bytes]:
    try:
        from playwright.sync_api import Error as PlaywrightError, sync_playwright
    except ImportError:
        raise GraphError("PNG export needs the 'playwright' package (pip install playwright)") from None
    if not os.path.exists(chromium_path()):
        raise GraphError(f"PNG export needs Chromium at {chromium_path()} (Debian: apt-get install chromium)")
    w, h = size
    pixels = w * h * (2 * scale) ** 2
    if pixels > MAX_PIXELS:  # refused before Chromium allocates any of it
        raise GraphTooLarge(f"the PNG would be {int(w * 2 * scale):,} × {int(h * 2 * scale):,} pixels, more than "
                            f"{MAX_PIXELS / 1e6:.0f} million; lower the scale, tidy the graph, or export SVG")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": max(1, int(w + 0.999)), "height": max(1, int(h + 0.999))},
                                        device_scale_factor=2 * scale)
                shots = []
                for body in bodies:
                    page.set_content("<!doctype html><html><body style='margin:0;background:transparent'>"
                                     f"{body}</body></html>")
                    page.evaluate("document.fonts.ready")
                    shots.append(page.locator(selector).screenshot(omit_background=transparent, timeout=60_000))
                return shots
            finally:
                browser.close()
    except PlaywrightError as err:
        raise GraphError(f"PNG export failed in Chromium: {err.message.splitlines()[0]}") from None


def render(fig) -> bytes:
    # The SVG is drawn at scale 1 and Chromium scales pixels: 2× device pixels, like the editor's toBlob.
    from dataclasses import replace
    svg_text = render_svg(replace(fig, options=replace(fig.options, scale=1.0)), fig.current)
    png = rasterise(svg_text, fig.options.scale, fig.options.background == "transparent")
    return png_with_document(png, fig.document)
