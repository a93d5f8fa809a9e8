"""Fill-in practice: a graph's blanks with their answers and hints, computed here once.

``GET /api/graphs/<id>/practice`` serves :func:`practice`. The browser hides what the
learner fills in, compares each typed number with the answer it was sent (relative
1e−6, or the display string), and shows a blank's hint when an answer is wrong; it
never computes a value. Everything a hint says comes from the op registry: the local
rule (``OpSpec.rule``) and its numbers template (``OpSpec.numbers``), filled with the
numbers the step events carry (server/engine/steps.py), the answer left as ``?``.

The blanks are a worksheet's boxes (server/export/figure.py, ``blank=``): every
computed value on an edge and on the output's arrow (the inputs' own values stay),
and every gradient on an edge (the output's seed 1 stays). A blank's ``step`` is the
step that reveals it in the stepper: forward 1…F for values, then F+1… for gradients
in backward order, so "in order" means the order of the passes.

A hint is sent as parts, so that a number that is itself a blank not yet filled can
be shown as ``?``: each part is ``{"text"}``, and a number taken from other blanks
also has ``"needs": [blank ids]``. ``text`` is the whole hint in English with every
number shown (for tests, and for any client without the catalogue's sentence).
"""
from __future__ import annotations

import math
import re
from string import Formatter

from ..engine.display import fmt, fmt_operand
from ..engine.graph import ComputationGraph
from ..engine.registry import OPS
from ..engine.steps import backward_steps, forward_steps, name_of, wrt
from ..engine.visible import full_cursor, pass_orders, visible_state

MODES = ("values", "grads", "both")

# The hint's sentence in English; the browser says it from its catalogue
# (practice.hint.value / practice.hint.grad in static/js/lang/*.js), with the same fields.
SENTENCES = {
    "value": "the {op} node computes {rule}: {numbers} = ?",
    "grad": "the {op} node sends {rule}: {numbers} = ?",
}
# The words a backward rule is told in (practice.word.* in the catalogues).
WORDS = {"dout": "dout", "other": "the other input", "this": "this input", "out": "the output"}


def value_id(target: str, port: int) -> str:
    """The blank for the value on the edge into ``target``'s ``port``."""
    return f"v:{target}:{port}"


def grad_id(target: str, port: int) -> str:
    """The blank for the gradient on the edge into ``target``'s ``port``."""
    return f"g:{target}:{port}"


OUTPUT_VALUE = "v:output"  # the value on the output's own arrow


