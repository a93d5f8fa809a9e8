"""The graph document carried inside exported SVG and PNG files, and read back on import.

``sniff`` also recognises a Python script in the book's style (a ``.py`` file, or text
that parses as Python and names a layer class), which web/files.py hands to
teaching/pyimport.py (parsed with ``ast``, never run) instead of ``document_from_file``.

SVG: a ``<metadata>`` element holding ``<gc:document>`` with the JSON as text.
PNG: an ``iTXt`` chunk with the keyword ``gradcanvas`` (as Excalidraw does).
Reading uses defusedxml (no entity expansion, no external entities) and Pillow
(which refuses decompression bombs), so a hostile file fails cleanly.
"""
from __future__ import annotations

import io
import json

from ..engine.document import GraphError, GraphTooLarge, Limits, loads, validate

MAX_IMPORT_PIXELS = 40_000_000

NS = "https://gradcanvas.invalid/ns/document/1"
PNG_KEY = "gradcanvas"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def svg_metadata(doc: dict) -> str:
    from xml.sax.saxutils import escape
    # ASCII JSON: every character, whatever it is, becomes an escape XML can hold, and reads back exactly.
    text = escape(json.dumps(doc, ensure_ascii=True, separators=(",", ":")))
    return f'<metadata><gc:document xmlns:gc="{NS}">{text}</gc:document></metadata>'


def png_with_document(png: bytes, doc: dict) -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo
    info = PngInfo()
    info.add_itxt(PNG_KEY, json.dumps(doc, ensure_ascii=False, separators=(",", ":")), zip=True)
    with Image.open(io.BytesIO(png)) as img:
        out = io.BytesIO()
        img.save(out, format="PNG", pnginfo=info, dpi=img.info.get("dpi", (144, 144)))
    return out.getvalue()


def sniff(data: bytes, filename: str = "") -> str:
    """'png', 'svg', 'json' or 'py' by content, not by file name; a name ending in .py
    makes a script of any text (so a syntax error is reported at its line)."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "json"
    if head.startswith(b"<"):
        return "svg"
    if filename.lower().endswith(".py") or _parses_as_python(data):
        return "py"
    raise GraphError("this file is not a gradcanvas JSON document, SVG, PNG or Python layer script")


def _parses_as_python(data: bytes) -> bool:
    """Text that parses as Python and names one of the layer classes (MulLayer …)."""
    import ast

    from ..engine.registry import OPS
    try:
        text = data.decode("utf-8-sig")
        if not any(spec.layer.__name__ in text for spec in OPS.values() if spec.arity):
            return False
        ast.parse(text)
    except (UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def document_from_file(data: bytes, limits: Limits = Limits(), filename: str = "") -> dict:
    """The validated graph document inside an uploaded JSON, SVG or PNG file."""
    if limits.max_bytes is not None and len(data) > limits.max_bytes * 4:
        raise GraphError(f"the file is {len(data):,} bytes; the limit is {limits.max_bytes * 4:,} bytes")
    kind = sniff(data, filename)
    if kind == "py":
        raise GraphError("this is a Python script: teaching.pyimport.import_python makes its graph")
    text = data if kind == "json" else _from_svg(data) if kind == "svg" else _from_png(data)
    return validate(loads(text, limits), limits)


def _from_svg(data: bytes) -> str:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as err:
        raise GraphError(f"this SVG cannot be read: {err}") from None
    if not root.tag.endswith("svg"):
        raise GraphError("this file is XML but not an SVG")
    found = root.find(f".//{{{NS}}}document")
    if found is None or not (found.text or "").strip():
        raise GraphError("this SVG was not exported by gradcanvas: it carries no graph document")
    return found.text


def _from_png(data: bytes) -> str:
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(io.BytesIO(data)) as img:  # reads the header only
            w, h = img.size
            if w * h > MAX_IMPORT_PIXELS:  # refused before a byte of it is decoded
                raise GraphTooLarge(f"this PNG is {w:,} × {h:,} pixels; images over "
                                    f"{MAX_IMPORT_PIXELS / 1e6:.0f} million pixels are not read")
            img.load()  # reads every chunk, so a truncated file fails here
            text = getattr(img, "text", {}).get(PNG_KEY)
    except GraphTooLarge:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise GraphError(f"this PNG cannot be read: {err}") from None
    if not text:
        raise GraphError("this PNG was not exported by gradcanvas: it carries no graph document")
    return text
