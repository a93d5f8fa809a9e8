"""Where everything of a figure lies, as the canvas draws it: node extents, edge curves,
and the boxes of the value (above) and gradient (below) on each edge.

The SVG exporter draws from this, and tests/test_figure_geometry.py measures it
(crossing edges, edges through nodes, labels on nodes or on each other). The
numbers are the canvas's (static/js/geometry.json via style.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from . import style as S


BOOK_TEXT_H = 20      # the height of a book-style input's name
BOOK_TEXT_GAP = 6     # between that name and the tail of its arrow


def node_extent(fig_node) -> dict:
    """Centre and half sizes of a node, as geometry.js nodeExtent computes them.

    A book-style input (``fig_node["book"]``) is no box but its name as text, right-aligned
    where the editor's box would end, so its arrows start where they do in the editor; with
    no name to write (a symbolic figure writes it on the arrow) it is a point there."""
    x, y = fig_node["x"], fig_node["y"]
    if not fig_node["input"]:
        r = S.OP_RADIUS
        return {"hw": r, "hh": r, "circle": True, "cx": x + r, "cy": y + r}
    w = max(S.INPUT_MIN_W, S.text_width(fig_node["name"], *S.INPUT_NAME) + 24,
            S.text_width(fig_node["value_text"] or "", *S.INPUT_VALUE) + 24)
    if fig_node.get("book"):
        text = fig_node.get("text") or ""
        tw = S.text_width(text, *S.INPUT_NAME) + BOOK_TEXT_GAP if text else 0.0
        return {"hw": tw / 2, "hh": BOOK_TEXT_H / 2 if text else 0.0, "circle": False,
                "cx": x + w - tw / 2, "cy": y + S.INPUT_H / 2, "text": True}
    return {"hw": w / 2, "hh": S.INPUT_H / 2, "circle": False, "cx": x + w / 2, "cy": y + S.INPUT_H / 2}


def input_port(ext, arity: int, port: int):
    cx, cy = ext["cx"], ext["cy"]
    if arity <= 1:
        return (cx - S.OP_RADIUS, cy)
    a = -S.PORT_ANGLE + (2 * S.PORT_ANGLE * port) / (arity - 1)
    return (cx - S.OP_RADIUS * math.cos(a), cy + S.OP_RADIUS * math.sin(a))


def bezier(c, t):
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = c
    u = 1 - t
    a, b, cc, d = u ** 3, 3 * u * u * t, 3 * u * t * t, t ** 3
    return (a * x0 + b * x1 + cc * x2 + d * x3, a * y0 + b * y1 + cc * y2 + d * y3)


def tangent(c, t):
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = c
    u = 1 - t
    x = 3 * u * u * (x1 - x0) + 6 * u * t * (x2 - x1) + 3 * t * t * (x3 - x2)
    y = 3 * u * u * (y1 - y0) + 6 * u * t * (y2 - y1) + 3 * t * t * (y3 - y2)
    n = math.hypot(x, y) or 1
    return (x / n, y / n)


@dataclass
class Label:
    text: str
    x: float          # centre of the text
    y: float
    w: float
    h: float
    kind: str         # "value" | "grad"
    badge: str | None = None  # a tensor's shape, "(4, 3)", boxed at the right end of the label
    badge_w: float = 0.0      # the badge's box width, within w

    def box(self) -> tuple[float, float, float, float]:
        return (self.x - self.w / 2, self.y - self.h / 2, self.x + self.w / 2, self.y + self.h / 2)

    def text_x(self) -> float:
        """The centre of the text (or a worksheet's box) without the badge."""
        return self.x - (self.badge_w + S.BADGE_GAP) / 2 if self.badge else self.x

    def text_w(self) -> float:
        return self.w - self.badge_w - S.BADGE_GAP if self.badge else self.w

    def badge_box(self) -> tuple[float, float, float, float]:
        x1 = self.x + self.w / 2
        return (x1 - self.badge_w, self.y - S.BADGE_H / 2, x1, self.y + S.BADGE_H / 2)


def badge_width(shape: str) -> float:
    return S.text_width(shape, *S.BADGE) + 2 * S.BADGE_PAD


BLANK_SAMPLE = "0000"  # a worksheet's empty box is at least as wide as a typical number
BLANK_PAD = 3           # and this much wider than the answer it hides, each side


def blank_width(text: str, font) -> float:
    """The width of a worksheet's box for this answer (the same in the blank and in the key)."""
    return max(S.text_width(BLANK_SAMPLE, *font), S.text_width(text, *font)) + 2 * BLANK_PAD


def labels(curve, value_text, grad_text, value_blank=False, grad_blank=False, shape=None) -> dict:
    """edgelabels.js labelLayout/drawEdgeLabels: the value above the curve's midpoint, the gradient
    below it with its small backward arrow; returns {value, grad, arrow} (each may be None).
    A blank (a worksheet's box) is placed as a text of the box's width and a little taller.
    ``shape``: a tensor's shape badge, at the right of the value (of the gradient when no value
    is shown; alone, where the value goes, when neither is)."""
    badge_w = badge_width(shape) if shape else 0.0
    extra = badge_w + S.BADGE_GAP
    if shape and value_text is None and grad_text is None:
        value_text, extra = "", badge_w
    mx, my = bezier(curve, 0.5)
    dx, dy = tangent(curve, 0.5)
    nx, ny = dy, -dx
    if ny > 0 or (ny == 0 and nx > 0):
        nx, ny = -nx, -ny

    def reach(w, h):
        return (w / 2) * abs(nx) + (h / 2) * abs(ny)
    out = {"value": None, "grad": None, "arrow": None}
    if value_text is not None:
        w = blank_width(value_text, S.VALUE) if value_blank else S.text_width(value_text, *S.VALUE)
        h = S.VALUE_H + (2 * BLANK_PAD if value_blank else 0)
        badge = shape or None
        if badge:
            w = (w + extra) if value_text else badge_w
        d = reach(w, h) + 3
        out["value"] = Label(value_text, mx + nx * d, my + ny * d + 1, w, h, "value", badge, badge_w)
    if grad_text is not None:
        w = blank_width(grad_text, S.GRAD) if grad_blank else S.text_width(grad_text, *S.GRAD)
        h = S.GRAD_H + (2 * BLANK_PAD if grad_blank else 0)
        badge = shape if shape and out["value"] is None else None
        if badge:
            w += extra
        d = S.ARROW_GAP + 4 + reach(w, h)
        ax, ay = mx - nx * S.ARROW_GAP, my - ny * S.ARROW_GAP
        out["arrow"] = ((ax + dx * S.ARROW_HALF, ay + dy * S.ARROW_HALF), (ax - dx * S.ARROW_HALF, ay - dy * S.ARROW_HALF),
                        (-dx, -dy))
        out["grad"] = Label(grad_text, mx - nx * d, my - ny * d + 1, w, h, "grad", badge, badge_w)
    return out


def edge_curves(fig, exts: dict, arity: dict) -> list[tuple[dict, tuple]]:
    """Each edge with its cubic: out of the source's right side, into the target's port;
    edges sharing both ends (x·x) bow apart."""
    pairs: dict = {}
    for e in fig.edges:
        pairs.setdefault((e["source"], e["target"]), []).append(e)
    out = []
    for e in fig.edges:
        s, t = exts[e["source"]], exts[e["target"]]
        p0 = (s["cx"] + s["hw"], s["cy"])
        p3 = input_port(t, arity[e["target"]], e["port"])
        sibs = sorted(pairs[(e["source"], e["target"])], key=lambda f: f["port"])
        i = sibs.index(e)
        bend = (i - (len(sibs) - 1) / 2) * S.SIBLING_GAP if len(sibs) > 1 else 0
        dx = max(40, abs(p3[0] - p0[0]) * 0.45)
        out.append((e, (p0, (p0[0] + dx, p0[1] + bend), (p3[0] - dx, p3[1] + bend), p3)))
    return out


def output_stub(ext) -> tuple:
    p0 = (ext["cx"] + ext["hw"], ext["cy"])
    return (p0, (p0[0] + S.STUB / 3, p0[1]), (p0[0] + 2 * S.STUB / 3, p0[1]), (p0[0] + S.STUB, p0[1]))
