"""Step events for animation and explanation, read off an evaluated plan.

The numbers come from the same run as ``forward()``/``backward()``; this module
only arranges them per node and writes the arithmetic out for a learner:
``dx = dout · y = 1.1 × 2 = 2.2``.
"""
from __future__ import annotations

from string import Formatter

from .display import fmt, fmt_operand
from .registry import OPS


def name_of(graph, node_id: str) -> str:
    return graph.g.nodes[node_id].get("label") or node_id


def wrt(name: str) -> str:
    """'∂L/∂x', or '∂L/∂(x·x + x)' when the name is more than one word."""
    return f"∂L/∂{name}" if name.isidentifier() else f"∂L/∂({name})"


def substitute(template: str, layer, dout) -> str:
    """Fill ``{dout} × {y}`` with the layer's stored numbers."""
    values = {}
    for _, field, _, _ in Formatter().parse(template):
        if field and field not in values:
            values[field] = fmt_operand(dout if field == "dout" else getattr(layer, field))
    return template.format(**values)


def forward_text(graph, node_id: str, inputs: list, value) -> str:
    attrs = graph.g.nodes[node_id]
    spec = OPS[attrs["op"]]
    me = name_of(graph, node_id)
    if spec.arity == 0:
        return f"{me} = {fmt(value)}"
    srcs = graph._inputs[node_id]
    names = [name_of(graph, s) for s in srcs]
    nums = [fmt_operand(v) for v in inputs]
    if spec.notation == "power":  # x^2: the right side is the op's one param
        (param,) = spec.params
        p = fmt_operand(attrs["params"][param])
        sym, num = f"{names[0]}{spec.symbol}{p}", f"{nums[0]}{spec.symbol}{p}"
    elif spec.notation == "infix":
        sym, num = f"{names[0]} {spec.symbol} {names[1]}", f"{nums[0]} {spec.symbol} {nums[1]}"
    else:  # call or prefix: the call's own parentheses are enough: log(−1), not log((−1))
        sym = f"{spec.symbol}({', '.join(names)})"
        num = f"{spec.symbol}({', '.join(fmt(v) for v in inputs)})"
    return f"{me} = {sym} = {num} = {fmt(value)}"


def forward_steps(graph):
    """One event per computable node, in topological order."""
    plan = graph.plan
    vals, ids = plan.vals, plan.ids
    total = len(ids)
    out_edges = _edges_by_source(graph)
    for k, nid in enumerate(ids):
        attrs = graph.g.nodes[nid]
        srcs = graph._inputs.get(nid, []) if OPS[attrs["op"]].arity else []
        inputs = [vals[plan.index[s]] for s in srcs]
        value = vals[k]
        event = {
            "phase": "forward", "index": k + 1, "total": total, "node": nid, "op": attrs["op"],
            "inputs": inputs, "value": value,
            "edges": [{"source": nid, "target": t, "port": p, "value": value} for t, p in out_edges.get(nid, ())],
            "text": forward_text(graph, nid, inputs, value),
        }
        if k in plan.faults:
            event["fault"] = plan.faults[k]
        yield event


def backward_steps(graph, output=None):
    """One event per node on a path to the output, in reverse topological order."""
    plan = graph.plan
    graph._require_complete(plan)
    out = plan.index[graph.output_node(output)]
    grads, egrads, mask = plan.run_backward(out)
    order = [i for i in range(len(plan.ids) - 1, -1, -1) if mask[i]]
    out_edges = _edges_by_source(graph)
    for k, i in enumerate(order):
        nid = plan.ids[i]
        attrs = graph.g.nodes[nid]
        spec = OPS[attrs["op"]]
        dout = grads[i]
        me = name_of(graph, nid)
        terms = []
        for t, p in out_edges.get(nid, ()):
            ti = plan.index.get(t)
            if ti is not None and mask[ti]:
                eg = egrads[ti]
                terms.append({"target": t, "port": p, "grad": eg if OPS[graph.g.nodes[t]["op"]].arity == 1 else eg[p]})
        # the first line: where dout comes from, as maths (head) and a note in words
        lines, head = [], None
        if i == out:
            head = {"kind": "output", "lhs": "grad", "terms": [], "result": "1",
                    "note": "the output: backward starts here"}
        elif len(terms) > 1:
            head = {"kind": "sum", "lhs": "dout", "terms": [fmt_operand(t["grad"]) for t in terms],
                    "result": fmt(dout), "note": f"the sum of the {len(terms)} gradients arriving at {me}"}
        elif spec.arity == 0:
            head = {"kind": "input", "lhs": "grad", "terms": [], "result": fmt(dout), "note": ""}
        elif terms:
            head = {"kind": "arriving", "lhs": "dout", "terms": [], "result": fmt(dout),
                    "note": f"arriving from {name_of(graph, terms[0]['target'])}"}
        if head is not None:
            head["of"] = me
            lhs = wrt(me) if head["lhs"] == "grad" else "dout"
            head["text"] = " = ".join([lhs] + ([" + ".join(head["terms"])] if len(head["terms"]) > 1 else [])
                                      + [head["result"]])
            lines.append(head["text"] + (f" ({head['note']})" if head["note"] else ""))
        rules, edges = [], []
        if spec.arity:
            eg = egrads[i]
            layer = plan.layers[i]
            for p, port in enumerate(spec.ports):
                g = eg if spec.arity == 1 else eg[p]
                numbers = substitute(spec.numbers[p], layer, dout)
                text = f"d{port} = {spec.rule[p]} = {numbers}"
                if numbers != fmt(g):
                    text += f" = {fmt(g)}"
                rules.append({"port": p, "port_name": port, "rule": spec.rule[p], "numbers": numbers,
                              "grad": g, "text": text})
                edges.append({"source": graph._inputs[nid][p], "target": nid, "port": p, "grad": g})
                lines.append(text)
            if spec.note:
                lines.append(spec.note)
        event = {"phase": "backward", "index": k + 1, "total": len(order), "node": nid, "op": attrs["op"],
                 "dout_terms": terms, "grad": dout, "edges": edges, "rules": rules,
                 "text": "\n".join(lines)}
        if head is not None:
            event["head"] = head
        if i in plan.faults:
            event["fault"] = plan.faults[i]
        yield event


def _edges_by_source(graph) -> dict:
    out: dict[str, list] = {}
    for (t, p), s in graph._wired.items():
        out.setdefault(s, []).append((t, p))
    return out
