"""The one function that formats a number for a person.

Raw floats are kept everywhere else (documents, events, JSON output); only what
is drawn or printed for reading goes through ``fmt``.
"""
MINUS = "\u2212"  # typographic minus, as in the book's figures


def fmt(x) -> str:
    """At most 6 significant digits, no trailing zeros: 220.00000000000003 → '220'."""
    if x is None:
        return ""
    text = f"{float(x):.6g}"
    if text[-1] in "nf":  # 'nan', 'inf', '-inf'
        return "NaN" if text[-1] == "n" else ("∞" if text[0] != "-" else MINUS + "∞")
    if "e" in text:  # 1.5e-07 → 1.5e−7: no '+', no leading zeros in the exponent
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    if text[0] == "-":
        return "0" if text == "-0" else MINUS + text[1:].replace("-", MINUS)
    return text.replace("-", MINUS) if "-" in text else text


def fmt_operand(x) -> str:
    """``fmt`` for a number substituted into a formula: negatives get parentheses."""
    text = fmt(x)
    return f"({text})" if text.startswith(MINUS) else text
