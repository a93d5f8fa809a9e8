"""Activation layers: sigmoid, ReLU and tanh."""
import math

from ..registry import register
from ..shapes import elementwise


@register("sigmoid", symbol="σ", title="Sigmoid", ports=("x",),
          rule=("dout · (1 − out) · out",), numbers=("{dout} × (1 − {out}) × {out}",),
          note="backward needs only the forward output", latex=r"\sigma", order=90, shape=elementwise,
          book="Sigmoid")
class SigmoidLayer:
    __slots__ = ("out",)

    def __init__(self):
        self.out = None

    def forward(self, x):
        if x.__class__ is not float and hasattr(x, "shape"):  # a tensor: the book's numpy form, element by element
            import numpy as np  # here, so that a script of numbers runs without numpy
            out = 1 / (1 + np.exp(-x))
            self.out = out
            return out
        try:
            out = 1 / (1 + math.exp(-x))  # the book's formula, as PyTorch computes it
        except OverflowError:  # exp(−x) is beyond the largest float for x < −709: σ(x) is 0 to a double
            out = 0.0
        self.out = out
        return out

    def backward(self, dout):
        dx = dout * (1.0 - self.out) * self.out
        return dx


@register("relu", symbol="ReLU", title="ReLU", ports=("x",),
          rule=("dout · [x > 0]",), numbers=("{dout} × [{x} > 0]",),
          note="dout passes where x > 0 and stops elsewhere; at x = 0 we send 0",
          kink=lambda x: (x > 0) - (x < 0), kink_note="relu's input is at 0 here, where its slope jumps",
          order=100, shape=elementwise, book="Relu")
class ReluLayer:
    """The book's mask: the gradient stops where x ≤ 0.

    NaN is not ≤ 0, so NaN passes forward and dout passes back, as in the book's
    numpy code (``mask = (x <= 0)``) and in PyTorch; −0 stays −0, as in PyTorch.
    """
    __slots__ = ("x", "mask")

    def __init__(self):
        self.x = None
        self.mask = None  # for a tensor: where x <= 0, as the book keeps it

    def forward(self, x):
        self.x = x
        if x.__class__ is not float and hasattr(x, "shape"):  # a tensor: the book's mask
            self.mask = (x <= 0)
            out = x.copy()
            out[self.mask] = 0
            return out
        out = 0.0 if x < 0 else x
        return out

    def backward(self, dout):
        if dout.__class__ is not float and hasattr(dout, "shape"):
            dx = dout.copy()  # the book writes into dout; a copy leaves the arriving gradient as it was
            dx[self.mask] = 0
            return dx
        dx = 0.0 if self.x <= 0 else dout
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
