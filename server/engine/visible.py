"""What a client may see: the evaluation filtered by the step cursor, with display strings.

The browser draws these strings as they are; ``display.fmt`` stays the one
function that formats numbers for a person.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .display import fmt, noise_of, shape_text
from .document import jsonable
from .document import GraphError
from .graph import ComputationGraph
from .registry import OPS
from .symbols import sum_text


@dataclass
class Cursor:
    phase: str = "idle"   # "idle" | "forward" | "backward"
    step: int = 0         # steps revealed in this phase
    total: int = 0        # steps in this phase

    def to_dict(self) -> dict:
        return asdict(self)


def pass_orders(graph: ComputationGraph) -> tuple[list, list]:
    """The node order of the forward and backward passes, without the events' texts."""
    plan = graph.plan
    try:
        graph._require_complete(plan)
        _, _, mask = plan.run_backward(plan.index[graph.output_node()])
        bwd = [plan.ids[i] for i in range(len(plan.ids) - 1, -1, -1) if mask[i]]
    except GraphError:
        bwd = []
    return list(plan.ids), bwd


def full_cursor(graph: ComputationGraph) -> Cursor:
    """A cursor with everything revealed: the figure as the book prints it."""
    fwd, bwd = pass_orders(graph)
    return Cursor("backward", len(bwd), len(bwd)) if bwd else Cursor("forward", len(fwd), len(fwd))


def node_symbol(attrs: dict) -> str:
    """The symbol drawn in a node, with its params filled in: '^2' (see OpSpec.display)."""
    return OPS[attrs["op"]].display_symbol(attrs.get("params"))


def _num(x):
    return jsonable(x), fmt(x)


