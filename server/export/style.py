"""The figure's look, shared by the SVG exporter and mirrored from the canvas.

These numbers are the canvas renderer's (static/js/geometry.js and renderer.js);
tests/test_export_svg.py reads them out of the JS and fails if the two drift,
so an exported SVG draws what the editor shows.
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

OP_RADIUS = 26
INPUT_H = 52
INPUT_MIN_W = 84
STUB = 80
PORT_ANGLE = math.radians(38)
SIBLING_GAP = 64
VALUE_H, GRAD_H, ARROW_GAP, ARROW_HALF = 16, 15, 7, 12

FONT_FAMILY = "'Noto Sans CJK KR', 'Noto Sans', system-ui, sans-serif"
COLORS = {
    "ink": "#111", "value": "#111", "grad": "#8a8a8a", "edge": "#222", "muted": "#777",
    "error": "#c62828", "current": "rgba(255, 196, 0, 0.38)", "paper": "#fff", "port": "#999",
}
# (weight, size) of each text, as the canvas sets ctx.font
INPUT_NAME = (600, 14)
INPUT_VALUE = (400, 13)
VALUE = (500, 14)
GRAD = (400, 13)
LABEL = (400, 12)

FONT_FILES = {"regular": "NotoSansCJK-Regular.ttc", "bold": "NotoSansCJK-Bold.ttc"}
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto")


def symbol_font(sym: str) -> tuple[int, int]:
    size = 22 if len(sym) <= 1 else 15 if len(sym) <= 3 else 12
    return (400 if len(sym) <= 1 else 600, size)


@lru_cache(maxsize=None)
def _font(weight: int, size: int):
    """Noto Sans CJK KR at this size, as Chromium picks it (≥ 600 is bold), or None."""
    try:
        from PIL import ImageFont
    except ImportError:
        return None
    name = FONT_FILES["bold" if weight >= 600 else "regular"]
    for folder in FONT_DIRS:
        path = Path(folder) / name
        if not path.exists():
            continue
        for index in range(10):
            try:
                font = ImageFont.truetype(str(path), size, index=index)
            except OSError:
                break
            if font.getname()[0].endswith("CJK KR"):
                return font
    return None


@lru_cache(maxsize=20000)
def text_width(text: str, weight: int, size: int) -> float:
    """The advance width of ``text`` as the canvas measures it, in world pixels."""
    text = "".join(" " if ch < " " else ch for ch in text)  # canvas draws control characters as spaces
    font = _font(weight, size)
    if font is not None:
        try:
            return float(font.getlength(text))
        except (RuntimeError, ValueError):
            pass  # a string the shaper refuses: fall back to the estimate
    return 0.6 * size * len(text)  # no font installed: an estimate, so the layout still holds
