"""Gradient check: backprop's gradient beside a finite difference, for every input.

For an input x with backprop gradient g, the check estimates ∂out/∂x numerically
together with a bound on that estimate's own error, and judges g against both.

**The step** is relative: h = ε^(1/3)·|x| (ε = 2.2·10⁻¹⁶), so log at 0.001 and at
10⁻⁷ get steps of about 6·10⁻⁹ and 6·10⁻¹³ (the old step was absolute below |x| = 1).
At x = 0 the scale is s, the size of the numbers x meets on the way to the output in
x's units (N/ε below, divided by |g|). The step then adapts, at most ``ROUNDS``
times, to the error model below: it shrinks where truncation dominates, and grows
(up to ε^(1/3)·s) where rounding does, as for b in ``1e300 − b``, where nothing
shorter than about 10²⁹⁵ moves the output. A step that takes x out of an op's domain
(a NaN or ∞, or a fault on the way) or across a kink is shrunk ×1000; if one side
stays out, the difference is one-sided on the other (second order: x, x±h, x±2h).

**The numerical derivative** is the central difference D(h) = (f(x+h) − f(x−h)) / 2h,
also taken at 2h and 4h for every node between x and the output. Its error:

- rounding, R = N/h (4N/h one-sided): every node's value is rounded, by at most ε|v|
  (the smaller |v| of x and the point: the gradient is known at x only), and that
  error reaches the output times the node's gradient; N adds these up as
  independent errors (4× their root sum of squares, never more than their sum), plus
  x ± h's own rounding, ε|x|·|g|;
- truncation, T: for each node, D(h) − D(2h) is 3× D(h)'s h² error, and
  (D(2h) − D(4h)) / (D(h) − D(2h)) = 2^p checks the order p (lower at a domain's
  edge, where T is scaled by 1/(2^p − 1)); a ratio ≤ 1 (a sigmoid saturated over the
  step, a pole crossed) rejects the step. T adds the nodes' errors, each times its
  gradient. A step grown past the first must also be local: no node's second
  difference above its first (a central difference cannot see even terms).

The bound on |backprop − numeric| is 2·(T + R), plus backprop's own rounding, 4ε per
step of the longest path times the sum of |path products| it adds up ("reach").

**The judgement**:

- ``fail``: |backprop − numeric| > bound + 10⁻⁶·max(|backprop|, |numeric|) (4× the
  bound where the bound is over half the estimate), so a wrong gradient of any size
  fails as long as it is wrong by more than the bound: a local derivative off by ×2
  fails at 10⁻⁸ as at 10⁸;
- ``pass``: they agree, and the bound is under 10% of the larger of the gradient and
  its reach, so that an error of 10% would have failed; a gradient of exactly 0
  passes with a bound under 10% of the graph's largest gradient (or, where every
  gradient is 0, when moving x by its own size would move the output by under 10⁻⁸
  of the output's size: tanh at 20);
- ``not checkable``: they agree within the bound, but the bound is too large to
  judge: this input's effect on the output drowns in the output's rounding (the
  output of exp(sigmoid(−374)) is 1 to the last bit), or the forward pass fails here,
  or a node's value is mostly rounding error and a local derivative depends on it
  (1/log(1 + 10⁻¹⁶)), so neither gradient means anything;
- ``not differentiable``: an op with a kink (``OpSpec.kink``: relu at 0, max at a
  tie) has its inputs on it, or across it at the smallest step tried.

Only ``fail`` makes ``gradcanvas check`` exit 2.
"""
from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass

import networkx as nx

from ..engine.display import fmt
from ..engine.document import jsonable
from ..engine.graph import ComputationGraph
from ..engine.registry import OPS

EPS = sys.float_info.epsilon  # 2.2e-16: a float's relative rounding error is at most EPS/2
STEP = EPS ** (1 / 3)          # 6.1e-6: balances an h² truncation error against EPS/h rounding
FLOOR = 1e-100                 # the step's scale when x and s are both 0
ROUNDS = 6                     # step sizes tried per method, 6 evaluations each (4 one-sided)
REL_TOL = 1e-6                 # agreement beyond the bound, relative to the gradient
RESOLVE = 0.1                  # a pass needs a bound under 10% of the gradient
ILL = 1e-2                     # a local derivative moved this much by rounding makes backprop's unreliable
SPREAD = 4                     # rounding errors of many nodes add up like independent ones, 4σ
ZERO = 1e-8                    # a gradient of 0 in a graph of 0s: x's whole effect under 1e-8 of the output
GROW = 1e3                     # the most a step changes in one round
GOOD = 1e-4                    # a bound this small, relative to the gradient, ends the search
STATUSES = ("pass", "fail", "not differentiable", "not checkable")