def practice(graph: ComputationGraph) -> dict:
    """Every blank of every mode, in step order, with the full figure's texts.

    The browser picks a mode's blanks by ``kind``; one payload serves all three modes.
    A graph that cannot be evaluated (an op not wired) raises its GraphError (a Refused).
    """
    fwd_events = list(forward_steps(graph))
    graph._require_complete(graph.plan)
    bwd_events = list(backward_steps(graph))
    fwd, bwd = pass_orders(graph)
    state = visible_state(graph, full_cursor(graph), fwd, bwd)
    output = state["output"]
    inputs = {nid for nid, a in graph.g.nodes(data=True) if OPS[a["op"]].arity == 0}
    out_edges: dict[str, list] = {}
    for (t, p), s in sorted(graph._wired.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        out_edges.setdefault(s, []).append((t, p))

    def value_refs(nid):
        """The blanks a node's value is written in: its out-edges, and the output's arrow."""
        if nid in inputs:
            return []
        refs = [value_id(t, p) for t, p in out_edges.get(nid, ())]
        return refs + ([OUTPUT_VALUE] if nid == output else [])

    def grad_refs(nid):
        """The blanks a node's gradient (dout) is the sum of: the gradients on its out-edges."""
        return [] if nid == output else [grad_id(t, p) for t, p in out_edges.get(nid, ())]

    blanks = []
    for ev in fwd_events:
        nid = ev["node"]
        if nid in inputs:
            continue
        hint = _value_hint(graph, nid, ev["inputs"], value_refs)
        for t, p in out_edges.get(nid, ()):
            blanks.append(_blank(value_id(t, p), "value", ev["index"], nid, t, p, ev["value"],
                                 ev["value_text"], name_of(graph, nid), hint))
        if nid == output:
            blanks.append(_blank(OUTPUT_VALUE, "value", ev["index"], nid, None, None, ev["value"],
                                 ev["value_text"], name_of(graph, nid), hint))
    forward_total = len(fwd_events)
    for ev in bwd_events:
        nid = ev["node"]
        spec = OPS[ev["op"]]
        srcs = graph._inputs.get(nid, [])
        for rule in ev["rules"]:
            p = rule["port"]
            src = srcs[p]
            name = wrt(name_of(graph, src))
            if len(out_edges.get(src, ())) > 1:  # a fan-out: this edge's own term
                name += f" ← {name_of(graph, nid)}"
            hint = _grad_hint(graph, nid, spec, p, ev, value_refs, grad_refs)
            blanks.append(_blank(grad_id(nid, p), "grad", forward_total + ev["index"], src, nid, p,
                                 rule["grad"], rule["grad_text"], name, hint))
    edges = [{"source": e["source"], "target": e["target"], "port": e["port"],
              "value_text": e["value_text"], "grad_text": e["grad_text"]} for e in state["edges"]]
    shown_output = None
    if output is not None:
        shown_output = {"node": output,
                        "value_text": (state["display"]["inputs"].get(output) if output in inputs
                                       else state["display"]["values"].get(output)),
                        "grad_text": state["display"]["grads"].get(output)}
    return {"title": graph.title, "modes": list(MODES), "blanks": blanks, "edges": edges,
            "output": shown_output, "forward_total": forward_total, "backward_total": len(bwd_events),
            "sentences": SENTENCES, "words": WORDS}


def _blank(bid, kind, step, node, target, port, answer, answer_text, name, hint) -> dict:
    return {"id": bid, "kind": kind, "step": step, "node": node, "target": target, "port": port,
            "answer": _json_number(answer), "answer_text": answer_text, "name": name, "hint": hint}


def _json_number(x):
    """The answer as JSON has it: NaN and ±∞ as null (their display string is the answer then)."""
    x = float(x)
    return x if math.isfinite(x) else None


# -- hints ----------------------------------------------------------------------------------
def _value_hint(graph, nid, inputs, value_refs) -> dict:
    """``the mul node computes doughnut × count: 100 × 2 = ?``, each number a part."""
    attrs = graph.g.nodes[nid]
    spec = OPS[attrs["op"]]
    srcs = graph._inputs[nid]
    names = [name_of(graph, s) for s in srcs]
    if spec.notation == "power":
        (param,) = spec.params
        template = "{0}" + spec.symbol + fmt_operand(attrs["params"][param])
        rule = names[0] + spec.symbol + fmt_operand(attrs["params"][param])
    elif spec.notation == "infix":
        template, rule = "{0} " + spec.symbol + " {1}", f"{names[0]} {spec.symbol} {names[1]}"
    else:  # call or prefix, as steps.forward_parts writes them
        template = spec.symbol + "(" + ", ".join("{%d}" % i for i in range(len(srcs))) + ")"
        rule = f"{spec.symbol}({', '.join(names)})"
    call = spec.notation not in ("power", "infix")
    numbers = {str(i): ((fmt if call else fmt_operand)(v), value_refs(s)) for i, (v, s) in enumerate(zip(inputs, srcs))}
    parts = _parts(template, numbers)
    return _hint("value", spec, rule, rule, parts)


def _grad_hint(graph, nid, spec, port, event, value_refs, grad_refs) -> dict:
    """``the mul node sends dout × the other input: 1 × 200 = ?``, each number a part."""
    rule = event["rules"][port]
    words = _rule_words(spec, port)
    if rule["numbers"] is None:  # no arithmetic holds here (a fault): the rule alone
        return _hint("grad", spec, spec.rule[port], words, [{"text": "…"}])
    layer = graph.plan.layers[graph.plan.index[nid]]
    srcs = graph._inputs[nid]
    numbers = {}
    for _, field, _, _ in Formatter().parse(spec.numbers[port]):
        if not field or field in numbers:
            continue
        if field == "dout":
            numbers[field] = (fmt_operand(event["grad"]), grad_refs(nid))
        elif field == "out":
            numbers[field] = (fmt_operand(getattr(layer, "out")), value_refs(nid))
        elif field in spec.ports:
            src = srcs[spec.ports.index(field)]
            numbers[field] = (fmt_operand(getattr(layer, field)), value_refs(src))
        else:  # a param (pow's exponent): a constant of the node
            numbers[field] = (fmt_operand(getattr(layer, field)), [])
    return _hint("grad", spec, spec.rule[port], words, _parts(spec.numbers[port], numbers))


def _parts(template: str, numbers: dict) -> list[dict]:
    """The template as parts: literal text, and numbers with the blanks they come from."""
    parts = []
    for literal, field, _, _ in Formatter().parse(template):
        if literal:
            parts.append({"text": literal})
        if field is not None:
            text, refs = numbers[field]
            parts.append({"text": text, "needs": refs} if refs else {"text": text})
    return parts


def _rule_words(spec, port: int) -> str:
    """The rule with its names as words, for a sentence: mul's ``dout · y`` for x is
    ``{dout} × {other}`` (the browser fills the words from its catalogue)."""
    own = spec.ports[port]
    others = [p for p in spec.ports if p != own]

    def word(m):
        w = m.group(0)
        if w == "dout":
            return "{dout}"
        if w == "out":
            return "{out}"
        if w == own:
            return "{this}"
        if len(others) == 1 and w == others[0]:
            return "{other}"
        return w
    return re.sub(r"(?<!∂)\b[A-Za-z_]\w*\b", word, spec.rule[port]).replace("·", "×")


def _hint(kind, spec, rule, words, parts) -> dict:
    numbers = "".join(p["text"] for p in parts)
    said = words.format(**WORDS) if kind == "grad" else rule
    return {"kind": kind, "op": spec.name, "rule": rule, "words": words, "parts": parts,
            "note": spec.note, "text": SENTENCES[kind].format(op=spec.name, rule=said, numbers=numbers)}


def hint_text(hint: dict, solved=frozenset(), blanks=None) -> str:
    """The hint in English as a learner sees it: a number from a blank in ``blanks`` not
    yet in ``solved`` is ``?`` (the browser does the same with its catalogue's words)."""
    blanks = set(blanks or ())
    numbers = "".join("?" if any(r in blanks and r not in solved for r in p.get("needs", ())) else p["text"]
                      for p in hint["parts"])
    said = hint["words"].format(**WORDS) if hint["kind"] == "grad" else hint["rule"]
    return SENTENCES[hint["kind"]].format(op=hint["op"], rule=said, numbers=numbers)
