"""Symbolic labels: each edge's value written as a name, its gradient as an expression.

Forward, an edge carries its source's name: the node's label, or x, y, z, w … for
unnamed nodes, in document order (never a name a label already uses). Backward,
an edge into port p of node t carries t's local rule for p from the registry
(``OpSpec.symbolic``, default ``rule``), with

- ``dout`` → the name of the gradient arriving at t: ``∂L/∂<t's name>``, or t's
  ``grad_label`` when the document gives one (the local-derivative figure's ``E``);
- a port name (``x``, ``y``) → the name of the node wired into that port;
- ``out`` → t's own name; ``{param}`` → the param's value (pow's exponent).

So mul's ``dout · y`` on port x reads ``∂L/∂z · y``. A name of more than one word
is put in parentheses where it is substituted, as steps.wrt does (``∂L/∂(a b)``).
The output's own edge shows ``∂L/∂<output>`` (or its ``grad_label``). A node whose
value fans out to several edges receives the sum of their terms (``sums``).

The engine's numbers are not used here: ``both`` mode writes ``expression = number``
with the display strings the caller already has (``mixed``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from string import Formatter

from .display import fmt
from .registry import OPS

LETTERS = ("x", "y", "z", "w", "u", "v", "a", "b", "c", "d", "g", "h", "k", "m", "n", "p", "q", "r", "s", "t")
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # ASCII: 'y²' is the token 'y' and a square


def wrap(name: str) -> str:
    """A name as a factor: 'x', '도넛', or '(doughnut price)' when it is more than one word."""
    return name if re.fullmatch(r"\w+", name) else f"({name})"  # not isidentifier: it takes 'x·x' for a word


def wrt(name: str) -> str:
    """'∂L/∂x', or '∂L/∂(x·x + x)' when the name is more than one word."""
    return f"∂L/∂{wrap(name)}"


def value_names(graph) -> dict[str, str]:
    """Each node's symbolic name: its label, else the next free letter, in document order."""
    labels = {nid: a["label"] for nid, a in graph.g.nodes(data=True) if a.get("label")}
    taken = set(labels.values())

    def letters():
        yield from LETTERS
        k = 1
        while True:
            for ch in LETTERS[:3]:
                yield f"{ch}{k}"
            k += 1
    free = (n for n in letters() if n not in taken)
    return {nid: labels.get(nid) or next(free) for nid in graph.g.nodes}


@dataclass
class Symbolic:
    names: dict = field(default_factory=dict)   # node id → name
    grads: dict = field(default_factory=dict)   # node id → the name of the gradient arriving at its output
    edges: dict = field(default_factory=dict)   # (source, target, port) → the gradient expression sent back
    sums: dict = field(default_factory=dict)    # fan-out node id → the sum of the terms it receives


def local_rule(template: str, spec, names: dict[str, str], dout: str, out: str, params: dict | None) -> str:
    """One symbolic rule with its names filled in (see the module's docstring)."""
    values = {**spec.params, **(params or {})}
    fields = {f for _, f, _, _ in Formatter().parse(template) if f}
    text = template.format(**{f: fmt(values[f]) for f in fields}) if fields else template

    def sub(m):
        word = m.group(0)
        if word == "dout":
            return dout
        if word == "out":
            return wrap(out)
        if word in names:
            return wrap(names[word])
        return word
    return TOKEN.sub(sub, text)


def symbolic(graph) -> Symbolic:
    names = value_names(graph)
    out = Symbolic(names=names)
    for nid, attrs in graph.g.nodes(data=True):
        g = attrs.get("grad_label")
        out.grads[nid] = (g if not any(ch.isspace() for ch in g) else f"({g})") if g else wrt(names[nid])
    wired: dict[str, dict[int, str]] = {}
    for (t, p), s in graph._wired.items():
        wired.setdefault(t, {})[p] = s
    terms: dict[str, list[str]] = {}
    for (t, p), s in graph._wired.items():
        attrs = graph.g.nodes[t]
        spec = OPS[attrs["op"]]
        port_names = {port: names[wired[t][k]] for k, port in enumerate(spec.ports) if k in wired[t]}
        text = local_rule(spec.symbolic[p], spec, port_names, out.grads[t], names[t], attrs.get("params"))
        out.edges[(s, t, p)] = text
        terms.setdefault(s, []).append(text)
    out.sums = {s: " + ".join(ts) for s, ts in terms.items() if len(ts) > 1}
    return out


def sum_text(sym: Symbolic, node: str) -> str:
    """A fan-out's gradient written out: '∂L/∂a = ∂L/∂c · b + ∂L/∂c · 1'."""
    return f"{sym.grads[node]} = {sym.sums[node]}"


def mixed(expression: str | None, number: str | None) -> str | None:
    """'∂L/∂z · y = 2.2': both, when the number is known; else the expression alone."""
    if expression is None:
        return number
    return f"{expression} = {number}" if number is not None else expression