@dataclass
class Check:
    node: str
    value: float
    h: float
    backprop: float
    numeric: float
    rel_error: float
    status: str            # one of STATUSES
    note: str = ""
    bound: float = math.nan  # the numerical derivative's error bound: it is numeric ± bound
    method: str = ""       # "central", "forward" or "backward" (one-sided), "" if none

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update({f"{k}_text": fmt(d[k]) for k in ("value", "h", "backprop", "numeric", "rel_error", "bound")})
        d.update({k: jsonable(d[k]) for k in ("value", "h", "backprop", "numeric", "rel_error", "bound")})
        return d


@dataclass
class _Estimate:
    h: float
    numeric: float
    trunc: float   # T = |D(h) − D(2h)|
    round: float   # R: the rounding error of D(h)
    method: str

    @property
    def bound(self) -> float:
        return 2 * (self.trunc + self.round)


class _Trouble(Exception):
    """A step that left the domain (side: +1 or −1) or crossed a kink."""
    def __init__(self, side: int, kinks: dict | None = None, final: bool = False):
        self.side, self.kinks, self.final = side, kinks or {}, final


def check_gradients(graph: ComputationGraph, output=None) -> list[Check]:
    """One Check per input node on a path to the output; ``graph`` is not changed.

    A graph with tensors is checked as the book checks its nets (gradcheck_tensor.py):
    one TensorCheck per input, with the mean |backprop − numerical| over its elements."""
    if graph._tensors:
        from .gradcheck_tensor import check_tensor_gradients
        return check_tensor_gradients(graph, output)
    work = ComputationGraph.from_dict(graph.to_dict(), graph.limits)
    out = work.output_node(output)
    values = work.forward()
    grads = work.backward(out)
    inputs = [n for n, a in work.g.nodes(data=True) if a["op"] == "input" and n in grads]
    faults = {n: m for n, m in work.faults().items() if n in grads}
    if faults or not math.isfinite(values[out]):
        where = next(iter(faults.items()), (out, "the output is NaN or infinite"))
        note = "the forward pass fails here ({}: {})".format(*where)
        return [Check(n, values[n], math.nan, grads[n], math.nan, math.nan, "not checkable", note)
                for n in inputs]
    kinks = [(n, OPS[a["op"]]) for n, a in work.g.nodes(data=True) if OPS[a["op"]].kink and n in grads]
    # The scale of the gradients in the graph: a gradient of 0 passes if any error of 1% of it would fail.
    scale = max((abs(grads[n]) for n in inputs if math.isfinite(grads[n])), default=0.0)
    reach, depth, error, ill = _backprop_sizes(work, out, values, grads)
    return [_check_input(work, out, nid, values, grads, kinks, scale, reach[nid], depth[nid], error, ill)
            for nid in inputs]


def _backprop_sizes(work, out, values, grads) -> tuple[dict, dict, dict, dict]:
    """Per node on a path to the output, from the local derivatives (a fresh layer's
    backward of 1 at the node's inputs):

    - ``reach``: the sum over its paths to the output of |the product of the local
      derivatives|, what backprop adds up in absolute value; backprop's own rounding
      error is at most a few ε per step times it (1/x − x/x² is 0, in floats 10⁻²⁰);
    - ``depth``: the longest path's length;
    - ``error``: the rounding error its value carries, ε|v| of its own plus its inputs'
      errors times the local derivatives (inputs are exact);
    - ``ill``: op nodes whose local derivatives that error moves by over 1% (a divisor
      that is mostly rounding: log(1 + 10⁻¹⁶) is 2.2·10⁻¹⁶ or 0), mapped to that input."""
    order = [n for n in nx.topological_sort(work.g) if n in grads]
    local = {}
    for c in order:
        attrs = work.g.nodes[c]
        spec = OPS[attrs["op"]]
        if not spec.arity:
            continue
        srcs = work._inputs[c]
        try:
            d = _local_derivatives(spec, attrs, [values[s] for s in srcs])
        except (ArithmeticError, ValueError, TypeError):
            d = (math.inf,) * spec.arity
        local[c] = [(src, abs(v) if not math.isnan(v) else math.inf) for src, v in zip(srcs, d)]
    error = {}
    for c in order:
        e = EPS * abs(values[c]) if c in local else 0.0
        for src, d in local.get(c, ()):
            if error[src]:
                e += d * error[src]
        error[c] = e
    # An op whose local derivative changes by over 1% when an input moves by that input's
    # rounding error: backprop's product through it is not known to 1% either.
    ill = {}
    for c, pairs in local.items():
        for port, (src, d) in enumerate(pairs):
            if error[src] > ILL * abs(values[src]) and _moved_local(work, c, port, values, error[src], pairs):
                ill[c] = src
                break
    reach, depth = dict.fromkeys(order, 0.0), dict.fromkeys(order, 0)
    reach[out] = 1.0
    for c in reversed(order):
        if c not in local or not reach[c]:
            continue
        for src, d in local[c]:
            m = d * reach[c]
            reach[src] += m if not math.isnan(m) else math.inf
            depth[src] = max(depth[src], depth[c] + 1)
    return reach, depth, error, ill


