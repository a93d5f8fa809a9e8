"""The op registry: the one place that lists ops.

Each layer class registers itself with ``@register(...)`` beside its own
definition, so adding an op means writing one class and decorating it.
The engine, the palette (``/api/ops``), the exporters and the formula parser
all read ``OPS``.
"""
from __future__ import annotations

from dataclasses import dataclass, field


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

    @property
    def arity(self) -> int:
        return len(self.ports)

    def describe(self) -> dict:
        """The JSON description served to the palette."""
        return {
            "name": self.name, "symbol": self.symbol, "title": self.title,
            "ports": list(self.ports), "arity": self.arity,
            "rule": [f"d{p} = {r}" for p, r in zip(self.ports, self.rule)],
            "note": self.note, "params": dict(self.params),
        }


OPS: dict[str, OpSpec] = {}


def register(name, *, symbol, title, ports=(), rule=(), numbers=(), note="", params=None):
    """Class decorator: add a layer class to the registry under ``name``."""
    if len(rule) != len(ports) or len(numbers) != len(ports):
        raise ValueError(f"op {name!r}: one rule and one numbers template per port")

    def deco(cls):
        if name in OPS:
            raise ValueError(f"op {name!r} is registered twice")
        OPS[name] = OpSpec(name, cls, tuple(ports), symbol, title, tuple(rule),
                           tuple(numbers), note, dict(params or {}))
        cls.op = name
        return cls
    return deco


def get_op(name: str) -> OpSpec:
    """The spec for ``name``; importing ``server.layers`` fills the registry."""
    return OPS[name]


def describe_ops() -> list[dict]:
    return [spec.describe() for spec in OPS.values()]
