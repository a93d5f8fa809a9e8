"""The rules for showing a number to a person, all in this one module.

Raw floats are kept everywhere else (documents, events, JSON output); only what
is drawn or printed for reading goes through ``fmt``. The rules:

1. **Integers in full** up to 10^15: ``123456789``, ``1000000`` (no grouping, so the
   text reads back as the number, in LaTeX, TikZ and the value editor alike).
2. **Six significant digits**, no trailing zeros, a short exponent outside
   [1e−5, 1e6): ``2.2``, ``0.666667``, ``1.5e−7``, ``1.23457e8``.
3. **Float noise is dropped**: a difference below 1e−10 of the number is noise
   (rounding in a long chain, a finite difference's error), so ``220.00000000000003``
   is ``220``.
4. **Rounding never passes for exact**: when the six-digit text would look exact
   (fewer digits, or an integer) but the number is not that, more digits are
   shown, as many as it takes: ``0.9999999``, ``1.000001``, ``123456.4``.
5. **Cancellation noise shows as 0**: a sum whose magnitude is at most 64 ulp of
   the largest magnitude added (``0.3 − (0.1 + 0.2)``), and what is computed from
   such noise alone, is drawn as ``0``; the exact number goes with it for hover
   (``noise_of``; see docs/protocol.md).
6. **A fan-out's terms add up to its sum**: the terms are shown with as many digits
   as it takes for their exact sum to round to the sum shown (``fmt_sum``).

NaN is ``NaN``, infinities ``∞``/``−∞``, and minus signs are typographic.
"""
from __future__ import annotations

import math
import copy
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

MINUS = "\u2212"  # typographic minus, as in the book's figures
DIGITS = 6                 # significant digits, unless rule 4 asks for more
NOISE = 1e-10              # relative: a difference this small is float noise (rule 3)
INTEGERS = 10 ** 15        # integers up to this are written in full (rule 1)
NOISE_ULPS = 64            # a sum within this many ulps of its largest term is cancellation noise (rule 5)


def fmt(x, floor: float = 0.0) -> str:
    """A number for a person; ``floor``: magnitudes up to it are noise, shown as 0 (rule 5)."""
    if x is None:
        return ""
    if x.__class__ is not float:
        if hasattr(x, "shape"):  # a tensor: a few entries
            return fmt_tensor(x)
        x = float(x)
    if x - x != 0:  # NaN or ±∞
        return "NaN" if x != x else ("∞" if x > 0 else MINUS + "∞")
    if x == 0 or abs(x) <= floor:
        return "0"
    if x.is_integer() and abs(x) <= INTEGERS:
        return str(int(x)) if x > 0 else MINUS + str(int(-x))
    text = f"{x:.6g}"
    if "e" not in text:
        digits = text.lstrip("-0.")
        if len(digits) == 7 and "." in digits or len(digits) == 6 and "." in text and "." not in digits:
            # the common case: six digits after a point, which cannot pass for exact (rule 4)
            return text if x > 0 else MINUS + text[1:]
    return _typeset(_plain(x, text))


SHOWN = 3  # a tensor's text shows at most 3 rows and 3 columns, with … for the rest


def fmt_tensor(x, rows: int = SHOWN, cols: int = SHOWN) -> str:
    """A tensor, compactly: ``[[0.1, −0.2, …], …]``: at most 3 × 3 entries, each by ``fmt``."""
    if x.ndim == 0:
        return fmt(float(x))
    if x.ndim == 1:
        items = [fmt(float(v)) for v in x[:cols]]
        return "[" + ", ".join(items + (["…"] if len(x) > cols else [])) + "]"
    shown = [fmt_tensor(row, rows, cols) for row in x[:rows]]
    return "[" + ", ".join(shown + (["…"] if len(x) > rows else [])) + "]"


BRIEF = 6  # an exported figure writes a tensor of at most this many numbers whole


def fmt_brief(x) -> str:
    """A tensor as an exported figure writes it, beside its shape badge: whole up to six numbers
    (``[[1, 2], [3, 4]]``), else its first two (``[[0.9, 1.2, …], …]``); a number by ``fmt``."""
    if not hasattr(x, "shape"):
        return fmt(x)
    if x.size <= BRIEF:
        return fmt_tensor(x, BRIEF, BRIEF)
    return fmt_tensor(x, 1, 2)


