"""The figure every exporter draws: nodes, edges and the texts to write on them."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine.display import fmt_brief
from ..engine.registry import OPS
from ..engine.symbols import mixed, symbolic
from ..engine.visible import Cursor, full_cursor, node_symbol, pass_orders, visible_state


@dataclass(frozen=True)
class ExportOptions:
    values: bool = True          # forward values, black, above each edge
    grads: bool = True           # gradients, gray, below each edge
    state: str = "all"           # "all": everything; "current": as the step cursor has revealed
    background: str = "white"    # "white" or "transparent"
    scale: float = 1.0
    style: str = "book"          # "book": as the book prints it; "editor": the canvas's look (ports, ring, glow)
    labels: str = "numbers"      # "numbers" | "symbols" (x, ∂L/∂z · y) | "both" (∂L/∂z · y = 2.2)
    blank: str = "none"          # a worksheet: "values", "grads" or "both" drawn as empty boxes
    answers: bool = False        # the worksheet's answer key: the blanked texts in their boxes, in colour


STYLES = ("book", "editor")
LABELS = ("numbers", "symbols", "both")
BLANKS = ("none", "values", "grads", "both")


def option_problem(options: "ExportOptions") -> str | None:
    """Why these options cannot be drawn, or None: one place for the endpoint and the CLI."""
    if options.state not in ("all", "current"):
        return f"state must be 'all' or 'current', not {options.state!r}"
    if options.style not in STYLES:
        return f"style must be one of {', '.join(STYLES)}, not {options.style!r}"
    if options.labels not in LABELS:
        return f"labels must be one of {', '.join(LABELS)}, not {options.labels!r}"
    if options.blank not in BLANKS:
        return f"blank must be one of {', '.join(BLANKS)}, not {options.blank!r}"
    if options.answers and options.blank == "none":
        return "answers draws a worksheet's answer key: give blank=values, grads or both with it"
    return None


@dataclass
class Figure:
    title: str
    document: dict               # the graph's document, embedded in SVG/PNG for re-import
    nodes: list = field(default_factory=list)   # {id, op, params, name, label, symbol, x, y, input, output, value_text, book, text, shape}
    edges: list = field(default_factory=list)   # {source, target, port, value_text, grad_text, value_blank, grad_blank, shape}
    options: ExportOptions = ExportOptions()
    output_value_text: str | None = None        # written on the output's own arrow
    output_grad_text: str | None = None
    output_value_blank: bool = False            # a worksheet's empty box instead of the text
    output_grad_blank: bool = False
    output_shape: str | None = None             # the output's shape badge, "(4, 3)", when it is a tensor
    current: str | None = None                  # the node of the last revealed step, when exporting mid-step
    sums: dict = field(default_factory=dict)    # symbolic: a fan-out node's gradient, the sum of its terms


def _texts(options: ExportOptions, expression, number):
    """The text an edge shows in this label mode, or None when the cursor has not reached it."""
    if number is None:
        return None
    if options.labels == "numbers":
        return number
    if options.labels == "symbols":
        return expression
    return mixed(expression, number)


# A figure of a graph holding a tensor spreads the editor's positions by this much (across,
# down): the canvas draws a tensor's numbers as a small heat map, a figure writes them as text
# beside a shape badge, several times wider (docs/tensors.md, Exports). Nodes keep their size.
TENSOR_SPREAD = (3.0, 1.6)


def _brief(text, value, shape):
    """A tensor's text as a figure writes it (display.fmt_brief: a few numbers, beside the shape
    badge) from its value as the state holds it (nested lists); a number's text as it is."""
    if shape is None or text is None or not isinstance(value, list):
        return text
    return fmt_brief(np.array(value, dtype=float))  # "NaN", "Infinity" as jsonable writes them read back


def build_figure(graph, options: ExportOptions = ExportOptions(), cursor: Cursor | None = None) -> Figure:
    problem = option_problem(options)
    if problem:
        raise ValueError(problem)
    shown = cursor if options.state == "current" and cursor is not None else full_cursor(graph)
    fwd, bwd = pass_orders(graph)
    state = visible_state(graph, shown, fwd, bwd)
    shapes = state["display"]["shapes"]
    sym = symbolic(graph) if options.labels != "numbers" else None
    book = options.style == "book"
    hide_values = options.blank in ("values", "both")
    hide_grads = options.blank in ("grads", "both")
    fig = Figure(graph.title, graph.to_dict(), options=options)
    sx, sy = TENSOR_SPREAD if shapes else (1.0, 1.0)
    for nid, attrs in graph.g.nodes(data=True):
        spec = OPS[attrs["op"]]
        symbol = node_symbol(attrs)
        name = sym.names[nid] if sym else (attrs.get("label") or nid)
        is_input = spec.arity == 0
        shape = shapes.get(nid)
        value_text = state["display"]["inputs"].get(nid) if options.labels != "symbols" else None
        if is_input and shape is not None:  # a tensor input's box names its shape; its numbers ride on its edges
            value_text = shape
        fig.nodes.append({
            "id": nid, "op": spec.name, "params": dict(attrs.get("params", {})),
            "name": name, "label": attrs.get("label") if not sym else None,
            "symbol": symbol,
            "x": attrs["x"] * sx, "y": attrs["y"] * sy, "input": is_input,
            "output": nid == state["output"],
            "value_text": value_text, "shape": shape,
            # book style: an input is its name as text at the tail of its arrow; a symbolic
            # figure writes the name on the arrow itself, as the book's figures do
            "book": book, "text": name if book and is_input and options.labels == "numbers" else "",
        })
    inputs = {nid for nid, a in graph.g.nodes(data=True) if OPS[a["op"]].arity == 0}
    out = state["output"]
    if out is not None:
        fig.output_shape = shapes.get(out)
        if options.values:
            number = _brief(state["display"]["values"].get(out), state["values"].get(out), fig.output_shape)
            fig.output_value_text = _texts(options, sym and sym.names[out], number)
            fig.output_value_blank = hide_values and fig.output_value_text is not None
        if options.grads:  # the seed gradient stays on a worksheet: it is where backward starts
            number = _brief(state["display"]["grads"].get(out), state["grads"].get(out), fig.output_shape)
            fig.output_grad_text = _texts(options, sym and sym.grads[out], number)
    if options.state == "current" and shown.step:
        order = fwd if shown.phase == "forward" else bwd
        fig.current = order[shown.step - 1]
    for e in state["edges"]:
        key = (e["source"], e["target"], e["port"])
        shape = e.get("shape")
        value = _texts(options, sym and sym.names[e["source"]], _brief(e["value_text"], e["value"], shape)) \
            if options.values else None
        grad = _texts(options, sym and sym.edges.get(key), _brief(e["grad_text"], e["grad"], shape)) \
            if options.grads else None
        fig.edges.append({
            "source": e["source"], "target": e["target"], "port": e["port"],
            "value_text": value, "grad_text": grad,
            # a worksheet hides what is computed: the inputs' given values stay
            "value_blank": hide_values and value is not None and e["source"] not in inputs,
            "grad_blank": hide_grads and grad is not None,
            "shape": shape,  # "(4, 3)" for a tensor: drawn as a badge beside the value
        })
    if sym and options.grads and not hide_grads:  # where every term has been reached
        missing = {e["source"] for e in state["edges"] if e["grad_text"] is None}
        fig.sums = {nid: text for nid, text in sym.sums.items() if nid not in missing}
    return fig
