"""LaTeX for the explanation panel (typeset by KaTeX) and its "copy LaTeX" button.

It turns the engine's plain-text arithmetic, ``dx = dout · y = 1.1 × 2 = 2.2``,
into ``\\frac{\\partial L}{\\partial x} = \\mathrm{dout} \\cdot y = 1.1 \\times 2 = 2.2``.
Names are escaped, so a label cannot inject a command.
"""
from __future__ import annotations

import re

from .registry import OPS

# The arithmetic characters of the rules' and numbers' texts; op symbols come
# from the registry (OpSpec.latex), so a new op brings its own.
SYMBOLS = {"·": r"\cdot", "×": r"\times", "÷": r"\div", "−": "-", "∞": r"\infty",
           "²": "^{2}", "=": "=", "+": "+", "-": "-", "/": "/", "(": "(", ")": ")", "[": "[", "]": "]",
           ">": ">", "<": "<", ",": ",", "…": r"\ldots ", "→": r"\to ", ":": r"\colon ", "Σ": r"\sum "}
ESCAPE = {"\\": r"\backslash ", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "_": r"\_",
          "%": r"\%", "~": r"\sim ", "^": r"\hat{}"}
TOKEN = re.compile(r"(?P<num>\d+(?:\.\d+)?(?:e[−-]?\d+)?)|(?P<word>[^\W\d]\w*)|(?P<sup>\^)|(?P<space>\s+)|(?P<other>.)")


def op_symbols() -> dict[str, str]:
    """Each op symbol that has a LaTeX form: {"σ": r"\\sigma", "×": r"\\times", …}."""
    return {spec.symbol: spec.latex for spec in OPS.values() if spec.symbol and spec.latex is not None}


def _name(word: str) -> str:
    safe = "".join(ESCAPE.get(ch, ch) for ch in word)
    if len(word) == 1 and word.isascii():
        return safe
    # KaTeX sets non-Latin words (Hangul labels) as text, not math
    return (r"\mathrm{" if word.isascii() else r"\text{") + safe + "}"


def _number(text: str) -> str:
    if "e" in text:
        mant, exp = text.split("e")
        return f"{mant} \\times 10^{{{exp.replace('−', '-')}}}"
    return text


def to_latex(text: str) -> str:
    """Plain arithmetic from the engine, as LaTeX."""
    out = []
    ops = op_symbols()
    tokens = list(TOKEN.finditer(text.replace("²", "^2").replace("ᵀ", "^T")))
    i = 0
    while i < len(tokens):
        m = tokens[i]
        kind = m.lastgroup
        if kind == "num":
            out.append(_number(m.group()))
        elif kind == "word":
            out.append(ops.get(m.group()) or _name(m.group()))
        elif kind == "sup":
            # x^(p−1) → x^{(p-1)}; x^2 → x^{2}
            j = i + 1
            if j < len(tokens) and tokens[j].group() == "(":
                depth, k = 0, j
                while k < len(tokens):
                    depth += tokens[k].group() == "("
                    depth -= tokens[k].group() == ")"
                    if depth == 0:
                        break
                    k += 1
                out.append("^{" + to_latex("".join(t.group() for t in tokens[j:k + 1])) + "}")
                i = k + 1
                continue
            if j < len(tokens):
                out.append("^{" + to_latex(tokens[j].group()) + "}")
                i = j + 1
                continue
            out.append(r"\hat{}")
        elif kind == "space":
            # between two words of a name (a label "apple count") the space is the name's own:
            # a control space, since math mode drops plain ones (KaTeX set "applecount")
            named = 0 < i < len(tokens) - 1 and {tokens[i - 1].lastgroup, tokens[i + 1].lastgroup} <= {"word", "num"}
            out.append(r"\ " if named else " ")
        else:
            ch = m.group()
            out.append(ops.get(ch) or SYMBOLS.get(ch, ESCAPE.get(ch, ch)))
        i += 1
    return _join(out).strip()


def _join(parts: list[str]) -> str:
    """Concatenate, with a space where a control word would run into a letter: \\cdot x, not \\cdotx."""
    text = ""
    for part in parts:
        if part and part[0].isalpha() and re.search(r"\\[A-Za-z]+$", text):
            text += " "
        text += part
    return text


def partial(name: str) -> str:
    return rf"\frac{{\partial L}}{{\partial {_name(name)}}}"


def grad_of(name: str) -> str:
    """∂L/∂name; a name of more than one word gets parentheses, as ``steps.wrt`` writes it."""
    if name.isidentifier():
        return partial(name)
    return rf"\frac{{\partial L}}{{\partial ({to_latex(name)})}}"


def head_latex(head: dict) -> str:
    """The first line of a backward step: ∂L/∂x = 1, dout = 3 + 3 + 1 = 7, dout = 1.1."""
    parts = [grad_of(head["of"]) if head["lhs"] == "grad" else r"\mathrm{dout}"]
    if "shape" in head:  # a tensor: its shape here; its entries are one click away (the matrix view)
        return f"{parts[0]} \\quad {to_latex(head['shape'])}"
    if len(head["terms"]) > 1:
        parts.append(" + ".join(to_latex(t) for t in head["terms"]))
    parts.append(to_latex(head["result"]))
    return " = ".join(parts)


def rule_latex(port_name: str, rule: str, numbers: str | None, grad_text: str) -> str:
    """∂L/∂x = rule = numbers = result, for the port named ``port_name``; ∂L/∂x = result
    when there are no numbers to show (a failed node, or arithmetic with no value there)."""
    if numbers is None:
        return f"{partial(port_name)} = {to_latex(grad_text)}"
    parts = [partial(port_name), to_latex(rule), to_latex(numbers)]
    if numbers != grad_text:
        parts.append(to_latex(grad_text))
    return " = ".join(parts)


def shapes_latex(port_name: str, rule: str, shapes: str) -> str:
    """∂L/∂W = x^T · dout : (3, 4) · (4, 2) = (3, 2): a tensor rule with its shapes."""
    return f"{partial(port_name)} = {to_latex(rule)} \\quad {to_latex(shapes)}"
