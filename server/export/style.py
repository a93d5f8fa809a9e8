"""The figure's look, shared by the SVG exporter and the canvas.

The numbers live in one file, static/js/geometry.json, which the canvas
(geometry.js, and renderer.js with the modules of its passes) imports too,
so an exported SVG draws what the editor shows; tests/test_geometry_shared.py
fails if either side keeps its own copy.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path


def _static() -> Path:
    """Beside the package when installed from a wheel (server/static), else at the repository root."""
    package = Path(__file__).resolve().parent.parent
    inside = package / "static"
    return inside if inside.is_dir() else package.parent / "static"


GEOMETRY_FILE = _static() / "js" / "geometry.json"
G = json.loads(GEOMETRY_FILE.read_text(encoding="utf-8"))

OP_RADIUS = G["OP_RADIUS"]
INPUT_H = G["INPUT_H"]
INPUT_MIN_W = G["INPUT_MIN_W"]
STUB = G["STUB"]
PORT_ANGLE = math.radians(G["PORT_ANGLE_DEG"])
SIBLING_GAP = G["SIBLING_GAP"]
VALUE_H, GRAD_H, ARROW_GAP, ARROW_HALF = G["VALUE_H"], G["GRAD_H"], G["ARROW_GAP"], G["ARROW_HALF"]

FONT_FAMILY = G["FONT"].replace('"', "'")  # single quotes: it goes in a double-quoted attribute
COLORS = dict(G["COLORS"])
# (weight, size) of each text, as the canvas sets ctx.font
INPUT_NAME = tuple(G["FONTS"]["INPUT_NAME"])
INPUT_VALUE = tuple(G["FONTS"]["INPUT_VALUE"])
VALUE = tuple(G["FONTS"]["VALUE"])
GRAD = tuple(G["FONTS"]["GRAD"])
LABEL = tuple(G["FONTS"]["LABEL"])
SYMBOL = [tuple(f) for f in G["FONTS"]["SYMBOL"]]  # one, two or three, more characters
# A tensor edge's shape badge, "(4, 3)" in a rounded box beside its value (issue 16): the canvas's
# numbers when geometry.json has them, else these.
BADGE = tuple(G["FONTS"].get("BADGE", (500, 11)))
BADGE_H = G.get("BADGE_H", 15)    # the box's height
BADGE_PAD = G.get("BADGE_PAD", 4)  # text to box, each side
BADGE_GAP = G.get("BADGE_GAP", 6)  # between the value's text and the box

FONT_FILES = {"regular": "NotoSansCJK-Regular.ttc", "bold": "NotoSansCJK-Bold.ttc"}
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto")


def symbol_font(sym: str) -> tuple[int, int]:
    """nodetext.js symbolFont: large for one character, smaller up to three, smallest beyond."""
    return SYMBOL[0 if len(sym) <= 1 else 1 if len(sym) <= 3 else 2]


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
