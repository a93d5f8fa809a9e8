"""Step events for animation and explanation, read off an evaluated plan.

The numbers come from the same run as ``forward()``/``backward()``; this module
only arranges them per node and writes the arithmetic out for a learner:
``dx = dout · y = 1.1 × 2 = 2.2``.
"""
from __future__ import annotations

import ast
import math
import re
from functools import lru_cache
from string import Formatter

from .display import fmt, fmt_operand, fmt_sum, noise_of, shape_text
from .layers.basic import divide
from .layers.functions import power
from .registry import OPS


def name_of(graph, node_id: str) -> str:
    return graph.g.nodes[node_id].get("label") or node_id


def wrt(name: str) -> str:
    """'∂L/∂x', or '∂L/∂(x·x + x)' when the name is more than one word."""
    return f"∂L/∂{name}" if name.isidentifier() else f"∂L/∂({name})"


def substitute(template: str, layer, dout, floors=None) -> str:
    """Fill ``{dout} × {y}`` with the layer's stored numbers (``floors``: name → noise floor)."""
    values = {}
    floors = floors or {}
    for _, field, _, _ in Formatter().parse(template):
        if field and field not in values:
            values[field] = fmt_operand(dout if field == "dout" else getattr(layer, field), floors.get(field, 0.0))
    return template.format(**values)


# -- is the arithmetic shown true? ----------------------------------------------------
_TO_PYTHON = [("−", "-"), ("×", "*"), ("÷", "/"), ("·", "*"), ("²", "**2"), ("^", "**"), ("[", "("), ("]", ")")]


@lru_cache(maxsize=None)
def _template_ast(template: str):
    """A numbers template as a Python expression over ``V['name']``, parsed once."""
    py = template
    for a, b in _TO_PYTHON:
        py = py.replace(a, b)
    py = re.sub(r"(?<![<>=!])=(?!=)", "==", py)
    py = re.sub(r"\{(\w+)\}", r"V['\1']", py)
    return ast.parse(py, mode="eval").body


def _ieee(node, V):
    """Evaluate with IEEE 754's answers (x/0 is ±∞, 0^−1 is ∞), as the layers compute."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Subscript):
        return float(V[node.slice.value])
    if isinstance(node, ast.UnaryOp):
        return -_ieee(node.operand, V)
    if isinstance(node, ast.Compare):
        x, y = _ieee(node.left, V), _ieee(node.comparators[0], V)
        op = type(node.ops[0])
        return float(x > y if op is ast.Gt else x < y if op is ast.Lt else x == y)
    x, y = _ieee(node.left, V), _ieee(node.right, V)
    op = type(node.op)
    if op is ast.Add:
        return x + y
    if op is ast.Sub:
        return x - y
    if op is ast.Mult:
        return x * y
    if op is ast.Div:
        return divide(x, y)
    return power(x, y)


def template_value(template: str, values: dict) -> float:
    """What a numbers template computes with these numbers (Iverson brackets are 1 or 0)."""
    return _ieee(_template_ast(template), values)


def agrees(said: float, got: float) -> bool:
    """Whether a rule's arithmetic gives what the layer sent: the same NaN, ±∞ or number
    (to rounding: a template may group its products differently from backward)."""
    if said != said or got != got:
        return said != said and got != got
    return said == got or math.isclose(said, got, rel_tol=1e-9)


def is_tensor(x) -> bool:
    return x.__class__ is not float and hasattr(x, "shape")


def forward_text(graph, node_id: str, inputs: list, value, floors=(), floor=0.0) -> str:
    """``y = a × b = 2 × 3 = 6``; ``floors``: the inputs' noise floors, ``floor``: the value's.

    With tensors, the shapes take the numbers' place: ``h = x · W : (4, 3) · (3, 2) → (4, 2)``
    (a scalar result, a loss, still ends with its number)."""
    me = name_of(graph, node_id)
    parts = forward_parts(graph, node_id, inputs, floors)
    if parts is None:
        # a tensor input by its shape: its entries are the matrix view's (a line cannot hold them)
        return f"{me} = {fmt(value)}" if not is_tensor(value) else f"{me} : {shape_text(value)}"
    sym, num = parts
    if any(map(is_tensor, inputs)) or is_tensor(value):
        return f"{me} = {sym} : {num} → " + (shape_text(value) if is_tensor(value) else f"() = {fmt(value)}")
    return f"{me} = {sym} = {num} = {fmt(value, floor)}"


def forward_parts(graph, node_id: str, inputs: list, floors=()):
    """(``a × b``, ``2 × 3``): the op over its inputs' names and over their numbers; None for an input."""
    attrs = graph.g.nodes[node_id]
    spec = OPS[attrs["op"]]
    if spec.arity == 0:
        return None
    floors = list(floors) or [0.0] * len(inputs)
    srcs = graph._inputs[node_id]
    names = [name_of(graph, s) for s in srcs]
    if any(map(is_tensor, inputs)):  # tensors: their shapes, as the explanation writes the rules
        nums = [shape_text(v) or "()" for v in inputs]
        if spec.notation == "infix":
            return f"{names[0]} {spec.symbol} {names[1]}", f"{nums[0]} {spec.symbol} {nums[1]}"
        return f"{spec.symbol}({', '.join(names)})", f"{spec.symbol}({', '.join(nums)})"
    nums = [fmt_operand(v, f) for v, f in zip(inputs, floors)]
    if spec.notation == "power":  # x^2: the right side is the op's one param
        (param,) = spec.params
        p = fmt_operand(attrs["params"][param])
        sym, num = f"{names[0]}{spec.symbol}{p}", f"{nums[0]}{spec.symbol}{p}"
    elif spec.notation == "infix":
        sym, num = f"{names[0]} {spec.symbol} {names[1]}", f"{nums[0]} {spec.symbol} {nums[1]}"
    else:  # call or prefix: the call's own parentheses are enough: log(−1), not log((−1))
        sym = f"{spec.symbol}({', '.join(names)})"
        num = f"{spec.symbol}({', '.join(fmt(v, f) for v, f in zip(inputs, floors))})"
    return sym, num


