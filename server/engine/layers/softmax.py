"""Softmax over the last axis (each row of a batch), shifted by its maximum so that exp cannot overflow."""
import numpy as np

from ..registry import register
from ..shapes import tensor


def softmax(x):
    """The book's softmax (common/functions.py), for a vector or a batch of rows."""
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


@register("softmax", symbol="softmax", title="Softmax", ports=("x",),
          rule=("out · (dout − Σ dout · out)",), numbers=("{out} · ({dout} − Σ {dout} · {out})",),
          note="each row's outputs add up to 1, so a gradient moves them against each other; "
               "Σ sums over each row",
          order=220, shape=lambda x: tensor(x))
class SoftmaxLayer:
    __slots__ = ("out",)

    def __init__(self):
        self.out = None

    def forward(self, x):
        out = softmax(x)
        self.out = out
        return out

    def backward(self, dout):
        y = self.out
        dx = y * (dout - np.sum(dout * y, axis=-1, keepdims=True))
        return dx
