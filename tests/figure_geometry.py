"""Measuring a laid-out figure as the canvas and the SVG draw it: edges that cross, edges that
run through a node, and edge labels that sit on a node or on another label.

Used by tests/test_figure_geometry.py and benchmarks/layout_quality.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from server.engine.graph import ComputationGraph
from server.export.figure import ExportOptions, build_figure
from server.export.scene import bezier, edge_curves, labels, node_extent, output_stub

SAMPLES = 48


@dataclass
class Report:
    crossings: list = field(default_factory=list)       # (edge, edge)
    through_nodes: list = field(default_factory=list)   # (edge, node)
    labels_on_nodes: list = field(default_factory=list)  # (label text, node)
    labels_on_labels: list = field(default_factory=list)  # (label text, label text)

    def total(self) -> int:
        return len(self.crossings) + len(self.through_nodes) + len(self.labels_on_nodes) + len(self.labels_on_labels)


def _segments_cross(p, q, r, s) -> bool:
    def orient(a, b, c):
        v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return (v > 1e-9) - (v < -1e-9)
    return orient(p, q, r) * orient(p, q, s) < 0 and orient(r, s, p) * orient(r, s, q) < 0


def _polyline(curve, t0=0.0, t1=1.0):
    return [bezier(curve, t0 + (t1 - t0) * k / SAMPLES) for k in range(SAMPLES + 1)]


def _inside(pt, ext, margin=0.0) -> bool:
    dx, dy = pt[0] - ext["cx"], pt[1] - ext["cy"]
    if ext["circle"]:
        return dx * dx + dy * dy < (ext["hw"] + margin) ** 2
    return abs(dx) < ext["hw"] + margin and abs(dy) < ext["hh"] + margin


def _box_hits_node(box, ext, margin=2.0) -> bool:
    x0, y0, x1, y1 = box
    if ext["circle"]:  # nearest point of the box to the centre
        nx, ny = min(max(ext["cx"], x0), x1), min(max(ext["cy"], y0), y1)
        return (nx - ext["cx"]) ** 2 + (ny - ext["cy"]) ** 2 < (ext["hw"] + margin) ** 2
    return x0 < ext["cx"] + ext["hw"] + margin and x1 > ext["cx"] - ext["hw"] - margin and \
        y0 < ext["cy"] + ext["hh"] + margin and y1 > ext["cy"] - ext["hh"] - margin


def _boxes_overlap(a, b, margin=1.0) -> bool:
    return a[0] < b[2] + margin and a[2] > b[0] - margin and a[1] < b[3] + margin and a[3] > b[1] - margin


def measure(doc: dict, options: ExportOptions = ExportOptions(state="all")) -> Report:
    """Everything drawn with every value and gradient shown, as an exported figure (in the
    book style by default; ``ExportOptions(style="editor")`` measures the canvas's look)."""
    graph = ComputationGraph.from_dict(doc)
    fig = build_figure(graph, options)
    exts = {n["id"]: node_extent(n) for n in fig.nodes}
    from server.engine.registry import OPS
    arity = {n["id"]: OPS[n["op"]].arity for n in fig.nodes}
    curves = edge_curves(fig, exts, arity)
    out_id = next((n["id"] for n in fig.nodes if n["output"]), None)
    drawn = [((e["source"], e["target"], e["port"]), c, e["value_text"], e["grad_text"],
              e.get("value_blank", False), e.get("grad_blank", False), e.get("shape")) for e, c in curves]
    if out_id is not None:
        drawn.append(((out_id, None, None), output_stub(exts[out_id]), fig.output_value_text, fig.output_grad_text,
                      fig.output_value_blank, fig.output_grad_blank, fig.output_shape))
    report = Report()
    lines = {name: _polyline(c, 0.06, 0.94) for name, c, *_ in drawn}
    names = [d[0] for d in drawn]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if a[0] == b[0]:
                continue  # edges out of one node start at its one output port, by design
            # (edges into one node end at different ports: they may still cross before them)
            la, lb = lines[a], lines[b]
            if any(_segments_cross(la[k], la[k + 1], lb[m], lb[m + 1])
                   for k in range(len(la) - 1) for m in range(len(lb) - 1)):
                report.crossings.append((a, b))
    for name, c, *_ in drawn:
        for nid, ext in exts.items():
            if nid in (name[0], name[1]):
                continue
            if any(_inside(pt, ext) for pt in _polyline(c)):
                report.through_nodes.append((name, nid))
    boxes = []
    for name, c, vt, gt, vb, gb, shape in drawn:
        placed = labels(c, vt, gt, vb, gb, shape)
        for kind in ("value", "grad"):
            if placed[kind] is not None:
                boxes.append((f"{kind} {placed[kind].text} on {name}", placed[kind].box()))
    for text, box in boxes:
        for nid, ext in exts.items():
            if _box_hits_node(box, ext):
                report.labels_on_nodes.append((text, nid))
    for i, (ta, ba) in enumerate(boxes):
        for tb, bb in boxes[i + 1:]:
            if _boxes_overlap(ba, bb):
                report.labels_on_labels.append((ta, tb))
    return report


def labels_on_edges(doc: dict, options: ExportOptions = ExportOptions(state="all")) -> list:
    """(label text, edge) where a value, gradient or shape badge lies on another edge's curve: a
    finer measure than ``measure``'s, for figures whose labels are long (tensors' texts and badges)."""
    graph = ComputationGraph.from_dict(doc)
    fig = build_figure(graph, options)
    exts = {n["id"]: node_extent(n) for n in fig.nodes}
    from server.engine.registry import OPS
    arity = {n["id"]: OPS[n["op"]].arity for n in fig.nodes}
    drawn = [((e["source"], e["target"], e["port"]), c, e["value_text"], e["grad_text"],
              e.get("value_blank", False), e.get("grad_blank", False), e.get("shape"))
             for e, c in edge_curves(fig, exts, arity)]
    out_id = next((n["id"] for n in fig.nodes if n["output"]), None)
    if out_id is not None:
        drawn.append(((out_id, None, None), output_stub(exts[out_id]), fig.output_value_text, fig.output_grad_text,
                      fig.output_value_blank, fig.output_grad_blank, fig.output_shape))
    lines = {name: _polyline(c, 0.0, 1.0) for name, c, *_ in drawn}
    found = []
    for name, c, vt, gt, vb, gb, shape in drawn:
        placed = labels(c, vt, gt, vb, gb, shape)
        for kind in ("value", "grad"):
            if placed[kind] is None:
                continue
            x0, y0, x1, y1 = placed[kind].box()
            for other, pts in lines.items():
                if other != name and any(x0 < x < x1 and y0 < y < y1 for x, y in pts):
                    found.append((f"{kind} {placed[kind].text} on {name}", other))
    return found
