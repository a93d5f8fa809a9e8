"""The op registry: the one place that lists ops.

Each layer class registers itself with ``@register(...)`` beside its own
definition, so adding an op means writing one class, in one new file under
``server/engine/layers/``, and decorating it. The engine, the palette
(``/api/ops``), the formula parser, steps and explanations, the gradient check
and every exporter read ``OPS`` and nothing else about an op.

Besides the required ``symbol``/``title``/``ports``/``rule``/``numbers``, the
optional keywords say how an op is written and checked:

- ``notation``: how a formula and a forward step write it. ``"call"`` is
  ``exp(a)`` or ``max(a, b)`` (the default for an op with ports);
  ``"infix"`` is ``a + b`` with ``operator``; ``"prefix"`` is ``−(a)``,
  Python's unary ``operator``; ``"power"`` is ``a ** 2`` in a formula and
  ``a^2`` in a step, the right side being the value of the op's one param.
- ``call``: the formula's function name (default: the op's name, for call
  notation; None: no call form). Its arity is ``len(ports)``.
- ``operator``: the formula's Python operator for infix, prefix and power ops
  (``"+"``, ``"-"``, ``"**"``).
- ``display``: the node's symbol when it depends on params, as a template:
  ``"^{exponent}"`` draws ``^2``. Default: ``symbol``.
- ``latex``, ``tikz``: the symbol in LaTeX maths (``r"\\sigma"``) and in a TikZ
  node (default: ``latex`` in ``$…$``; else the symbol, escaped as text).
  ``tikz`` may be a template with ``{param}`` fields like ``display``.
- ``kink``: for an op whose derivative jumps, a function of its input values
  giving the side of the jump they are on: −1, 0 (exactly on it) or 1. The
  gradient check flags an input that moves an op's inputs across sides, with
  ``kink_note`` as the reason.
- ``cancels``: the op adds or subtracts its inputs, so its result can cancel to
  float noise (``0.3 − (0.1 + 0.2)``): a result within 64 ulp of its largest
  input is shown as 0 (``display.noise_of``).
- ``symbolic``: the local rule per port as a symbolic figure writes it, with
  ``dout``, the port names, ``out`` and ``{param}`` fields to substitute
  (``"dout · 1"`` for add, ``"dout · exp(x)"`` for exp). Default: ``rule``.
- ``order``: the palette position; ops without one follow, by name.
- ``shape``: the shape rule, a function of the input shapes (tuples; a scalar's is
  ``()``) giving the output's shape, or raising ``ShapeError`` with why they do
  not fit (``(4, 3) · (2, 5) does not fit: 3 ≠ 2``). Default: ``scalars_only``, an op
  of numbers (engine/shapes.py has the common rules: ``elementwise``, ``broadcast``).
  The graph checks it when wiring, on load and when a value changes shape.
- ``shapes``: the rule per port as the explanation writes it with shapes,
  ``"xᵀ · dout"``; each name becomes its value's shape (``ᵀ`` transposes it).
  Default: ``rule``.
- ``no_grad``: ports whose input is data, not a variable (softmax_with_loss's
  labels ``t``): backward sends them 0 and the gradient check leaves them out.
- ``book``: the class's name in the book's ``common/layers.py`` (``Affine``, ``Relu``),
  under which the Python export of a tensor graph defines the layer (default: the
  class's own name, as ``layer_naive.py``'s ``MulLayer``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from .shapes import scalars_only

NOTATIONS = ("", "call", "infix", "prefix", "power")
LAST = 1000  # the order of an op that gives none: after the book's ops


@dataclass(frozen=True)
class OpSpec:
    name: str                 # "mul": the word used in documents, events, Python and JS
    layer: type               # the layer class: forward(*inputs) / backward(dout)
    ports: tuple[str, ...]    # input port names, in order; arity = len(ports)
    symbol: str               # drawn inside the node: "×"
    title: str                # shown in the palette: "Multiply"
    rule: tuple[str, ...]     # one local rule per port: "dout · y"
    numbers: tuple[str, ...]  # the same rule with {names} to substitute: "{dout} × {y}"
    note: str = ""            # a sentence for learners: "dout passes through unchanged"
    params: dict = field(default_factory=dict)  # parameter defaults: {"exponent": 2}
    notation: str = ""        # "call" | "infix" | "prefix" | "power"; "" for an input
    call: str | None = None   # the formula's function name: "exp"
    operator: str | None = None  # the formula's Python operator: "+", "-", "**"
    display: str = ""         # the node's symbol as a template of params: "^{exponent}"
    latex: str | None = None  # the symbol in LaTeX maths: r"\times"
    tikz: str | None = None   # the symbol in a TikZ node: r"$\times$"
    kink: Callable | None = None  # inputs → −1, 0 or 1: which side of a jump in the derivative
    kink_note: str = ""       # why the gradient check flags a crossing
    order: int = LAST         # palette position
    cancels: bool = False     # a sum of its inputs: its result can cancel to noise (display rule 5)
    symbolic: tuple[str, ...] = ()  # the rule as a symbolic figure writes it: "dout · 1" (default: rule)
    shape: Callable = scalars_only  # input shapes → output shape, or ShapeError
    shapes: tuple[str, ...] = ()    # the rule per port as the shapes line writes it (default: rule)
    no_grad: tuple[str, ...] = ()   # ports fed data, not variables: no gradient is sent there
    book: str = ""                  # the class's name in common/layers.py: "Affine" (default: the class's)

    @cached_property
    def takes_scalars(self) -> bool:
        """Whether the op computes on numbers (every input a scalar): not dot, softmax, sum …"""
        try:
            return self.shape(*[()] * len(self.ports)) == ()
        except ValueError:
            return False

    @property
    def arity(self) -> int:
        return len(self.ports)

    def display_symbol(self, params: dict | None = None) -> str:
        """The symbol drawn in a node with these params: pow with exponent 2 shows '^2'."""
        if not self.display:
            return self.symbol
        from .display import fmt
        return self.display.format(**{k: fmt(v) for k, v in {**self.params, **(params or {})}.items()})

    def tikz_symbol(self, params: dict | None = None) -> str | None:
        """The TikZ node text, or None to write the display symbol as escaped text."""
        if self.tikz is not None:
            from .display import fmt
            return self.tikz.format(**{k: fmt(v) for k, v in {**self.params, **(params or {})}.items()})
        return f"${self.latex}$" if self.latex is not None else None

    def describe(self) -> dict:
        """The JSON description served to the palette."""
        return {
            "name": self.name, "symbol": self.symbol, "title": self.title,
            "ports": list(self.ports), "arity": self.arity,
            "rule": [f"d{p} = {r}" for p, r in zip(self.ports, self.rule)],
            "note": self.note, "params": dict(self.params),
            "notation": self.notation, "call": self.call, "operator": self.operator,
        }


OPS: dict[str, OpSpec] = {}


def register(name, *, symbol, title, ports=(), rule=(), numbers=(), note="", params=None,
             notation=None, call=..., operator=None, display="", latex=None, tikz=None,
             kink=None, kink_note="", order=LAST, cancels=False, symbolic=None, shape=None, shapes=None,
             no_grad=(), book=""):
    """Class decorator: add a layer class to the registry under ``name``."""
    if len(rule) != len(ports) or len(numbers) != len(ports):
        raise ValueError(f"op {name!r}: one rule and one numbers template per port")
    if symbolic is not None and len(symbolic) != len(ports):
        raise ValueError(f"op {name!r}: one symbolic rule per port")
    if shapes is not None and len(shapes) != len(ports):
        raise ValueError(f"op {name!r}: one shapes rule per port")
    if not set(no_grad) <= set(ports):
        raise ValueError(f"op {name!r}: no_grad names a port it does not have")
    if notation is None:
        notation = "call" if ports else ""
    if notation not in NOTATIONS or bool(notation) != bool(ports):
        raise ValueError(f"op {name!r}: notation {notation!r} is not one of {NOTATIONS[1:]} (or '' for no ports)")
    if notation in ("infix", "prefix", "power") and not operator:
        raise ValueError(f"op {name!r}: {notation} notation needs its Python operator")
    if notation == "infix" and len(ports) != 2 or notation == "prefix" and len(ports) != 1:
        raise ValueError(f"op {name!r}: {notation} notation needs {2 if notation == 'infix' else 1} ports")
    if notation == "power" and (len(ports) != 1 or len(params or {}) != 1):
        raise ValueError(f"op {name!r}: power notation needs one port and one param (the right side)")
    if call is ...:
        call = name if notation == "call" else None
    if kink is not None and not kink_note:
        raise ValueError(f"op {name!r}: a kink needs a kink_note saying where the derivative jumps")

    def deco(cls):
        if name in OPS:
            raise ValueError(f"op {name!r} is registered twice")
        OPS[name] = OpSpec(name, cls, tuple(ports), symbol, title, tuple(rule), tuple(numbers), note,
                           dict(params or {}), notation, call, operator, display, latex, tikz,
                           kink, kink_note, order, cancels,
                           symbolic=tuple(symbolic) if symbolic is not None else tuple(rule),
                           shape=shape or scalars_only,
                           shapes=tuple(shapes) if shapes is not None else tuple(rule),
                           no_grad=tuple(no_grad), book=book)
        # The palette order, whatever order the modules were imported in.
        ordered = sorted(OPS.values(), key=lambda s: (s.order, s.name))
        OPS.clear()
        OPS.update((s.name, s) for s in ordered)
        cls.op = name
        return cls
    return deco


def get_op(name: str) -> OpSpec:
    """The spec for ``name``; importing ``server.engine.layers`` fills the registry."""
    return OPS[name]


def describe_ops() -> list[dict]:
    return [spec.describe() for spec in OPS.values()]


def formula_form(spec: OpSpec) -> str | None:
    """How a formula writes the op: 'x + y', '-x', 'x ** 2', 'max(x, y)'; None if it cannot."""
    if spec.notation == "infix":
        return f"{spec.ports[0]} {spec.operator} {spec.ports[1]}"
    if spec.notation == "prefix":
        return f"{spec.operator}{spec.ports[0]}"
    if spec.notation == "power":
        return f"{spec.ports[0]} {spec.operator} {next(iter(spec.params.values()))}"
    if spec.call:
        return f"{spec.call}({', '.join(spec.ports)})"
    return None


def ops_markdown() -> str:
    """The table of ops in docs/format.md (tests/test_registry.py checks the file against it)."""
    rows = ["| op | title | symbol | ports | in a formula | local rule per port | params |",
            "|---|---|---|---|---|---|---|"]
    for spec in OPS.values():
        rules = "; ".join(f"d{p} = {r}" for p, r in zip(spec.ports, spec.rule)) or "—"
        params = ", ".join(f"`{k}` = {v}" for k, v in spec.params.items()) or "—"
        form = formula_form(spec)
        form = f"`{form}`" if form else ("a number: `3`" if not spec.ports else "—")
        rows.append(f"| `{spec.name}` | {spec.title} | {spec.symbol or '—'} | "
                    f"{', '.join(f'{i} `{p}`' for i, p in enumerate(spec.ports)) or '—'} | "
                    f"{form} | {rules} | {params} |")
    return "\n".join(rows) + "\n"
