"""The figure every exporter draws: nodes, edges and the texts to write on them."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.registry import OPS
from ..engine.visible import Cursor, full_cursor, node_symbol, pass_orders, visible_state


@dataclass(frozen=True)
class ExportOptions:
    values: bool = True          # forward values, black, above each edge
    grads: bool = True           # gradients, gray, below each edge
    state: str = "all"           # "all": everything; "current": as the step cursor has revealed
    background: str = "white"    # "white" or "transparent"
    scale: float = 1.0


@dataclass
class Figure:
    title: str
    document: dict               # the graph's document, embedded in SVG/PNG for re-import
    nodes: list = field(default_factory=list)   # {id, op, params, name, symbol, x, y, input, output, value_text}
    edges: list = field(default_factory=list)   # {source, target, port, value, grad, value_text, grad_text}
    options: ExportOptions = ExportOptions()
    output_value_text: str | None = None        # written on the output's own arrow
    output_grad_text: str | None = None
    current: str | None = None                  # the node of the last revealed step, when exporting mid-step


def build_figure(graph, options: ExportOptions = ExportOptions(), cursor: Cursor | None = None) -> Figure:
    if options.state not in ("all", "current"):
        raise ValueError("state must be 'all' or 'current'")
    shown = cursor if options.state == "current" and cursor is not None else full_cursor(graph)
    fwd, bwd = pass_orders(graph)
    state = visible_state(graph, shown, fwd, bwd)
    fig = Figure(graph.title, graph.to_dict(), options=options)
    for nid, attrs in graph.g.nodes(data=True):
        spec = OPS[attrs["op"]]
        symbol = node_symbol(attrs)
        fig.nodes.append({
            "id": nid, "op": spec.name, "params": dict(attrs.get("params", {})),
            "name": attrs.get("label") or nid, "label": attrs.get("label"),
            "symbol": symbol,
            "x": attrs["x"], "y": attrs["y"], "input": spec.arity == 0,
            "output": nid == state["output"],
            "value_text": state["display"]["inputs"].get(nid),
        })
    out = state["output"]
    if out is not None:
        fig.output_value_text = state["display"]["values"].get(out) if options.values else None
        fig.output_grad_text = state["display"]["grads"].get(out) if options.grads else None
    if options.state == "current" and shown.step:
        order = fwd if shown.phase == "forward" else bwd
        fig.current = order[shown.step - 1]
    for e in state["edges"]:
        fig.edges.append({
            "source": e["source"], "target": e["target"], "port": e["port"],
            "value_text": e["value_text"] if options.values else None,
            "grad_text": e["grad_text"] if options.grads else None,
        })
    return fig