def visible_state(graph: ComputationGraph, cursor: Cursor, fwd_order: list, bwd_order: list) -> dict:
    """The evaluation as far as the cursor has revealed it (see docs/protocol.md).

    One pass over nodes and edges, reading the plan's flat lists directly: this
    runs after every edit, for every graph size.
    """
    plan = graph.plan
    index, vals = plan.index, plan.vals
    if cursor.phase == "forward":
        shown_v = {index[n] for n in fwd_order[:cursor.step]}
    elif cursor.phase == "backward":
        shown_v = set(range(len(vals)))
    else:
        shown_v = set()
    grads = egrads = mask = None
    shown_g: set = set()
    output, output_error, output_problem = None, None, None
    try:
        output = graph.output_node()
    except GraphError as err:
        output_error, output_problem = str(err), err.as_cause()
    if cursor.phase == "backward" and cursor.step:
        grads, egrads, mask = plan.run_backward(index[output])
        shown_g = {index[n] for n in bwd_order[:cursor.step]}
    elif output is not None and output not in index:
        output_error = f"the output {output!r} cannot be computed yet"
        output_problem = {"reason": "output_not_computable", "params": {"node": output}, "error": output_error}

    sym = graph.symbols
    noise = noise_of(plan, (grads, egrads, mask), index[output]) if grads is not None else noise_of(plan)
    values, values_text, exact_values, value_symbols = {}, {}, {}, {}
    # Tensor nodes' shapes, "(4, 3)": structure, known from the wiring, so shown at every step.
    shapes = {plan.ids[i]: shape_text(v) for i, v in enumerate(vals) if hasattr(v, "shape")} \
        if graph._tensors and plan.ran else {}
    for i in sorted(shown_v):
        nid = plan.ids[i]
        values[nid] = jsonable(vals[i])
        values_text[nid] = fmt(vals[i], noise.value(i))
        value_symbols[nid] = sym.names[nid]
        if i in noise.values:
            exact_values[nid] = fmt(vals[i])
    grads_out, grads_text, exact_grads, grad_symbols, grad_sums = {}, {}, {}, {}, {}
    for i in sorted(shown_g):
        nid = plan.ids[i]
        grads_out[nid], grads_text[nid] = jsonable(grads[i]), fmt(grads[i], noise.grad(i))
        grad_symbols[nid] = sym.grads[nid]
        if nid in sym.sums:  # a fan-out's own step: every term it sums has arrived
            grad_sums[nid] = sum_text(sym, nid)
        if i in noise.grads:
            exact_grads[nid] = fmt(grads[i])
    edges = []
    arity = {nid: OPS[a["op"]].arity for nid, a in graph.g.nodes(data=True)}
    for (t, p), s in graph._wired.items():
        si, ti = index.get(s), index.get(t)
        v = vt = vs = g = gt = gs = None
        if si is not None and si in shown_v:
            v, vt, vs = values[s], values_text[s], value_symbols[s]  # an edge carries its source's value
        if ti is not None and ti in shown_g:
            eg = egrads[ti]
            raw = eg if arity[t] == 1 else eg[p]
            g, gt, gs = jsonable(raw), fmt(raw, noise.term(ti, p, raw)), sym.edges[(s, t, p)]
        edge = {"source": s, "target": t, "port": p, "value": v, "grad": g, "value_text": vt, "grad_text": gt,
                "value_symbol": vs, "grad_symbol": gs}
        if s in shapes:
            edge["shape"] = shapes[s]
        if vt == "0" and s in exact_values:  # noise shown as 0: the exact number, for hover
            edge["value_exact"] = exact_values[s]
        if gt == "0" and (ti, p) in noise.terms:
            edge["grad_exact"] = fmt(raw)
        edges.append(edge)
    inputs = {nid: fmt(a["value"]) for nid, a in graph.g.nodes(data=True) if a["op"] == "input"}
    symbols = {nid: node_symbol(a) for nid, a in graph.g.nodes(data=True) if "params" in a}
    errors = dict(plan.incomplete)
    errors.update(graph.faults())
    if grads is not None:  # where a NaN or ±∞ gradient starts, once its backward step is shown
        for i, msg in plan.grad_faults(index[output]).items():
            if i in shown_g:
                errors.setdefault(plan.ids[i], msg)
    return {
        "cursor": cursor.to_dict(),
        "values": values, "grads": grads_out, "edges": edges,
        "display": {"values": values_text, "grads": grads_text, "inputs": inputs, "symbols": symbols,
                    "shapes": shapes,
                    "value_symbols": value_symbols, "grad_symbols": grad_symbols, "grad_sums": grad_sums,
                    "exact": {"values": exact_values, "grads": exact_grads}},
        "errors": errors, "affected": sorted(graph.affected()) if plan.faults else [],
        "output": output if output in index else None, "output_error": output_error,
        "output_problem": output_problem,  # its reason and params, to say it in the UI's language
        "forward_total": len(fwd_order), "backward_total": len(bwd_order),
        "order": list(fwd_order),  # the computable nodes in topological (forward) order
    }


