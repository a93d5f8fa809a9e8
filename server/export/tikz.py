"""TikZ: a standalone LaTeX picture at the editor's positions, black values above, gray grads below."""
from __future__ import annotations

from ..engine.text import printable

from ..engine.registry import OPS

SCALE = 0.02  # 50 editor pixels per centimetre

# Escapes for text (titles, names, numbers); an op's own symbol comes from the
# registry (OpSpec.tikz / .latex), so a new op brings its own.
SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
           "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
           "<": r"\textless{}", ">": r"\textgreater{}", "\n": " ", "\r": " ",
           "−": "$-$", "×": r"$\times$", "÷": r"$\div$", "σ": r"$\sigma$", "∞": r"$\infty$",
           "∂": r"$\partial$", "·": r"$\cdot$", "²": r"$^2$", "ᵀ": r"$^{T}$",
           "…": r"\ldots{}"}


def tex(text: str) -> str:
    """Escape text for LaTeX: every special character becomes a command; characters no file
    may hold are left out."""
    return "".join(SPECIAL.get(ch, ch) for ch in printable(str(text)))


def node_name(i: int) -> str:
    return f"n{i}"


BLANK = r"\framebox[1.3cm]{\strut}"  # a worksheet's empty box


def _label(text: str, blank: bool, answers: bool) -> str:
    if not blank:
        return tex(text)
    if answers:  # the answer key: the box with its answer, in blue
        return rf"\framebox[1.3cm]{{\strut\textcolor{{blue}}{{{tex(text)}}}}}"
    return BLANK


def _value(text, blank, answers, shape) -> str:
    """An edge's value (or gradient) text, with a tensor's shape badge after it."""
    badge = rf"\shapebadge{{{tex(shape)}}}" if shape else ""
    if text is None or text == "":
        return badge
    return _label(text, blank, answers) + (rf"~{badge}" if badge else "")


def render(fig) -> str:
    index = {n["id"]: i for i, n in enumerate(fig.nodes)}
    book = fig.options.style == "book"
    out = [f"% {tex(fig.title or 'gradcanvas graph')}: forward values in black above each edge,",
           "% gradients in gray below it. Compile with pdflatex (or xelatex/lualatex for Hangul labels).",
           r"\documentclass[tikz,border=6pt]{standalone}",
           r"\usetikzlibrary{arrows.meta}",
           # a tensor's shape, (4, 3), boxed beside its value
           r"\newcommand{\shapebadge}[1]{\fcolorbox{black!45}{white}{\scriptsize\color{black!75}#1}}",
           r"\begin{document}",
           r"\begin{tikzpicture}[>=Stealth,",
           r"  op/.style={circle, draw, thick, minimum size=9mm, inner sep=0pt},",
           r"  output/.style={double},",
           # the book draws an input as its name at the tail of its arrow, not as a box
           r"  inp/.style={align=right, font=\bfseries}," if book else
           r"  inp/.style={rectangle, rounded corners=2pt, draw, thick, minimum height=7mm, align=center},",
           r"  value/.style={above, sloped, font=\small, text=black},",
           r"  grad/.style={below, sloped, font=\small, text=black!60}]" if book else
           r"  grad/.style={below, sloped, font=\small, text=gray}]"]
    for i, n in enumerate(fig.nodes):
        x, y = n["x"] * SCALE, -n["y"] * SCALE  # TikZ's y grows upward
        if n["input"] and book:
            out.append(rf"\node[inp] ({node_name(i)}) at ({x:.3f},{y:.3f}) {{{tex(n['text'])}}};")
        elif n["input"]:
            label = tex(n["name"]) + (rf"\\ {tex(n['value_text'])}" if n["value_text"] is not None else "")
            out.append(rf"\node[inp] ({node_name(i)}) at ({x:.3f},{y:.3f}) {{{label}}};")
        else:
            style = "op, output" if n["output"] and not book else "op"
            symbol = OPS[n["op"]].tikz_symbol(n["params"])
            symbol = tex(n["symbol"]) if symbol is None else symbol
            out.append(rf"\node[{style}] ({node_name(i)}) at ({x:.3f},{y:.3f}) {{{symbol}}};")
    for e in fig.edges:
        s, t = node_name(index[e["source"]]), node_name(index[e["target"]])
        bend = " [bend left=18]" if e["port"] == 0 and _shared(fig, e) else (
            " [bend right=18]" if _shared(fig, e) else "")
        labels = ""
        shape = e.get("shape")
        if e["value_text"] is not None or (shape and e["grad_text"] is None):
            labels += rf" node[value] {{{_value(e['value_text'], e.get('value_blank'), fig.options.answers, shape)}}}"
            shape = None
        if e["grad_text"] is not None:
            labels += rf" node[grad] {{{_value(e['grad_text'], e.get('grad_blank'), fig.options.answers, shape)}}}"
        out.append(rf"\draw[->, thick] ({s}) to{bend}{labels} ({t});")
        if e["grad_text"] is not None:
            out.append(rf"\draw[<-, {'black!60' if book else 'gray'}, shorten >=4mm, shorten <=4mm, transform canvas={{yshift=-3.2mm}}] ({s}) to{bend} ({t});")
    if book:
        out += _output_arrow(fig, index)
    out += [r"\end{tikzpicture}", r"\end{document}"]
    return "\n".join(out) + "\n"


def _shared(fig, e) -> bool:
    return sum(1 for f in fig.edges if f["source"] == e["source"] and f["target"] == e["target"]) > 1


def _output_arrow(fig, index) -> list[str]:
    """The output's own arrow, with its value above and its gradient below, as the SVG draws it."""
    out_id = next((n["id"] for n in fig.nodes if n["output"]), None)
    if out_id is None or (fig.output_value_text is None and fig.output_grad_text is None):
        return []
    labels = ""
    shape = fig.output_shape
    if fig.output_value_text is not None:
        labels += rf" node[value] {{{_value(fig.output_value_text, fig.output_value_blank, fig.options.answers, shape)}}}"
        shape = None
    if fig.output_grad_text is not None:
        labels += rf" node[grad] {{{_value(fig.output_grad_text, fig.output_grad_blank, fig.options.answers, shape)}}}"
    n = node_name(index[out_id])
    return [rf"\draw[->, thick] ({n}.east) --{labels} ++(1.8,0);"]
