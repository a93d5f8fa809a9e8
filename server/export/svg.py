"""SVG in the book's style, drawn with the canvas's geometry (see style.py).

Op nodes are circles with their symbol, inputs are named boxes, forward values
are black above each edge and gradients gray below it with a gray backward
arrow. Every text goes through xml.sax.saxutils.escape, so a label such as
``<script>`` is inert. The graph document rides along in ``<metadata>``.
"""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from . import style as S
from ..engine.text import printable
from .embed import svg_metadata
from ..engine.symbols import wrt
from .scene import bezier, edge_curves, input_port, labels, node_extent, output_stub, tangent


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def xml_text(text: str) -> str:
    """Escaped for XML, with the control characters XML 1.0 forbids drawn as spaces, as the canvas
    does, and surrogates and non-characters (which no XML file may hold) left out."""
    return escape(printable("".join(" " if ch < " " else ch for ch in text)))


# Where the canvas puts the alphabetic baseline for textBaseline 'middle' / 'top', in em
# below y, measured in Chromium for Noto Sans CJK KR; SVG's dominant-baseline differs.
BASELINE = {"middle": 0.38, "top": 0.88}


def _text(x, y, text, font, fill, anchor="middle", baseline="middle"):
    weight, size = font
    y = y + BASELINE[baseline] * size
    return (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" font-weight="{weight}" '
            f'fill="{fill}" text-anchor="{anchor}">{xml_text(text)}</text>')


def _arrow(tip, d, size):
    nx, ny = -d[1], d[0]
    pts = [tip, (tip[0] - d[0] * size + nx * size * 0.45, tip[1] - d[1] * size + ny * size * 0.45),
           (tip[0] - d[0] * size - nx * size * 0.45, tip[1] - d[1] * size - ny * size * 0.45)]
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in pts)


# The book style's gray: a shade darker than the canvas's, so a printed gradient stays legible
# (4.9:1 on white; the canvas's #737373 is 4.7:1, raised from #8a8a8a, 3.4:1, for issue 14). Answer keys write in the accent.
BOOK_GRAD = "#6f6f6f"
BLANK_STROKE = "#9a9a9a"


def _grad_colour(fig) -> str:
    return BOOK_GRAD if fig.options.style == "book" else S.COLORS["grad"]


def _blank(out, label, answers: bool, font):
    """A worksheet's empty box where ``label`` would be; in the answer key, the answer in it."""
    _, y0, _, y1 = label.box()
    x0, x1 = label.text_x() - label.text_w() / 2, label.text_x() + label.text_w() / 2
    out.append(f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" height="{_num(y1 - y0)}" rx="2" '
               f'fill="#fff" stroke="{BLANK_STROKE}" stroke-width="0.8" data-blank="{label.kind}"/>')
    if answers:
        out.append(_text(label.text_x(), label.y, label.text, font, S.COLORS["accent"]))


BADGE_STROKE = "#8a8a8a"
BADGE_INK = "#444"


def _badge(out, label):
    """A tensor's shape, "(4, 3)", in a small rounded box at the right end of its label."""
    x0, y0, x1, y1 = label.badge_box()
    out.append(f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" height="{_num(y1 - y0)}" rx="4" '
               f'fill="#fff" stroke="{BADGE_STROKE}" stroke-width="0.8" data-shape="{xml_text(label.badge)}"/>')
    out.append(_text((x0 + x1) / 2, label.y, label.badge, S.BADGE, BADGE_INK))


def _labels(out, curve, value_text, grad_text, fig, value_blank=False, grad_blank=False, shape=None):
    """The value above the midpoint, the gradient below with its backward arrow (scene.labels);
    a tensor's shape badge beside the value."""
    placed = labels(curve, value_text, grad_text, value_blank, grad_blank, shape)
    answers = fig.options.answers
    if placed["value"] is not None:
        v = placed["value"]
        if value_blank:
            _blank(out, v, answers, S.VALUE)
        elif v.text:
            out.append(_text(v.text_x(), v.y, v.text, S.VALUE, S.COLORS["value"]))
        if v.badge:
            _badge(out, v)
    if placed["grad"] is not None:
        g, (frm, to, back) = placed["grad"], placed["arrow"]
        colour = _grad_colour(fig)
        out.append(f'<path d="M{_num(frm[0])} {_num(frm[1])}L{_num(to[0])} {_num(to[1])}" stroke="{colour}" '
                   f'stroke-width="1.2" fill="none"/>')
        out.append(f'<polygon points="{_arrow(to, back, 6)}" fill="{colour}"/>')
        if grad_blank:
            _blank(out, g, answers, S.GRAD)
        else:
            out.append(_text(g.text_x(), g.y, g.text, S.GRAD, colour))
        if g.badge:
            _badge(out, g)
    return [placed[k] for k in ("value", "grad") if placed[k] is not None]