def _forward_floors(plan, noise, k, srcs, layer):
    """The inputs' floors for node ``k``'s text: noise shown as 0 only where the op,
    given that 0, still gives the value shown (log(0) would not)."""
    idx = [plan.index[s] for s in srcs]
    floors = [noise.value(i) for i in idx]
    if any(floors) and k not in noise.values:
        import copy
        args = [0.0 if f else plan.vals[i] for i, f in zip(idx, floors)]
        try:
            same = fmt(copy.copy(layer).forward(*args)) == fmt(plan.vals[k])
        except (ArithmeticError, ValueError):
            same = False
        if not same:
            floors = [0.0] * len(idx)
    return floors


def _exact(event, key, raw, text):
    """Beside a number shown as 0 for being noise, its exact text (for hover)."""
    if text == "0" and raw != 0 and math.isfinite(raw):
        event[key + "_exact"] = fmt(raw)


def forward_steps(graph):
    """One event per computable node, in topological order."""
    plan = graph.plan
    vals, ids = plan.vals, plan.ids
    total = len(ids)
    out_edges = _edges_by_source(graph)
    noise = noise_of(plan)
    for k, nid in enumerate(ids):
        attrs = graph.g.nodes[nid]
        srcs = graph._inputs.get(nid, []) if OPS[attrs["op"]].arity else []
        inputs = [vals[plan.index[s]] for s in srcs]
        value = vals[k]
        floors = _forward_floors(plan, noise, k, srcs, plan.layers[k]) \
            if srcs and not any(map(is_tensor, inputs)) and not is_tensor(value) else []
        value_text = fmt(value, noise.value(k))
        edges = []
        for t, p in out_edges.get(nid, ()):
            edge = {"source": nid, "target": t, "port": p, "value": value, "value_text": value_text}
            _exact(edge, "value", value, value_text)
            edges.append(edge)
        event = {
            "phase": "forward", "index": k + 1, "total": total, "node": nid, "op": attrs["op"],
            "inputs": inputs, "value": value, "value_text": value_text, "edges": edges,
            "text": forward_text(graph, nid, inputs, value, floors, noise.value(k)),
        }
        parts = forward_parts(graph, nid, inputs, floors)
        if parts is not None:  # the arithmetic alone (2 × 3), for the spoken narration
            event["numbers"] = parts[1]
        if is_tensor(value) or any(map(is_tensor, inputs)):  # the shapes alone: (4, 3) · (3, 2) → (4, 2)
            event["shapes"] = (parts[1] + " → " if parts is not None else "") + (shape_text(value) or "()")
            event["shape"] = shape_text(value)
        _exact(event, "value", value, value_text)
        if k in plan.faults:
            event["fault"] = plan.faults[k]
        yield event


