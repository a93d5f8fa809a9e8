"""The one function that formats a number for a person.

Raw floats are kept everywhere else (documents, events, JSON output); only what
is drawn or printed for reading goes through ``fmt``.
"""
import math

MINUS = "\u2212"  # typographic minus, as in the book's figures


def fmt(x) -> str:
    """At most 6 significant digits, no trailing zeros: 220.00000000000003 → '220'."""
    if x is None:
        return ""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else MINUS + "∞"
    text = f"{x:.6g}"
    if "e" in text:  # 1.5e-07 → 1.5e−7: no '+', no leading zeros in the exponent
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    if text in ("-0", "0"):
        return "0"
    return text.replace("-", MINUS)


def fmt_operand(x) -> str:
    """``fmt`` for a number substituted into a formula: negatives get parentheses."""
    text = fmt(x)
    return f"({text})" if text.startswith(MINUS) else text
