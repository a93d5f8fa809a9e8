"""The stepper in a notebook (issue 17): ``show(...)`` displays a graph's read-only stepper
inline in Jupyter or Colab, with no server running.

    from server.notebook import show, Graph
    show("doughnut")                                    # an example by name
    show("doughnut = 100; count = 2; tax = 1.1\\nprice = doughnut * count * tax")  # a formula
    show("graph.json")                                  # a file: JSON, SVG or PNG export, a layer script
    g = Graph("Doughnut shopping")
    price = g.input("doughnut", 100) * g.input("count", 2) * g.input("tax", 1.1)
    g.show(step="backward:all")

What shows is the single HTML file of ``gradcanvas export --format html`` (export/html.py:
every step precomputed here, in Python, by the engine; the browser only plays them), put in
an ``<iframe srcdoc>`` so its scripts run where a notebook sanitises or isolates output.

IPython is imported only when ``show()`` makes its display object, so ``import server.notebook``
works without it; ``pip install 'gradcanvas[notebook]'`` brings it. ``stepper_html()`` and
``iframe_html()`` give the same HTML as text, for anything else.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

from .engine.document import FORMAT, VERSION, Limits, GraphError
from .engine.graph import ComputationGraph
from .engine.registry import OPS

PAGE_OPTIONS = ("step", "labels", "theme", "controls", "lang", "speed")


# -- what to show ---------------------------------------------------------------------------------
def as_graph(source, limits: Limits = Limits()) -> ComputationGraph:
    """A ComputationGraph from a document (dict), a Graph builder, a ComputationGraph, a path to a
    file (JSON, SVG or PNG with the document inside, a Python layer script), an example's name
    or a formula."""
    if isinstance(source, ComputationGraph):
        return source
    if isinstance(source, Graph):
        source = source.document()
    if isinstance(source, dict):
        return ComputationGraph.from_dict(source, limits)
    if isinstance(source, Path) or (isinstance(source, str) and _is_file(source)):
        return ComputationGraph.from_dict(_document_from_path(Path(source), limits), limits)
    if isinstance(source, str):
        from .teaching.examples import NAMES, example_doc
        if source.strip() in NAMES:
            return ComputationGraph.from_dict(example_doc(source.strip()), limits)
        from .teaching.formula import parse_formula
        return ComputationGraph.from_dict(parse_formula(source, limits=limits), limits)
    raise TypeError("show() takes a graph document (dict), a Graph, a path, an example's name or a formula, "
                    f"not {type(source).__name__}")


def _is_file(text: str) -> bool:
    if "\n" in text or "=" in text or len(text) > 4096:
        return False
    try:
        return Path(text).is_file()
    except OSError:
        return False


def _document_from_path(path: Path, limits: Limits) -> dict:
    from .export.embed import document_from_file, sniff
    data = path.read_bytes()
    if sniff(data, path.name) == "py":
        from .teaching.pyimport import import_python
        return import_python(data, title=path.stem, limits=limits)
    return document_from_file(data, limits, path.name)


# -- the HTML ---------------------------------------------------------------------------------------
def stepper_html(source, *, katex: bool = True, **options) -> str:
    """The self-contained stepper page for ``source`` (see as_graph). Options: step
    ('forward:all', 'backward:2' …), labels ('numbers'|'symbols'|'both'), theme ('light'|'dark'),
    controls (False hides the step bar), lang ('en'|'ko'|'ja'), speed (1–10)."""
    from .export.html import render_html
    unknown = set(options) - set(PAGE_OPTIONS)
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(sorted(unknown))}; options: {', '.join(PAGE_OPTIONS)}")
    page = {k: _option_text(v) for k, v in options.items() if v is not None}
    return render_html(as_graph(source), katex=katex, **page)


def _option_text(value) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    return str(value)


def iframe_html(source, *, height: int = 480, **options) -> str:
    """The stepper in an ``<iframe srcdoc>``: its scripts run in the frame, whatever the notebook
    does to the output's own scripts."""
    page = stepper_html(source, **options)
    return (f'<div class="gradcanvas-stepper"><iframe srcdoc="{html.escape(page, quote=True)}" '
            f'title="gradcanvas stepper" style="width:100%;height:{int(height)}px;border:1px solid #ddd;'
            'border-radius:6px"></iframe></div>')


def show(source, *, height: int = 480, **options):
    """Display the read-only stepper for ``source`` (a document, a Graph, a path, an example's
    name or a formula) inline: an ``IPython.display.HTML``, shown when it ends a cell (or
    passed to ``display()``). Options as stepper_html()."""
    try:
        from IPython.display import HTML
    except ImportError:
        raise ImportError("show() needs IPython (a Jupyter or Colab kernel has it): "
                          "pip install 'gradcanvas[notebook]'; iframe_html() gives the HTML without it") from None
    return HTML(iframe_html(source, height=height, **options))


