"""Graphviz DOT, left to right, values and gradients in the edge labels."""
from __future__ import annotations

from ..engine.text import printable


def q(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines kept as \\n, and no
    character a file may not hold (whatever reaches the writer, the output is valid DOT)."""
    return '"' + printable(str(text)).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render(fig) -> str:
    title = " ".join(printable(fig.title or "gradcanvas graph").split())  # no newline may end the comment
    lines = [f"// {title}: forward values in black, gradients in gray",
             "digraph gradcanvas {",
             "  rankdir=LR;",
             '  node [fontname="Noto Sans CJK KR, Helvetica, sans-serif"];',
             '  edge [fontname="Noto Sans CJK KR, Helvetica, sans-serif", fontsize=11];',
             f"  label={q(fig.title)}; labelloc=t;"]
    for n in fig.nodes:
        if n["input"]:
            text = n["name"] + (f"\n{n['value_text']}" if n["value_text"] is not None else "")
            lines.append(f"  {q(n['id'])} [shape=box, style=rounded, label={q(text)}];")
        else:
            peri = ", peripheries=2" if n["output"] else ""
            lines.append(f"  {q(n['id'])} [shape=circle, width=0.5, fixedsize=true, label={q(n['symbol'])}{peri}];")
    for e in fig.edges:
        parts = []
        if e.get("shape"):  # a tensor's shape, "(4, 3)", first
            parts.append(f"<font color=\"gray30\" point-size=\"9\">{html(e['shape'])}</font>")
        if e["value_text"] is not None:
            parts.append(f"<font color=\"black\">{html(e['value_text'])}</font>")
        if e["grad_text"] is not None:
            parts.append(f"<font color=\"gray45\">{html(e['grad_text'])}</font>")
        label = f", label=<{'<br/>'.join(parts)}>" if parts else ""
        lines.append(f"  {q(e['source'])} -> {q(e['target'])} [headlabel={q(str(e['port']))}, "
                     f"labelfontsize=8, labelfontcolor=gray60{label}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def html(text: str) -> str:
    from xml.sax.saxutils import escape
    return escape(printable(text))
