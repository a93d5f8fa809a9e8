"""Files in and out: export a graph in any format, import a JSON, SVG or PNG file or a Python layer script."""
from __future__ import annotations

import io
import re

from flask import Blueprint, jsonify, request, send_file

from ..engine.document import GraphError
from ..engine.graph import ComputationGraph
from ..errors import Refused
from ..export import FORMATS, ExportOptions, export
from ..export.figure import option_problem
from ..export.embed import PNG_SIGNATURE, document_from_file, png_with_document, sniff
from ..teaching.pyimport import import_python
from .access import created, creating
from .guard import needs
from .api import service, sessions

bp = Blueprint("files", __name__, url_prefix="/api/graphs")




def safe_filename(title: str, extension: str) -> str:
    """A download name from the title: letters (any script), digits, '-', '_' and '.' kept."""
    stem = re.sub(r"[^\w.-]+", "_", title or "", flags=re.UNICODE).strip("._")[:80] or "graph"
    return f"{stem}.{extension}"


def flag(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise GraphError(f"{name} must be 1 or 0, not {raw!r}")


def options_from_query() -> ExportOptions:
    state = request.args.get("state", "all")
    if state not in ("all", "current"):
        raise GraphError(f"state must be 'all' or 'current', not {state!r}")
    background = request.args.get("background", "white")
    if background not in ("white", "transparent"):
        raise GraphError(f"background must be 'white' or 'transparent', not {background!r}")
    try:
        scale = float(request.args.get("scale", "1"))
    except ValueError:
        raise GraphError("scale must be a number") from None
    if not 0.25 <= scale <= 8:
        raise GraphError("scale must be between 0.25 and 8")
    options = ExportOptions(values=flag("values", True), grads=flag("grads", True), state=state,
                            background=background, scale=scale, style=request.args.get("style", "book"),
                            labels=request.args.get("labels", "numbers"), blank=request.args.get("blank", "none"),
                            answers=flag("answers", False))
    problem = option_problem(options)
    if problem:
        raise GraphError(problem)
    return options


@bp.get("/<graph_id>/export")
def export_graph(graph_id):
    fmt = request.args.get("format", "svg")
    if fmt not in FORMATS:
        raise Refused(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    graph = service(graph_id)
    options = options_from_query()
    spec = FORMATS[fmt]
    if spec.steps:  # seconds in Chromium: drawn from a copy, so edits need not wait for it
        copy, title = graph.read(lambda g, cursor: (ComputationGraph.from_dict(g.to_dict(), g.limits), g.title))
        data = export(copy, fmt, options)
    else:
        data, title = graph.read(lambda g, cursor: (export(g, fmt, options, cursor), g.title))
    return send_file(io.BytesIO(data), mimetype=spec.content_type, as_attachment=True,
                     download_name=safe_filename(title, spec.extension))


@bp.post("/import")
@needs("upload")
def import_file():
    creating()
    upload = request.files.get("file")
    if upload is None:
        raise Refused("send the file as multipart form data in the field 'file'")
    doc = document_from_upload(upload.read(), upload.filename or "", sessions().limits)
    return jsonify(created(sessions().create(doc))), 201


def document_from_upload(data: bytes, filename: str, limits) -> dict:
    """A JSON, SVG or PNG file's document, or the graph of a Python layer script (titled by its
    docstring, else its file name)."""
    if (limits.max_bytes is None or len(data) <= limits.max_bytes * 4) and sniff(data, filename) == "py":
        stem = filename.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".py")
        return import_python(data, title=stem, limits=limits)
    return document_from_file(data, limits, filename)


@bp.post("/<graph_id>/png")
@needs("upload")
def embed_png(graph_id):
    """The editor's own PNG (canvas.toBlob at 2×) comes back with the document inside."""
    doc = service(graph_id).document()
    data = request.get_data()
    if not data.startswith(PNG_SIGNATURE):
        raise Refused("send the PNG image itself as the request body")
    try:
        out = png_with_document(data, doc)
    except Exception:  # Pillow's many ways of saying a PNG is broken
        raise Refused("this PNG cannot be read") from None
    title = doc["title"]
    return send_file(io.BytesIO(out), mimetype="image/png", as_attachment=True,
                     download_name=safe_filename(title, "png"))