def tensor_table(x) -> dict:
    """The whole tensor, formatted, for the click-to-open view: {"shape": [4, 3], "rows": [["0.1", …], …]}.

    A vector is one row; a number is a 1 × 1 table with shape []."""
    if not hasattr(x, "shape"):
        return {"shape": [], "rows": [[fmt(x)]]}
    rows = x.reshape(1, -1) if x.ndim == 1 else x
    return {"shape": list(x.shape), "rows": [[fmt(float(v)) for v in row] for row in rows]}


def shape_text(x) -> str | None:
    """``(4, 3)`` for a tensor, None for a number."""
    return str(tuple(x.shape)) if hasattr(x, "shape") else None


def fmt_operand(x, floor: float = 0.0) -> str:
    """``fmt`` for a number substituted into a formula: negatives get parentheses."""
    text = fmt(x, floor)
    return f"({text})" if text.startswith(MINUS) else text


def _plain(x: float, text: str) -> str:
    """Rules 1–4 for a non-integer whose six-digit ``text`` has fewer digits or none after
    the point, in Python's notation ('-1.5e-07')."""
    v = float(text)
    if v == x or abs(v - x) <= NOISE * abs(x):  # the rounding hid only float noise
        if v.is_integer() and abs(v) <= INTEGERS and not x.is_integer():  # 999999.9999999999
            return str(int(v))
        return _short_exponent(text)
    digits = DIGITS
    while _looks_exact(text, digits) and digits < 17:
        digits += 1
        text = f"{x:.{digits}g}"
        if abs(float(text) - x) <= NOISE * abs(x):
            break
    return _short_exponent(text)


def _digits(x: float, digits: int) -> str:
    return _short_exponent(f"{x:.{digits}g}")


def _short_exponent(text: str) -> str:
    if "e" in text:  # 1.5e-07 → 1.5e-7: no '+', no leading zeros in the exponent
        mant, exp = text.split("e")
        return f"{mant}e{int(exp)}"
    return text


def _looks_exact(text: str, digits: int) -> bool:
    """Whether a rounded text could be read as exact: fewer digits than asked, or an integer."""
    mant = text.split("e")[0] if "e" in text else text
    if "." not in mant:  # an integer ('123456'), or one digit times a power of ten ('1e+06')
        return True
    return len(mant.lstrip("-0.").replace(".", "")) < digits


def _typeset(text: str) -> str:
    return text.replace("-", MINUS) if "-" in text else text


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(MINUS, "-").replace("(", "").replace(")", ""))


def fmt_sum(terms: list, total, floor: float = 0.0, term_floors=None) -> tuple[list[str], str]:
    """(terms' texts, sum's text) for ``dout = t1 + t2 + … = total`` that add up (rule 6).

    The sum is shown as ``fmt`` shows it everywhere else; the terms get as many
    digits as it takes for their exact sum to round to it. ``term_floors``: each
    term's noise floor, as for ``fmt``.
    """
    term_floors = term_floors or [0.0] * len(terms)
    total_text = fmt(total, floor)
    texts = [fmt_operand(t, f) for t, f in zip(terms, term_floors)]
    values = [total, *terms]
    if not all(map(math.isfinite, values)):
        return texts, total_text
    shown = _decimal(total_text)
    quantum = Decimal(1).scaleb(shown.as_tuple().exponent) if shown else None
    for digits in range(DIGITS, 18):
        exact = sum((_decimal(t) for t in texts), Decimal(0))
        if exact == shown or quantum is not None and shown in (
                exact.quantize(quantum, ROUND_HALF_EVEN), exact.quantize(quantum, ROUND_HALF_UP)):
            return texts, total_text
        texts = [fmt_operand(t, f) if abs(t) <= f or t == 0 else _operand(_typeset(_digits_or_int(t, digits + 1)))
                 for t, f in zip(terms, term_floors)]
    return texts, total_text


def _digits_or_int(x: float, digits: int) -> str:
    r = round(x)
    if abs(r) <= INTEGERS and x == r:
        return str(int(r))
    return _digits(x, digits)


def _operand(text: str) -> str:
    return f"({text})" if text.startswith(MINUS) else text


def noise_floor(*magnitudes) -> float:
    """The cancellation noise of a sum of these numbers: 64 ulp of the largest (rule 5)."""
    finite = [abs(m) for m in magnitudes if math.isfinite(m)]
    return NOISE_ULPS * math.ulp(max(finite)) if finite else 0.0