def _local_derivatives(spec, attrs, args) -> tuple:
    layer = spec.layer(**attrs.get("params", {})) if spec.params else spec.layer()
    layer.forward(*args)
    d = layer.backward(1.0)
    return tuple(d) if spec.arity > 1 else (d,)


def _moved_local(work, c, port, values, err, pairs) -> bool:
    attrs = work.g.nodes[c]
    args = [values[src] for src, _ in pairs]
    args[port] += err
    try:
        moved = _local_derivatives(OPS[attrs["op"]], attrs, args)
    except (ArithmeticError, ValueError, TypeError):
        return True
    return any(not abs(m - d) <= ILL * d for m, (_, d) in zip(moved, pairs))


def _check_input(work, out, nid, values, grads, kinks, scale, reach, depth, error, ill) -> Check:
    x, g = values[nid], grads[nid]
    slope = abs(g) if math.isfinite(g) else 0.0
    downstream = nx.descendants(work.g, nid) & grads.keys()
    kinks = [(k, spec) for k, spec in kinks if k in downstream]
    shaky = next((k for k in downstream if k in ill), None)
    if shaky is not None:
        return Check(nid, x, math.nan, g, math.nan, math.nan, "not checkable",
                     f"{ill[shaky]}'s value is mostly rounding error, and {shaky}'s local derivative depends "
                     f"on it: neither gradient can be trusted here")
    base_sides = _sides(work, kinks, values)
    on_kink = {k for (k, _), side in zip(kinks, base_sides) if side == 0}
    # The output, then every node between x and it with its gradient as weight. Each
    # is rounded at every evaluation, and its error reaches the output times its
    # gradient; and a step is only as good as the most bent of them (a tanh saturated
    # on both sides of a long step makes the output look flat, not the tanh).
    track = [out] + [k for k in downstream if k != out and math.isfinite(grads[k]) and grads[k]]
    weights = [1.0] + [abs(grads[k]) for k in track[1:]]
    base = [values[k] for k in track]

    def noise(vals, point) -> float:
        """The output's rounding error at one evaluation: ε|v| per node times its gradient,
        added up as independent errors (4× their root sum of squares, at most their sum),
        and x ± h's own rounding, ε|x| times the slope. The gradients are known at x only:
        where a value grew over the step (x² far from 0; 1/v near a pole), its gradient
        shrank, so each node counts with the smaller of its value at x and at the point."""
        terms = [EPS * w * min(abs(v), abs(b)) for w, v, b in zip(weights, vals, base)]
        top = max(terms)
        spread = top * math.sqrt(math.fsum((t / top) ** 2 for t in terms)) if top and math.isfinite(top) else top
        return min(math.fsum(terms), SPREAD * spread) + EPS * abs(point) * slope

    # Steps: relative to x first; if rounding drowns that, up to the size of the numbers
    # x meets on its way to the output, in x's units (1e300 in 1e300 − x).
    n0 = noise(base, x)
    s = n0 / slope / EPS if slope else (1.0 if n0 else 0.0)
    h0 = STEP * (abs(x) or min(s, 1e300) or FLOOR)
    h_far = STEP * max(abs(x), min(s, 1e300))
    h_min = 64 * EPS * abs(x)  # closer than this, x ± h is x rounded

    def f(v):
        """The tracked values at x = v; raises _Trouble outside the domain or across a kink."""
        side = 1 if v > x else -1
        if not math.isfinite(v):
            raise _Trouble(side)
        work.set_value(nid, v)
        vals = work.forward()
        if not math.isfinite(vals[out]) or any(k in grads for k in work.faults()):
            raise _Trouble(side)
        crossed = {k: spec for (k, spec), a, b in zip(kinks, base_sides, _sides(work, kinks, vals)) if a != b}
        if crossed:  # on a kink, no step is small enough not to cross it
            raise _Trouble(side, crossed, final=bool(on_kink & crossed.keys()))
        return [vals[k] for k in track]

    def levels(at, d1, r, h):
        """Each tracked node's rounding level in its D(h): the output's is R; another node's,
        the error its value carries (at least 4ε|v| where x ± h moved it), plus x ± h's own
        rounding (ε|x| times its slope D), over h."""
        tops = [max(map(abs, column)) for column in zip(*at.values())]
        return [r] + [(max(error[k], 4 * EPS * top) + EPS * abs(x) * abs(slope_k)) / h
                      for k, top, slope_k in zip(track[1:], tops[1:], d1[1:])]

    def central(h):
        at = {0: [values[k] for k in track], **{m: f(x + m * h) for m in (1, -1, 2, -2, 4, -4)}}
        d = [[(a - b) / (2 * m * h) for a, b in zip(at[m], at[-m])] for m in (1, 2, 4)]
        r = max(noise(at[m], x + m * h) for m in at) / h
        lv = levels(at, d[0], r, h)
        far = h > h0 and not _local(at, lv, h)  # grown past where x's effect is linear
        return _Estimate(h, d[0][0], math.inf if far else _truncation(d, weights, lv), r, "central")

    def one_sided(sign):
        def estimate(h):
            at = {0: [values[k] for k in track], **{m: f(x + m * sign * h) for m in (1, 2, 4, 8)}}
            d = [[sign * (-3 * a + 4 * b - c) / (2 * m * h) for a, b, c in zip(at[0], at[m], at[2 * m])]
                 for m in (1, 2, 4)]
            r = 4 * max(noise(at[m], x + m * sign * h) for m in at) / h
            return _Estimate(h, d[0][0], _truncation(d, weights, levels(at, d[0], r, h)), r,
                             "forward" if sign > 0 else "backward")
        return estimate

    try:
        best, trouble = _adapt(central, h0, h_far, h_min, g)
        if best is None and trouble.kinks:
            return _kinked(nid, x, g, trouble.kinks)
        if best is None:  # one side stays outside the domain: difference on the other
            best, trouble = _adapt(one_sided(-trouble.side), h0, h_far, h_min, g)
            if best is None and trouble.kinks:
                return _kinked(nid, x, g, trouble.kinks)
            if best is None:
                return Check(nid, x, math.nan, g, math.nan, math.nan, "not checkable",
                             "the output is NaN or infinite on both sides of this value, however small the step")
    finally:
        work.set_value(nid, x)
    return _judge(nid, x, g, best, reach, depth, scale)