def backward_steps(graph, output=None):
    """One event per node on a path to the output, in reverse topological order.

    Arithmetic is written out only where it is true: at a failed node no gradient
    passes (its rules say so, with the fault), and where a rule's numbers do not
    compute what the layer sends (an input is NaN; 0 × ∞), the rule gives the
    result and why (``why``) instead of the numbers.
    """
    plan = graph.plan
    graph._require_complete(plan)
    out = plan.index[graph.output_node(output)]
    backward = plan.run_backward(out)
    grads, egrads, mask = backward
    grad_faults = plan.grad_faults(out)
    noise = noise_of(plan, backward, out)
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
                g = eg if OPS[graph.g.nodes[t]["op"]].arity == 1 else eg[p]
                term = {"target": t, "port": p, "grad": g, "grad_text": fmt(g, noise.term(ti, p, g))}
                _exact(term, "grad", g, term["grad_text"])
                terms.append(term)
        grad_text = fmt(dout, noise.grad(i))
        # the first line: where dout comes from, as maths (head) and a note in words
        lines, head = [], None
        if i == out:
            head = {"kind": "output", "lhs": "grad", "terms": [], "result": "1",
                    "note": "the output: backward starts here"}
        elif len(terms) > 1:
            shown, grad_text = fmt_sum([t["grad"] for t in terms], dout, noise.grad(i),
                                       [noise.term(plan.index[t["target"]], t["port"], t["grad"]) for t in terms])
            head = {"kind": "sum", "lhs": "dout", "terms": shown,
                    "result": grad_text, "note": f"the sum of the {len(terms)} gradients arriving at {me}"}
        elif spec.arity == 0:
            head = {"kind": "input", "lhs": "grad", "terms": [], "result": grad_text, "note": ""}
        elif terms:
            head = {"kind": "arriving", "lhs": "dout", "terms": [], "result": grad_text,
                    "note": f"arriving from {name_of(graph, terms[0]['target'])}"}
        if head is not None:
            head["of"] = me
            if dout.__class__ is not float and getattr(dout, "ndim", 0):  # a tensor: its maths line says its shape
                head["shape"] = shape_text(dout)
            lhs = wrt(me) if head["lhs"] == "grad" else "dout"
            head["text"] = " = ".join([lhs] + ([" + ".join(head["terms"])] if len(head["terms"]) > 1 else [])
                                      + [head["result"]])
            lines.append(head["text"] + (f" ({head['note']})" if head["note"] else ""))
        rules, edges = [], []
        if spec.arity:
            rules, edges = _rules(graph, plan, i, nid, spec, dout, egrads[i], noise)
            lines += [r["text"] + (f" ({r['why']})" if "why" in r else "") for r in rules]
            if spec.note:
                lines.append(spec.note)
        event = {"phase": "backward", "index": k + 1, "total": len(order), "node": nid, "op": attrs["op"],
                 "dout_terms": terms, "grad": dout, "grad_text": grad_text, "edges": edges, "rules": rules,
                 "text": "\n".join(lines)}
        _exact(event, "grad", dout, grad_text)
        if head is not None:
            event["head"] = head
        if i in plan.faults:
            event["fault"] = plan.faults[i]
        if i in grad_faults:
            event["grad_fault"] = grad_faults[i]
        yield event


