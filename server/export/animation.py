"""Animated exports: the forward then backward stepping as a GIF, an animated WebP, or a ZIP
of one PNG per step for slides.

One frame per cursor position, as the editor steps: idle (nothing computed), forward 1..n,
backward 1..m. Each frame is the SVG figure with that cursor (svg.py, in the style the
options ask for, with the step's node marked as the SVG export marks it) and, under it, a
caption with the step's text, the text the editor's step panel shows. All frames share the
frame of the fully revealed figure, so nothing jumps, and are drawn by one Chromium page
(png.rasterise_pages).

Pillow writes the files (it is already a dependency; no ffmpeg, no imageio). The frames are
quantised to one small palette (the figures are black and gray on white), so the GIF stays
small and the WebP's lossless coder indexes its colours; both store only what changes
between frames. Animations are drawn on white paper, whatever the background option.

Timing is fixed, so the same graph always makes the same file (TIMING, in milliseconds):
the idle frame 1 s, each step 0.9 s, the last forward step 1.8 s (a pause before the
backward pass), the last frame 3 s; then the animation starts again, forever.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, replace
from xml.sax.saxutils import escape

from ..engine.document import GraphError, GraphTooLarge
from ..engine.visible import Cursor, pass_orders
from . import style as S
from .embed import png_with_document
from .figure import build_figure
from .png import rasterise_pages
from .svg import render as render_svg

TIMING = {"idle": 1000, "step": 900, "phase_end": 1800, "end": 3000}
COLOURS = 24                     # the palette: grays, and the tints of the current step's mark
CAPTION_LINES = 2
CAPTION_LINE = 20                # CSS pixels per caption line
MAX_FRAMES = 400
MAX_PIXELS = 200_000_000         # device pixels over all frames: about 200 MB held as palette images
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # a fixed date in the ZIP, so the same graph makes the same bytes


@dataclass
class Frame:
    name: str                    # 00-idle, 01-forward-1-doughnut, …
    caption: tuple[str, str]     # two lines: where we are, and the step's arithmetic
    text: str                    # the step's whole text (the editor's step panel)
    duration: int                # milliseconds
    svg: str = ""


def _safe(nid: str) -> str:
    return re.sub(r"[^\w-]+", "_", nid, flags=re.ASCII).strip("_")[:40] or "node"


def _events(graph):
    """The step events, forward and backward (none backward when there is no gradient yet)."""
    from ..engine.steps import backward_steps, forward_steps
    fwd = list(forward_steps(graph))
    try:
        bwd = list(backward_steps(graph))
    except GraphError:
        bwd = []
    return fwd, bwd


def frames_of(graph) -> list[Frame]:
    """The frames' names, captions and durations, in order (without pictures)."""
    fwd_order, bwd_order = pass_orders(graph)
    fwd, bwd = _events(graph)
    if [e["node"] for e in fwd] != fwd_order or [e["node"] for e in bwd] != bwd_order:
        raise GraphError("the step events disagree with the pass orders")  # never: both read the plan
    frames = [Frame("00-idle", ("Not stepped yet", "Forward, then backward, one node at a time"),
                    "idle: nothing computed yet", TIMING["idle"])]
    width = len(str(1 + len(fwd) + len(bwd)))
    for phase, events in (("forward", fwd), ("backward", bwd)):
        for e in events:
            lines = e["text"].split("\n")
            head = f"{phase.capitalize()} {e['index']}/{e['total']}"
            if phase == "forward":
                caption = (head, lines[0])
            else:  # the first line says where dout comes from; then the local rules
                caption = (f"{head} · {lines[0]}", "   ".join(r["text"] for r in e["rules"]))
            k = len(frames)
            frames.append(Frame(f"{k:0{max(2, width)}d}-{phase}-{e['index']}-{_safe(e['node'])}",
                                caption, e["text"], TIMING["step"]))
    if fwd and bwd:
        frames[len(fwd)].duration = TIMING["phase_end"]
    frames[-1].duration = TIMING["end"]
    return frames


def _cursors(graph) -> list[Cursor]:
    fwd, bwd = pass_orders(graph)
    return ([Cursor("idle", 0, len(fwd))] + [Cursor("forward", k, len(fwd)) for k in range(1, len(fwd) + 1)]
            + [Cursor("backward", k, len(bwd)) for k in range(1, len(bwd) + 1)])


_ROOT = re.compile(r'<svg ([^>]*?)width="[\d.]+" height="[\d.]+" viewBox="([-\d. ]+)"')


def _view_box(svg_text: str) -> tuple[float, float, float, float]:
    m = _ROOT.search(svg_text)
    if m is None:
        raise GraphError("the SVG figure has no viewBox")
    x, y, w, h = map(float, m.group(2).split())
    return x, y, x + w, y + h