# -- #16 view: one node's whole value or gradient, as far as the cursor reveals it --
def revealed(graph: ComputationGraph, cursor: Cursor, fwd_order: list, bwd_order: list, node: str, of: str,
             edge: tuple | None = None):
    """The value (``of="value"``) or gradient (``"grad"``) of ``node`` (an array or a number),
    if the steps have shown it, as visible_state would: an input's own value always (its box
    shows it), a computed value once its forward step is shown (or in the backward pass), a
    gradient once its backward step is. With ``edge`` (target, port), an edge from ``node``:
    the gradient that edge carries back (one term of the node's, at a fan-out), shown once
    the target's backward step is. Otherwise a GraphError (``not_revealed``)."""
    if of not in ("value", "grad"):
        raise GraphError(f"of must be 'value' or 'grad', not {str(of)[:20]!r}", reason="not_value_or_grad",
                         of=str(of)[:20])
    if node not in graph.g:
        raise GraphError(f"there is no node {node[:40]!r}", reason="no_node", node=node[:40])
    plan = graph.plan
    i = plan.index.get(node)
    hidden = GraphError(f"the {'gradient' if of == 'grad' else 'value'} of {node!r} is not shown yet: "
                        "step on until it is", reason="not_revealed", node=node, of=of)
    if of == "value":
        if graph.g.nodes[node]["op"] == "input":
            return graph.g.nodes[node]["value"]
        shown = cursor.phase == "backward" or (cursor.phase == "forward" and node in fwd_order[:cursor.step])
        if i is None or not shown:
            raise hidden
        return plan.vals[i]
    if edge is not None:
        target, port = edge
        if graph._wired.get((target, port)) != node:
            raise GraphError(f"no edge from {node!r} into port {port} of {str(target)[:40]!r}",
                             reason="no_edge", node=node, target=str(target)[:40], port=port)
        if cursor.phase != "backward" or target not in bwd_order[:cursor.step]:
            raise hidden
        _, egrads, _ = plan.run_backward(plan.index[graph.output_node()])
        eg = egrads[plan.index[target]]
        return eg if OPS[graph.g.nodes[target]["op"]].arity == 1 else eg[port]
    if cursor.phase != "backward" or i is None or node not in bwd_order[:cursor.step]:
        raise hidden
    grads, _, _ = plan.run_backward(plan.index[graph.output_node()])
    return grads[i]


def _float(x):
    return float(x)  # "NaN"/"Infinity" strings from jsonable read back as floats


def wire_event(event: dict, symbols=None) -> dict:
    """A step event made JSON-safe, with display strings (and LaTeX) beside its numbers.

    With ``symbols`` (``graph.symbols``), what it reveals also has its symbolic text,
    as in visible_state: ``value_symbol`` forward, ``grad_symbol`` backward, on the
    event (its node's) and on each of its ``edges``; a fan-out's backward step also
    has ``grad_sum``, the gradient it receives as the sum of its terms.
    """
    from .latex import head_latex, rule_latex, shapes_latex, to_latex
    out = dict(event)
    if out["phase"] == "forward":
        out["latex"] = to_latex(out["text"])
    if "head" in out:
        out["head"] = {**out["head"], "latex": head_latex(out["head"])}
    for rule in out.get("rules", ()):
        if "shapes" in rule:  # a tensor rule: its shapes in the numbers' place
            rule["latex"] = shapes_latex(rule["port_name"], rule["rule"], rule["shapes"])
            rule["shapes_latex"] = to_latex(rule["shapes"])
        else:
            rule["latex"] = rule_latex(rule["port_name"], rule["rule"], rule["numbers"],
                                       rule.get("grad_text") or fmt(rule["grad"]))
    if "value" in out:
        out.setdefault("value_text", fmt(out["value"]))
        out["value"] = jsonable(out["value"])
        out["inputs"] = [jsonable(v) for v in out.get("inputs", [])]
    if "grad" in out:
        out.setdefault("grad_text", fmt(out["grad"]))
        out["grad"] = jsonable(out["grad"])
    for key in ("edges", "dout_terms", "rules"):
        if key in out:
            items = []
            for item in out[key]:
                item = dict(item)
                for f in ("value", "grad"):
                    if f in item:
                        item.setdefault(f + "_text", fmt(item[f]))
                        item[f] = jsonable(item[f])
                items.append(item)
            out[key] = items
    if symbols is not None and out["phase"] == "forward":
        out["value_symbol"] = symbols.names[out["node"]]
        for item in out.get("edges", ()):
            item["value_symbol"] = symbols.names[item["source"]]
    elif symbols is not None:
        out["grad_symbol"] = symbols.grads[out["node"]]
        if out["node"] in symbols.sums:
            out["grad_sum"] = sum_text(symbols, out["node"])
        for item in out.get("edges", ()):
            item["grad_symbol"] = symbols.edges[(item["source"], item["target"], item["port"])]
    return out