def _rules(graph, plan, i, nid, spec, dout, eg, noise):
    """Each port's rule, with its numbers where they compute what backward sent."""
    layer = plan.layers[i]
    srcs = graph._inputs[nid]
    idx = [plan.index[s] for s in srcs]
    me = name_of(graph, nid)
    # each stored number's noise floor, by the name the templates use
    floors = {"dout": noise.grad(i), "out": noise.value(i)}
    floors.update((port, noise.value(j)) for port, j in zip(spec.ports, idx))
    rules, edges = [], []
    values = {port: plan.vals[j] for port, j in zip(spec.ports, idx)}
    values.update(dout=dout, out=plan.vals[i])
    tensors = any(map(is_tensor, values.values()))
    for p, port in enumerate(spec.ports):
        g = eg if spec.arity == 1 else eg[p]
        g_text = fmt(g, noise.term(i, p, g)) if not tensors else fmt(g)
        rule = {"port": p, "port_name": port, "rule": spec.rule[p], "numbers": None, "grad": g,
                "grad_text": g_text}
        if tensors:  # the rule with its shapes: dW = xᵀ · dout : (3, 4) · (4, 2) = (3, 2)
            rule["shapes"] = rule_shapes(spec.shapes[p], values, layer, g)
            if i in plan.faults:
                rule["why"] = f"no gradient passes {me}, whose forward failed: {plan.faults[i]}"
        elif i in plan.faults:
            rule["why"] = f"no gradient passes {me}, whose forward failed: {plan.faults[i]}"
        else:
            template = spec.numbers[p]
            names = {f for _, f, _, _ in Formatter().parse(template) if f}
            raw = {n: dout if n == "dout" else getattr(layer, n) for n in names}
            shown = {n: 0.0 if floors.get(n) else v for n, v in raw.items()}
            if agrees(template_value(template, shown), 0.0 if g_text == "0" else g):
                rule["numbers"] = substitute(template, layer, dout, floors)
            elif agrees(template_value(template, raw), g):
                rule["numbers"] = substitute(template, layer, dout)  # the noise, as it is
                rule["grad_text"] = g_text = fmt(g)
            elif not all(map(math.isfinite, raw.values())):
                rule["why"] = (f"{substitute(template, layer, dout)} has no number here: an input is NaN or ±∞, "
                               f"downstream of a numerical fault; {me} sends {g_text}, as PyTorch does")
            else:
                rule["why"] = f"{substitute(template, layer, dout)} has no value here; {g_text} is its limit"
        if "shapes" in rule:
            text = f"d{port} = {spec.rule[p]} : {rule['shapes']}"
        elif rule["numbers"] is None:
            text = f"d{port} = {g_text}"
        else:
            text = f"d{port} = {spec.rule[p]} = {rule['numbers']}"
            if rule["numbers"] != g_text:
                text += f" = {g_text}"
        rule["text"] = text
        _exact(rule, "grad", g, g_text)
        rules.append(rule)
        edge = {"source": srcs[p], "target": nid, "port": p, "grad": g, "grad_text": g_text}
        _exact(edge, "grad", g, g_text)
        edges.append(edge)
    return rules, edges


_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(ᵀ?)")


def rule_shapes(template: str, values: dict, layer, grad) -> str:
    """A rule written with its operands' shapes and the result's: ``xᵀ · dout`` →
    ``(3, 4) · (4, 2) = (3, 2)``. A name is ``dout``, ``out``, a port, or a number the layer
    keeps (softmax_with_loss's ``y``); ``ᵀ`` after it transposes its shape; other words
    (``sum``, ``axis``, ``N``) stay as they are."""
    def sub(m):
        name, t = m.group(1), m.group(2)
        v = values[name] if name in values else getattr(layer, name, None) if name in getattr(layer, "__slots__", ()) else None
        if v is None:
            return m.group(0)
        shape = tuple(v.shape) if is_tensor(v) else ()
        return str(shape[::-1] if t else shape)
    return f"{_NAME.sub(sub, template)} = {shape_text(grad) or '()'}"


def _edges_by_source(graph) -> dict:
    out: dict[str, list] = {}
    for (t, p), s in graph._wired.items():
        out.setdefault(s, []).append((t, p))
    return out
