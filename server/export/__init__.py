"""Exporters: one module per format, all fed the same Figure (see figure.py).

``FORMATS`` is the one list of formats; the HTTP endpoint, the CLI and the
editor's Export menu read it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import dot, json_doc, png, python_script, svg, tikz
from .figure import ExportOptions, Figure, build_figure


@dataclass(frozen=True)
class Format:
    name: str
    title: str
    extension: str
    content_type: str
    render: Callable[[Figure], bytes | str]


FORMATS: dict[str, Format] = {}


def _add(name, title, extension, content_type, render):
    FORMATS[name] = Format(name, title, extension, content_type, render)


_add("svg", "SVG figure", "svg", "image/svg+xml", lambda fig: svg.render(fig, fig.current))
_add("png", "PNG image", "png", "image/png", png.render)
_add("json", "JSON document", "json", "application/json", json_doc.render)
_add("dot", "Graphviz DOT", "dot", "text/vnd.graphviz; charset=utf-8", dot.render)
_add("tikz", "TikZ (LaTeX)", "tex", "application/x-tex; charset=utf-8", tikz.render)
_add("py", "Python layer code", "py", "text/x-python; charset=utf-8", python_script.render)


def export(graph, fmt: str, options: ExportOptions = ExportOptions(), cursor=None) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    out = FORMATS[fmt].render(build_figure(graph, options, cursor))
    return out.encode("utf-8") if isinstance(out, str) else out


__all__ = ["FORMATS", "ExportOptions", "Figure", "build_figure", "export"]