def _adapt(estimate, h, h_far, h_min, g):
    """(the estimate with the smallest error bound, the last trouble): a few steps,
    each chosen by the error model of the one before."""
    best, trouble, ceiling, tried = None, None, math.inf, []
    for _ in range(ROUNDS):
        tried.append(h)
        try:
            est = estimate(h)
        except _Trouble as t:
            trouble, ceiling = t, h
            if t.final or h <= h_min:
                break
            h = max(h / GROW, h_min)  # too far: the domain's edge or a kink lies within 4h
            continue
        gain = best.bound / est.bound if best is not None and est.bound else math.inf
        if best is None or est.bound < best.bound:
            best = est
        scale = max(abs(est.numeric), abs(g) if math.isfinite(g) else 0.0)
        if est.bound <= GOOD * scale or est.bound == 0 or gain < 10 and best.bound <= RESOLVE / 100 * scale:
            break  # good enough, or good enough for a verdict and no longer getting much better
        if est.trunc <= 3 * est.round:
            # Truncation cannot be told from rounding: a longer step, as far as h_far.
            target = max(h * GROW, h_far)
        else:
            # T ≈ 3a·h² and R = n/h: their sum is least at h = (n / 2a)^(1/3).
            a = est.trunc / (3 * h * h)
            target = max((est.round * h / (2 * a)) ** (1 / 3), h / GROW) if a > 0 else h * GROW
        target = min(max(target, h_min), ceiling / 8)
        if not target > 0 or any(abs(math.log(target / t)) < math.log(2) for t in tried):
            break  # no untried step to be had
        h = target
    return best, trouble