# -- rule 5 over a graph: which values and gradients are cancellation noise -----------
@dataclass
class Noise:
    """Floors per plan index (shown as 0 up to the floor) and per (op index, port) term."""
    values: dict = field(default_factory=dict)   # index → floor, for values that are noise
    grads: dict = field(default_factory=dict)    # index → floor, for gradients that are noise
    terms: set = field(default_factory=set)      # (op index, port): gradient sent that is noise

    def value(self, i) -> float:
        return self.values.get(i, 0.0)

    def grad(self, i) -> float:
        return self.grads.get(i, 0.0)

    def term(self, o, port, g) -> float:
        return abs(g) if (o, port) in self.terms else 0.0


def noise_of(plan, backward=None, out=None) -> Noise:
    """Which numbers of an evaluated plan are cancellation noise (rule 5).

    A value is noise when its op sums (``OpSpec.cancels``: add, sub) and it is at
    most 64 ulp of its largest input, or when its op gives exactly 0 with its
    noisy inputs set to 0 (``(a − b) × 3``). A gradient is noise when a fan-out's
    sum is at most 64 ulp of its largest term, or when every term arriving is
    noise; a term is noise when it is 0 with the noise (dout, stored values) set
    to 0. ``backward``: ``plan.run_backward(out)``'s result, for the gradients.
    """
    from .registry import OPS
    noise = Noise()
    vals, layers, cancels = plan.vals, plan.layers, {n for n, s in OPS.items() if s.cancels}
    values, ulp = noise.values, math.ulp
    for o, _, a, b, _ in plan.steps:
        v = vals[o]
        if v.__class__ is not float or b < -1:  # a tensor, or an op of tensors: rule 5 is for numbers
            continue
        if v == 0 or v - v != 0:  # exactly 0, NaN or ±∞: nothing to hide
            continue
        if b >= 0 and layers[o].op in cancels:
            m = max(abs(vals[a]), abs(vals[b]))
            if abs(v) <= NOISE_ULPS * ulp(m) and m - m == 0:
                values[o] = NOISE_ULPS * ulp(m)
                continue
        if values and (a in values or b in values):
            args = [0.0 if i in values else vals[i] for i in ((a,) if b < 0 else (a, b))]
            try:
                zero = copy.copy(layers[o]).forward(*args) == 0
            except (ArithmeticError, ValueError):
                zero = False
            if zero:
                values[o] = abs(v)
    if backward is None:
        return noise
    grads, egrads, mask = backward
    n = len(grads)
    count = [0] * n            # terms arriving at each node
    noisy = [0] * n            # of which noise
    largest = [0.0] * n        # the largest magnitude among them
    values_noise = noise.values
    ulp = math.ulp

    def settle(i):
        g, k = grads[i], count[i]
        if i == out or not k or g == 0 or g - g != 0:  # g − g ≠ 0: NaN or ±∞
            return
        if k > 1 and abs(g) <= NOISE_ULPS * ulp(largest[i]):
            noise.grads[i] = NOISE_ULPS * ulp(largest[i])
        elif noisy[i] == k:
            noise.grads[i] = abs(g)

    for o, _, a, b, _ in plan.paths_to(out)[1]:
        if b < -1 or grads[o].__class__ is not float or (egrads[o] if b == -1 else egrads[o][0]).__class__ is not float \
                or b >= 0 and egrads[o][1].__class__ is not float:
            continue  # tensors: rule 5 is for numbers
        settle(o)
        noisy_dout = o in noise.grads
        zeroed = None
        if not noisy_dout and values_noise and (o in values_noise or a in values_noise or b in values_noise):
            zeroed = _zeroed_backward(plan, o, (a,) if b < 0 else (a, b), grads[o], noise)
        sent = egrads[o]
        for port, s, g in ((0, a, sent),) if b < 0 else ((0, a, sent[0]), (1, b, sent[1])):
            count[s] += 1
            m = abs(g)
            if m > largest[s] and m != math.inf:
                largest[s] = m
            if g != 0 and g - g == 0 and (noisy_dout or zeroed is not None and zeroed[port] == 0):
                noise.terms.add((o, port))
                noisy[s] += 1
    for i in plan.leaves:
        if mask[i] and grads[i].__class__ is float:
            settle(i)
    return noise


def _zeroed_backward(plan, o, srcs, dout, noise):
    """The op's backward with its noisy stored numbers set to 0, or None if it cannot say."""
    from .registry import OPS
    layer = copy.copy(plan.layers[o])
    spec = OPS[layer.op]
    names = list(spec.ports[:len(srcs)]) + ["out"]
    for name, i in zip(names, [*srcs, o]):
        if i in noise.values and hasattr(layer, name):
            setattr(layer, name, 0.0)
    try:
        got = layer.backward(dout)
    except (ArithmeticError, ValueError):
        return None
    return (got,) if len(srcs) == 1 else got
