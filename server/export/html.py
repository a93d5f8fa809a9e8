"""The stepper as one HTML file (``format=html``): opens from disk, with no server and no network.

It is the embed's page (templates/stepper.html) with everything inline:
- the steps, precomputed by the server (stepper_data.py): the browser plays them, computes nothing;
- the editor's own ES modules (static/js/stepper.js and what it imports, geometry.json too), so it
  draws with the same canvas code and says the same strings. Modules with relative imports do not
  load from file://, so each module's source is carried as a string, its relative imports
  rewritten to ``gcmod:<path>``; a small classic script (LOADER) turns them into blob: URLs,
  dependencies first, replacing each ``gcmod:`` specifier with its blob: URL, and imports the
  entry. The modules run as modules, unchanged otherwise (one instance each, live bindings);
- KaTeX (static/vendor/katex): its script, and its stylesheet with the fonts the explanation's
  LaTeX uses as data: URLs (the other faces are dropped; KaTeX then falls back to a system font).
  ``katex=False`` leaves it out: the explanation is then the plain text the editor shows when
  KaTeX cannot load (about 190 KB smaller).
"""
from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .stepper_data import stepper_data
from .style import _static

ENTRY = "stepper.js"
# The KaTeX faces \frac, \partial, \mathrm, \cdot, \times and the big delimiters use.
KATEX_FONTS = ("Main-Regular", "Main-Italic", "Main-Bold", "Math-Italic", "AMS-Regular",
               "Size1-Regular", "Size2-Regular", "Size3-Regular", "Size4-Regular")
IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}/[^'"]+)\2""")

# Blob URLs, dependencies first; the entry last. Classic script: it runs from file:// and srcdoc.
LOADER = r"""(() => {
  const { order, sources, entry } = JSON.parse(document.getElementById('gradcanvas-modules').textContent);
  const urls = {};
  for (const path of order) {
    const src = sources[path].replace(/(['"])gcmod:([^'"]+)\1/g, (m, q, dep) => q + urls[dep] + q);
    const type = path.endsWith('.json') ? 'application/json' : 'text/javascript';
    urls[path] = URL.createObjectURL(new Blob([src], { type }));
  }
  import(urls[entry]).catch((err) => {
    document.body.dataset.failed = String(err);
    console.error('gradcanvas: the stepper did not start:', err);
  });
})();"""


def _templates() -> Path:
    package = Path(__file__).resolve().parent.parent
    inside = package / "templates"
    return inside if inside.is_dir() else package.parent / "templates"


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(str(_templates())), autoescape=select_autoescape(["html"]))


def _resolve(base: str, spec: str) -> str:
    parts = base.split("/")[:-1]
    for piece in spec.split("/"):
        if piece == "..":
            parts.pop()
        elif piece not in (".", ""):
            parts.append(piece)
    return "/".join(parts)


@lru_cache(maxsize=1)
def module_bundle(entry: str = ENTRY) -> dict:
    """{order, sources, entry}: the modules ``entry`` needs, dependencies first, relative
    imports rewritten to ``gcmod:<path>`` (paths relative to static/js)."""
    root = _static() / "js"
    sources: dict[str, str] = {}
    order: list[str] = []
    visiting: set[str] = set()

    def visit(path: str):
        if path in sources:
            return
        if path in visiting:
            raise ValueError(f"static/js has an import cycle through {path}: the HTML export needs none")
        visiting.add(path)
        text = (root / path).read_text(encoding="utf-8")
        deps = []

        def rewrite(m):
            dep = _resolve(path, m.group(3))
            deps.append(dep)
            return f"{m.group(1)}{m.group(2)}gcmod:{dep}{m.group(2)}"
        text = text if path.endswith(".json") else IMPORT.sub(rewrite, text)
        for dep in deps:
            visit(dep)
        visiting.discard(path)
        sources[path] = text
        order.append(path)
    visit(entry)
    return {"order": order, "sources": sources, "entry": entry}


def script_json(value) -> str:
    """JSON that cannot end its <script> element early (every '<' escaped)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _script_safe(js: str) -> str:
    if "</script" in js.lower():
        raise ValueError("a script to inline holds '</script'")
    return js.replace("<!--", "<\\!--")


@lru_cache(maxsize=1)
def katex_assets() -> tuple[str, str]:
    """(css with the fonts inline, js)."""
    folder = _static() / "vendor" / "katex"
    css = (folder / "katex.min.css").read_text(encoding="utf-8")

    def face(m):
        block = m.group(0)
        name = re.search(r"KaTeX_([\w-]+)\.woff2", block)
        if not name or name.group(1) not in KATEX_FONTS:
            return ""
        data = base64.b64encode((folder / "fonts" / f"KaTeX_{name.group(1)}.woff2").read_bytes()).decode()
        return re.sub(r"src:[^;}]*", f'src:url(data:font/woff2;base64,{data}) format("woff2")', block)
    css = re.sub(r"@font-face\{[^}]*\}", face, css)
    if re.search(r"url\((?!data:)", css):
        raise ValueError("KaTeX's stylesheet still refers to a file")
    return css, _script_safe((folder / "katex.min.js").read_text(encoding="utf-8"))


def stepper_page(payload: dict, *, inline: bool, title: str, options: dict | None = None,
                 open_url: str | None = None, katex: bool = True) -> str:
    """The stepper page: for the embed (``inline=False``: the files come from /static) or as one file."""
    context = dict(inline=inline, title=title or "Untitled graph", options=dict(options or {}),
                   lang=(options or {}).get("lang"), open_url=open_url, steps_json=script_json(payload))
    if inline:
        css = (_static() / "css" / "stepper.css").read_text(encoding="utf-8")
        context.update(css=css.replace("</", "<\\/"), modules_json=script_json(module_bundle()), loader=LOADER,
                       katex_css=None, katex_js=None)
        if katex:
            context["katex_css"], context["katex_js"] = katex_assets()
    return _env().get_template("stepper.html").render(**context)


def render_html(graph, options=None, *, katex: bool = True, **page_options) -> str:
    """``format=html``: the single file. ``options`` (ExportOptions) gives the labels; page_options
    (step, theme, controls, lang, speed) become the page's defaults, which its URL can override."""
    labels = getattr(options, "labels", None)
    chosen = {"labels": labels if labels and labels != "numbers" else None, **page_options}
    return stepper_page(stepper_data(graph), inline=True, title=graph.title, options=chosen, katex=katex)
