"""Exporters: one module per format, all fed the same Figure (see figure.py).

``FORMATS`` is the one list of formats; the HTTP endpoint, the CLI and the
editor's Export menu read it. Most formats draw one Figure; the animated ones
(``steps=True``: GIF, WebP, a ZIP of frames) draw every step of the graph, so
their render takes the graph and the options (see animation.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import animation, dot, html, json_doc, png, python_script, svg, tikz
from .figure import ExportOptions, Figure, build_figure


@dataclass(frozen=True)
class Format:
    name: str
    title: str
    extension: str
    content_type: str
    render: Callable[..., bytes | str]   # (figure), or (graph, options) when steps
    steps: bool = False                  # drawn from every step of the graph, not one figure

    @property
    def binary(self) -> bool:
        return self.content_type.split(";")[0] in ("image/png", "image/gif", "image/webp", "application/zip")


FORMATS: dict[str, Format] = {}


def _add(name, title, extension, content_type, render, steps=False):
    FORMATS[name] = Format(name, title, extension, content_type, render, steps)


_add("svg", "SVG figure", "svg", "image/svg+xml", lambda fig: svg.render(fig, fig.current))
_add("png", "PNG image", "png", "image/png", png.render)
_add("json", "JSON document", "json", "application/json", json_doc.render)
_add("dot", "Graphviz DOT", "dot", "text/vnd.graphviz; charset=utf-8", dot.render)
_add("tikz", "TikZ (LaTeX)", "tex", "application/x-tex; charset=utf-8", tikz.render)
_add("py", "Python layer code", "py", "text/x-python; charset=utf-8", python_script.render)
_add("gif", "Animated GIF (steps)", "gif", "image/gif", animation.render_gif, steps=True)
_add("webp", "Animated WebP (steps)", "webp", "image/webp", animation.render_webp, steps=True)
_add("frames", "PNG per step (ZIP)", "zip", "application/zip", animation.render_zip, steps=True)
# -- #17 the stepper anywhere: one HTML file that steps the graph offline (html.py) --
_add("html", "Stepper (one HTML file)", "html", "text/html; charset=utf-8", html.render_html, steps=True)


def export(graph, fmt: str, options: ExportOptions = ExportOptions(), cursor=None) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    spec = FORMATS[fmt]
    out = spec.render(graph, options) if spec.steps else spec.render(build_figure(graph, options, cursor))
    return out.encode("utf-8") if isinstance(out, str) else out


__all__ = ["FORMATS", "ExportOptions", "Figure", "build_figure", "export"]
