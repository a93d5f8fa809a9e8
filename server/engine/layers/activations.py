"""Activation layers: sigmoid, ReLU and tanh."""
import math

from ..registry import register


@register("sigmoid", symbol="σ", title="Sigmoid", ports=("x",),
          rule=("dout · (1 − out) · out",), numbers=("{dout} × (1 − {out}) × {out}",),
          note="backward needs only the forward output", latex=r"\sigma", order=90)
class SigmoidLayer:
    __slots__ = ("out",)

    def __init__(self):
        self.out = None

    def forward(self, x):
        # Two forms so that exp never overflows, whatever the sign of x.
        if x >= 0:
            out = 1 / (1 + math.exp(-x))
        else:
            e = math.exp(x)
            out = e / (1 + e)
        self.out = out
        return out

    def backward(self, dout):
        dx = dout * (1.0 - self.out) * self.out
        return dx


@register("relu", symbol="ReLU", title="ReLU", ports=("x",),
          rule=("dout · [x > 0]",), numbers=("{dout} × [{x} > 0]",),
          note="dout passes where x > 0 and stops elsewhere; at x = 0 we send 0",
          kink=lambda x: (x > 0) - (x < 0), kink_note="relu's input is at 0 here, where its slope jumps",
          order=100)
class ReluLayer:
    __slots__ = ("x",)

    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        out = x if x > 0 else 0.0
        return out

    def backward(self, dout):
        dx = dout if self.x > 0 else 0.0
        return dx


@register("tanh", symbol="tanh", title="Tanh", ports=("x",),
          rule=("dout · (1 − out²)",), numbers=("{dout} × (1 − {out}²)",),
          note="backward needs only the forward output", order=110)
class TanhLayer:
    __slots__ = ("out",)

    def __init__(self):
        self.out = None

    def forward(self, x):
        out = math.tanh(x)
        self.out = out
        return out

    def backward(self, dout):
        dx = dout * (1.0 - self.out * self.out)
        return dx