SYMBOL_SMALL = (600, 10)  # a symbol too wide for its circle (Softmax-with-Loss), a line per part


def _symbol_lines(sym: str) -> list[tuple[float, str, tuple]]:
    """(dy, text, font) per line of an op's symbol: one line, as the canvas draws it, when it
    fits its circle; else broken after its hyphens, smaller, so that it stays inside."""
    font = S.symbol_font(sym)
    if S.text_width(sym, *font) <= 2 * S.OP_RADIUS - 6 or "-" not in sym:
        return [(0.0, sym, font)]
    parts = [p + "-" for p in sym.split("-")[:-1]] + [sym.split("-")[-1]]
    lines = [parts[0]]
    for part in parts[1:]:
        if S.text_width(lines[-1] + part, *SYMBOL_SMALL) <= 2 * S.OP_RADIUS - 8:
            lines[-1] += part
        else:
            lines.append(part)
    step = SYMBOL_SMALL[1] + 1
    return [((k - (len(lines) - 1) / 2) * step, line, SYMBOL_SMALL) for k, line in enumerate(lines)]


def wrt_name(n) -> str:
    return wrt(n["name"])


def render(fig, current: str | None = None) -> str:
    """The SVG text. ``current`` names a node to highlight, as the canvas does mid-step
    (style=editor only: a book figure has no glow, ring or port dots)."""
    editor = fig.options.style == "editor"
    if not editor:
        current = None
    from ..engine.registry import OPS
    exts = {n["id"]: node_extent(n) for n in fig.nodes}
    nodes = {n["id"]: n for n in fig.nodes}
    arity = {n["id"]: OPS[n["op"]].arity for n in fig.nodes}
    body: list[str] = []
    xs, ys = [], []

    def grow(x0, y0, x1, y1):
        xs.extend((x0, x1))
        ys.extend((y0, y1))

    if current in exts:
        e = exts[current]
        if e["circle"]:
            body.append(f'<circle cx="{_num(e["cx"])}" cy="{_num(e["cy"])}" r="{_num(e["hw"] + 9)}" fill="{S.COLORS["current"]}"/>')
        else:
            body.append(f'<rect x="{_num(e["cx"] - e["hw"] - 9)}" y="{_num(e["cy"] - e["hh"] - 9)}" '
                        f'width="{_num(2 * e["hw"] + 18)}" height="{_num(2 * e["hh"] + 18)}" rx="14" fill="{S.COLORS["current"]}"/>')

    def stroke_curve(c, colour=S.COLORS["edge"], width=1.5):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = c
        body.append(f'<path d="M{_num(x0)} {_num(y0)}C{_num(x1)} {_num(y1)} {_num(x2)} {_num(y2)} {_num(x3)} {_num(y3)}" '
                    f'stroke="{colour}" stroke-width="{width}" fill="none"/>')

    for e, c in edge_curves(fig, exts, arity):
        p0, _, _, p3 = c
        bend = c[1][1] - p0[1]
        stroke_curve(c)
        body.append(f'<polygon points="{_arrow(p3, tangent(c, 1), 9)}" fill="{S.COLORS["edge"]}"/>')
        for label in _labels(body, c, e["value_text"], e["grad_text"], fig, e.get("value_blank"),
                             e.get("grad_blank"), e.get("shape")):
            grow(*label.box())  # a long text reaches beyond its edge's ends
        grow(min(p0[0], p3[0]), min(p0[1], p3[1], p0[1] + bend) - 30, max(p0[0], p3[0]), max(p0[1], p3[1], p0[1] + bend) + 30)

    out_id = next((n["id"] for n in fig.nodes if n["output"]), None)
    if out_id is not None:
        o = exts[out_id]
        stub = output_stub(o)
        p0 = stub[0]
        stroke_curve(stub)
        body.append(f'<polygon points="{_arrow(stub[3], (1, 0), 9)}" fill="{S.COLORS["edge"]}"/>')
        for label in _labels(body, stub, fig.output_value_text, fig.output_grad_text, fig, fig.output_value_blank,
                             fig.output_grad_blank, fig.output_shape):
            grow(*label.box())
        grow(p0[0], p0[1] - 30, p0[0] + S.STUB + 20, p0[1] + 34)

    wired = {(e["target"], e["port"]) for e in fig.edges}
    for n in fig.nodes:
        e = exts[n["id"]]
        cx, cy, hw, hh = e["cx"], e["cy"], e["hw"], e["hh"]
        grow(cx - hw, cy - hh - 24, cx + hw, cy + hh + 30)
        paper, ink = S.COLORS["paper"], S.COLORS["ink"]
        if e["circle"]:
            body.append(f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{hw}" fill="{paper}" stroke="{ink}" stroke-width="1.6"/>')
            if n["output"] and editor:
                body.append(f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{hw + 4}" fill="none" stroke="{S.COLORS["muted"]}" stroke-width="0.8"/>')
            for dy, line, font in _symbol_lines(n["symbol"]):
                body.append(_text(cx, cy + 1 + dy, line, font, ink))
            if n["label"]:
                body.append(_text(cx, cy + S.OP_RADIUS + 6, n["label"], S.LABEL, S.COLORS["muted"], baseline="top"))
        elif e.get("text"):  # book style: the name at the tail of its arrow
            if n.get("text"):
                body.append(_text(cx + hw - 6, cy, n["text"], S.INPUT_NAME, ink, anchor="end"))
        else:
            box = f'x="{_num(cx - hw)}" y="{_num(cy - hh)}" width="{_num(2 * hw)}" height="{_num(2 * hh)}"'
            body.append(f'<rect {box} rx="8" fill="{paper}" stroke="{ink}" stroke-width="1.6"/>')
            if n["output"]:
                body.append(f'<rect x="{_num(cx - hw - 4)}" y="{_num(cy - hh - 4)}" width="{_num(2 * hw + 8)}" '
                            f'height="{_num(2 * hh + 8)}" rx="12" fill="none" stroke="{S.COLORS["muted"]}" stroke-width="0.8"/>')
            body.append(_text(cx, cy - 10, n["name"], S.INPUT_NAME, ink))
            body.append(_text(cx, cy + 11, n["value_text"] or "", S.INPUT_VALUE, ink))
        if n["id"] in fig.sums:  # symbolic: the gradient a fan-out receives, the sum of its terms
            total = f"{wrt_name(n)} = {fig.sums[n['id']]}"
            w = S.text_width(total, *S.GRAD)
            if n["input"]:  # below and left of where its arrows start, clear of them
                body.append(_text(cx + hw, cy + hh + 12, total, S.GRAD, _grad_colour(fig), anchor="end", baseline="top"))
                grow(cx + hw - w, cy, cx + hw, cy + hh + 32)
            else:
                body.append(_text(cx, cy + hh + 8, total, S.GRAD, _grad_colour(fig), baseline="top"))
                grow(cx - w / 2, cy, cx + w / 2, cy + hh + 30)
        if not editor:
            continue
        ports = [input_port(e, arity[n["id"]], p) for p in range(arity[n["id"]])]
        for p, (px, py) in enumerate(ports):
            fill = S.COLORS["port"] if (n["id"], p) in wired else paper
            body.append(f'<circle cx="{_num(px)}" cy="{_num(py)}" r="3.5" fill="{fill}" stroke="{S.COLORS["port"]}" stroke-width="1"/>')
        body.append(f'<circle cx="{_num(cx + hw)}" cy="{_num(cy)}" r="3.5" fill="{paper}" stroke="{S.COLORS["port"]}" stroke-width="1"/>')

    pad = 16
    x0, y0 = (min(xs) - pad, min(ys) - pad) if xs else (0, 0)
    w, h = ((max(xs) - min(xs) + 2 * pad), (max(ys) - min(ys) + 2 * pad)) if xs else (100, 100)
    k = fig.options.scale
    bg = "" if fig.options.background == "transparent" else \
        f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(w)}" height="{_num(h)}" fill="#fff"/>'
    title = xml_text(fig.title or "gradcanvas graph")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{_num(w * k)}" height="{_num(h * k)}" '
            f'viewBox="{_num(x0)} {_num(y0)} {_num(w)} {_num(h)}" font-family={quoteattr(S.FONT_FAMILY)}>\n'
            f"<title>{title}</title>\n{svg_metadata(fig.document)}\n{bg}\n" + "\n".join(body) + "\n</svg>\n")