def _truncation(d: list, weights: list, levels: list) -> float:
    """T: D(h)'s truncation error, from D(h), D(2h) and D(4h) of every tracked node.

    In the smooth regime D(kh) − f' ∝ (kh)^p with p = 2, and (D(2h) − D(4h)) / (D(h) − D(2h))
    = 2^p tells p: then D(h)'s error is |D(h) − D(2h)| / (2^p − 1), at most |D(h) − D(2h)|
    for p ≥ 1. At the edge of a domain the order can be lower (x^1.5 at 0: p = 0.5), and
    a step too long for a node (a sigmoid saturated on both sides, a pole crossed) shows
    as a ratio ≤ 1: no estimate at this step (∞). Differences within a node's rounding
    level (``levels``, in its own units) say nothing about the order and count as they are."""
    total = []
    for w, level, d1, d2, d4 in zip(weights, levels, *d):
        d12, d24 = d1 - d2, d2 - d4
        if max(abs(d12), abs(d24)) <= 4 * level:
            total.append(w * abs(d12))
            continue
        ratio = d24 / d12 if d12 else math.inf
        if ratio <= 1:
            return math.inf
        total.append(w * abs(d12) * max(1.0, 1 / (ratio - 1)))
    return math.fsum(total)


def _local(at: dict, levels: list, h: float) -> bool:
    """Whether a step longer than the first is still local: for every tracked node, the
    second difference v(x+h) + v(x−h) − 2v(x) is below the first, v(x+h) − v(x−h), or
    both are at its rounding level. A central difference cannot see even terms: x² seen
    from x = 10⁻⁸ with h = 800 has D(h) = 2x exactly, while the log(1 + x²) after it has
    left its Taylor series far behind."""
    for level, plus, minus, mid in zip(levels, at[1], at[-1], at[0]):
        first, second = plus - minus, plus + minus - 2 * mid
        if abs(second) > max(abs(first), 4 * level * h):
            return False
    return True


def _sides(work, kinks, values) -> list:
    return [spec.kink(*(values[s] for s in work._inputs[k])) for k, spec in kinks]


def _kinked(nid, x, g, crossed: dict) -> Check:
    by_note: dict[str, list] = {}  # kink note → the nodes it is about
    for k, spec in crossed.items():
        by_note.setdefault(spec.kink_note, []).append(k)
    note = "; ".join(f"{', '.join(nodes)}: {why}" for why, nodes in by_note.items())
    return Check(nid, x, math.nan, g, math.nan, math.nan, "not differentiable", note)


def _judge(nid, x, g, est: _Estimate, reach: float, depth: int, scale: float) -> Check:
    """The status, given the estimate. Backprop's own rounding error, a few ε per step
    of the longest path times ``reach`` (the sum of |path products| it adds up), widens
    the bound; and a gradient counts as resolved when the bound is under 1% of the
    larger of it and ``reach``: then doubling any one path's share would fail."""
    num = est.numeric
    bound = est.bound + 4 * EPS * (depth + 1) * reach
    size = max(abs(num), abs(g))
    diff = abs(g - num)
    rel = diff / size if size else 0.0
    if not math.isfinite(g):
        status = "fail" if bound <= RESOLVE * abs(num) else "not checkable"
        note = (f"backprop gives {fmt(g)}" +
                ("" if status == "fail" else "; the finite difference does not settle here either"))
    elif diff > (1 if bound <= abs(num) / 2 else 4) * bound + REL_TOL * size:
        # Where the bound is over half the estimate, the step is far from the asymptotic
        # regime its error model assumes: a failure then needs a clear margin.
        status, note = "fail", f"they differ by {fmt(diff)}, more than the numerical error bound {fmt(bound)}"
    elif bound <= RESOLVE * max(size, reach) or bound == 0:
        status, note = "pass", ""
    elif g == 0 and (bound <= RESOLVE * scale if scale else
                     EPS * bound * max(abs(x), est.h) <= ZERO * est.round * est.h):
        # A gradient of 0, confirmed to within 1% of the graph's largest gradient; or, where
        # every gradient is 0, to within what moving x by its own size moves the output by
        # less than 10⁻⁸ of the output's size.
        status, note = "pass", ""
    else:
        status = "not checkable"
        why = ("this input's effect on the output drowns in the output's rounding error"
               if est.round >= est.trunc else "it has not settled at any step tried: the function changes fast near this value")
        note = f"they agree, but the finite difference is only known to ±{fmt(bound)}: {why}"
    if est.method != "central" and status != "fail":
        note = "; ".join(filter(None, [note, f"{est.method} difference: the other side is outside the domain"]))
    return Check(nid, x, est.h, g, num, rel, status, note, bound, est.method)
