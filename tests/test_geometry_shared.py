"""One source for the figure's numbers: static/js/geometry.json, read by the canvas
(geometry.js, renderer.js and its passes) and by the SVG export (server/export/style.py). These tests
fail if either side goes back to a copy of its own, or if the two disagree."""
import ast
import json
import math
import re
from pathlib import Path

from server.export import style

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "static" / "js"
G = json.loads((JS / "geometry.json").read_text(encoding="utf-8"))
SIZES = ["OP_RADIUS", "INPUT_H", "INPUT_MIN_W", "STUB", "SIBLING_GAP", "VALUE_H", "GRAD_H", "ARROW_GAP", "ARROW_HALF"]


def test_style_py_reads_the_json_that_the_canvas_imports():
    assert style.GEOMETRY_FILE.resolve() == (JS / "geometry.json").resolve()
    for name in SIZES:
        assert getattr(style, name) == G[name], name
    assert style.PORT_ANGLE == math.radians(G["PORT_ANGLE_DEG"])
    assert style.FONT_FAMILY == G["FONT"].replace('"', "'")
    assert style.COLORS == G["COLORS"]
    for name in ("INPUT_NAME", "INPUT_VALUE", "VALUE", "GRAD", "LABEL"):
        assert getattr(style, name) == tuple(G["FONTS"][name]), name
    assert [style.symbol_font(s) for s in ("×", "exp", "ReLU")] == [tuple(f) for f in G["FONTS"]["SYMBOL"]]


def test_style_py_keeps_no_literal_copy_of_the_numbers():
    tree = ast.parse(Path(style.__file__).read_text(encoding="utf-8"))
    literal = [t.id for node in tree.body if isinstance(node, ast.Assign)
               for t in node.targets if isinstance(t, ast.Name) and t.id in SIZES + ["COLORS", "FONT_FAMILY"]
               and not any(isinstance(n, ast.Name) and n.id == "G" for n in ast.walk(node.value))]
    assert literal == []


def test_the_canvas_imports_the_json_and_redefines_none_of_its_numbers():
    geometry = (JS / "geometry.js").read_text(encoding="utf-8")
    passes = ("renderer.js", "curves.js", "edgelabels.js", "nodedraw.js", "nodetext.js", "sprites.js")
    drawing = "".join((JS / name).read_text(encoding="utf-8") for name in passes)  # renderer.js and its passes
    assert re.search(r"import G from './geometry\.json' with \{ type: 'json' \};", geometry)
    both = geometry + drawing
    for name in SIZES + ["PORT_ANGLE"]:
        assert not re.search(rf"\b{name}\s*=\s*\(?\s*\d", both), f"{name} is given a literal value in the JS"
    for colour in G["COLORS"].values():
        assert colour not in both, f"{colour} is written out in the JS"
    for font in list(G["FONTS"].values())[:-1] + G["FONTS"]["SYMBOL"]:
        assert f"{font[1]}px" not in both, f"a {font[1]}px font is written out in the JS"
    assert "Noto Sans CJK KR" not in both


def test_the_json_is_served_as_json_so_the_browser_imports_it_as_a_module(client):
    r = client.get("/static/js/geometry.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.json == G