# -- a small builder -----------------------------------------------------------------------------------
class Node:
    """A node of a Graph being built: combine nodes with + - * / ** and unary -, or with the
    Graph's op methods (g.exp(x), g.mul(x, y), g.pow(x, exponent=3)); a plain number becomes an input."""

    def __init__(self, graph: "Graph", nid: str):
        self.graph, self.id = graph, nid

    def __repr__(self):
        return f"Node({self.id!r})"

    def _bin(self, symbol, other, swap=False):
        op = _operator(symbol)
        a, b = (other, self) if swap else (self, other)
        if symbol == "**":
            if isinstance(b, Node):
                raise GraphError("the exponent of ** is the pow node's parameter: a number, not a node")
            return self.graph.op(op, a, **{next(iter(OPS[op].params)): b})
        return self.graph.op(op, a, b)

    def __add__(self, o): return self._bin("+", o)
    def __radd__(self, o): return self._bin("+", o, swap=True)
    def __sub__(self, o): return self._bin("-", o)
    def __rsub__(self, o): return self._bin("-", o, swap=True)
    def __mul__(self, o): return self._bin("*", o)
    def __rmul__(self, o): return self._bin("*", o, swap=True)
    def __truediv__(self, o): return self._bin("/", o)
    def __rtruediv__(self, o): return self._bin("/", o, swap=True)
    def __pow__(self, o): return self._bin("**", o)

    def __neg__(self):
        from .teaching.formula import unary_operators
        return self.graph.op(unary_operators()["-"], self)


def _operator(symbol: str) -> str:
    from .teaching.formula import binary_operators
    ops = binary_operators()
    if symbol not in ops:
        raise GraphError(f"no op for {symbol!r}")
    return ops[symbol]


class Graph:
    """A graph built in Python, laid out as the book draws it, then shown or saved.

        g = Graph("Doughnut shopping")
        doughnut, count, tax = g.input("doughnut", 100), g.input("count", 2), g.input("tax", 1.1)
        price = g.mul(g.mul(doughnut, count), tax, name="price")   # or: doughnut * count * tax
        g.show()

    The last node made is the output unless ``g.output(node)`` says otherwise. Op methods
    (add, mul, sub, div, exp, log, sigmoid, relu, tanh, pow …) are the registry's ops, by name.
    """

    def __init__(self, title: str = ""):
        self.title = title
        self.nodes: list[dict] = []
        self.edges: list[dict] = []
        self._output: str | None = None
        self._counts: dict[str, int] = {}

    def _new_id(self, op: str, name: str | None) -> str:
        taken = {n["id"] for n in self.nodes}
        if name and name not in taken:
            return name
        while True:
            self._counts[op] = self._counts.get(op, 0) + 1
            nid = f"{op}{self._counts[op]}"
            if nid not in taken:
                return nid

    def input(self, name: str | None, value: float) -> Node:
        """An input node holding ``value``, labelled ``name``."""
        nid = self._new_id("input", name)
        node = {"id": nid, "op": "input", "value": value}
        if name:
            node["label"] = name
        self.nodes.append(node)
        self._output = nid
        return Node(self, nid)

    def op(self, op: str, *inputs, name: str | None = None, **params) -> Node:
        """A node of op ``op`` fed by ``inputs`` (Nodes, or numbers made into inputs)."""
        if op not in OPS or op == "input":
            raise GraphError(f"unknown op {op!r}; ops: {', '.join(n for n in OPS if n != 'input')}")
        spec = OPS[op]
        if len(inputs) != len(spec.ports):
            raise GraphError(f"{op} takes {len(spec.ports)} input(s), not {len(inputs)}")
        sources = [self._node(x).id for x in inputs]
        nid = self._new_id(op, name)
        node = {"id": nid, "op": op}
        if name:
            node["label"] = name
        if params:
            node["params"] = dict(params)
        self.nodes.append(node)
        self.edges.extend({"source": s, "target": nid, "port": p} for p, s in enumerate(sources))
        self._output = nid
        return Node(self, nid)

    def _node(self, x) -> Node:
        if isinstance(x, Node):
            if x.graph is not self:
                raise GraphError(f"{x.id} belongs to another Graph")
            return x
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return self.input(None, x)
        raise GraphError(f"an input must be a node or a number, not {type(x).__name__}")

    def __getattr__(self, op: str):
        if op.startswith("_") or op not in OPS or op == "input":
            raise AttributeError(op)
        return lambda *inputs, name=None, **params: self.op(op, *inputs, name=name, **params)

    def output(self, node: Node) -> Node:
        self._output = self._node(node).id
        return node

    def document(self) -> dict:
        """The laid-out, validated document (the gradcanvas JSON format)."""
        from .teaching.layout import layout
        doc = {"format": FORMAT, "version": VERSION, "title": self.title,
               "nodes": [dict(n) for n in self.nodes], "edges": [dict(e) for e in self.edges],
               "output": self._output}
        doc = layout(doc)
        ComputationGraph.from_dict(doc)  # refuses what the editor would
        return doc

    def save(self, path) -> None:
        Path(path).write_text(json.dumps(self.document(), indent=2, ensure_ascii=False), encoding="utf-8")

    def show(self, **options):
        return show(self, **options)

    def _repr_html_(self):  # a Graph at the end of a cell shows itself
        return iframe_html(self)