def _framed(svg_text: str, box) -> str:
    """The SVG drawn in ``box`` (x0, y0, x1, y1) at scale 1, whatever its own frame."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return _ROOT.sub(lambda m: f'<svg {m.group(1)}width="{w:g}" height="{h:g}" viewBox="{x0:g} {y0:g} {w:g} {h:g}"',
                     svg_text, count=1)


def _page(svg_text: str, caption: tuple[str, str], width: float) -> str:
    lines = "".join(f'<div style="height:{CAPTION_LINE}px;line-height:{CAPTION_LINE}px;white-space:pre;'
                    f'overflow:hidden;text-overflow:ellipsis;color:{c}">{escape(t)}</div>'
                    for t, c in zip(caption, (S.COLORS["ink"], S.COLORS["muted"])))
    font = escape(S.FONT_FAMILY, {'"': "&quot;"})
    return (f'<div id="frame" style="width:{width:g}px;background:#fff;font-family:{font};font-size:14px">'
            f'<div style="display:block;line-height:0">{svg_text}</div>'
            f'<div style="padding:0 16px 10px 16px">{lines}</div></div>')


def render_frames(graph, options) -> tuple[list[Frame], list[bytes]]:
    """Every frame, with its PNG (2 × scale device pixels, one Chromium page for them all)."""
    frames = frames_of(graph)
    if len(frames) > MAX_FRAMES:
        raise GraphTooLarge(f"an animation of {len(frames)} steps is more than {MAX_FRAMES}; "
                            "export the frames of a smaller graph, or a PNG")
    opts = replace(options, state="current", scale=1.0)
    for frame, cursor in zip(frames, _cursors(graph)):
        fig = build_figure(graph, opts, cursor)
        frame.svg = render_svg(fig, fig.current)
    full = render_svg(build_figure(graph, replace(opts, state="all")))
    boxes = [_view_box(f.svg) for f in frames] + [_view_box(full)]
    box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    w, h = box[2] - box[0], box[3] - box[1] + CAPTION_LINES * CAPTION_LINE + 10
    total = len(frames) * w * h * (2 * options.scale) ** 2
    if total > MAX_PIXELS:
        raise GraphTooLarge(f"the animation would be {len(frames)} frames of {int(w * 2 * options.scale):,} × "
                            f"{int(h * 2 * options.scale):,} pixels, more than {MAX_PIXELS / 1e6:.0f} million "
                            "in all; lower the scale, or export a PNG")
    pages = [_page(_framed(f.svg, box), f.caption, w) for f in frames]
    return frames, rasterise_pages(pages, (w, h), options.scale, False, "#frame")


def _palette_frames(pngs: list[bytes]):
    """The frames as palette images sharing one palette, taken from all of them (so the mark of
    the current step keeps its colour), with no dithering (flat colours stay flat)."""
    from PIL import Image
    rgb = [Image.open(io.BytesIO(p)).convert("RGB") for p in pngs]
    w, h = rgb[0].size
    if any(im.size != (w, h) for im in rgb):
        raise GraphError("the animation's frames differ in size")
    # The palette from up to 16 frames and the last, at half size (the colours are the same).
    step = max(1, len(rgb) // 16)
    sample = [im.reduce(2) for im in rgb[::step] + [rgb[-1]]]
    sw, sh = sample[0].size
    sheet = Image.new("RGB", (sw, sh * len(sample)))
    for k, im in enumerate(sample):
        sheet.paste(im, (0, k * sh))
    palette = sheet.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    # Pillow maps colours to a palette through a coarse cache, so the paper could come out
    # 253 gray: the entry paper maps to is made the paper's own white.
    paper = Image.new("RGB", (1, 1), "#fff").quantize(palette=palette, dither=Image.Dither.NONE).getpixel((0, 0))
    entries = palette.getpalette()
    entries[3 * paper:3 * paper + 3] = [255, 255, 255]
    palette.putpalette(entries)
    return [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in rgb]


def render_gif(graph, options) -> bytes:
    frames, pngs = render_frames(graph, options)
    images = _palette_frames(pngs)
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:],
                   duration=[f.duration for f in frames], loop=0, optimize=False, disposal=1)
    return out.getvalue()


def render_webp(graph, options) -> bytes:
    frames, pngs = render_frames(graph, options)
    images = [im.convert("RGB") for im in _palette_frames(pngs)]
    out = io.BytesIO()
    images[0].save(out, format="WEBP", save_all=True, append_images=images[1:],
                   duration=[f.duration for f in frames], loop=0, lossless=True, quality=100, method=4,
                   minimize_size=True)
    return out.getvalue()


def render_zip(graph, options) -> bytes:
    """One PNG per step, named in order, each carrying the graph document (it reopens as the
    graph), and index.txt: each frame's file, time on screen and step text."""
    frames, pngs = render_frames(graph, options)
    doc = graph.to_dict()
    out = io.BytesIO()
    index = []
    with zipfile.ZipFile(out, "w") as z:
        for frame, png in zip(frames, pngs):
            info = zipfile.ZipInfo(f"{frame.name}.png", ZIP_DATE)
            z.writestr(info, png_with_document(png, doc), compress_type=zipfile.ZIP_STORED)
            index.append(f"{frame.name}.png\t{frame.duration} ms\n  " + frame.text.replace("\n", "\n  "))
        info = zipfile.ZipInfo("index.txt", ZIP_DATE)
        z.writestr(info, "\n".join(index) + "\n", compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
