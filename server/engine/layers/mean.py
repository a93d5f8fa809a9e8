"""The mean of a tensor's elements: a scalar, for a loss."""
import numpy as np

from ..registry import register
from ..shapes import reduced


@register("mean", symbol="mean", title="Mean", ports=("x",),
          rule=("dout / n",), numbers=("{dout} ÷ n",),
          note="every element counts 1/n of the mean, so each gets dout / n (n: the number of elements)",
          order=250, shape=reduced)
class MeanLayer:
    __slots__ = ("shape",)

    def __init__(self):
        self.shape = None

    def forward(self, x):
        self.shape = x.shape
        out = float(np.mean(x))
        return out

    def backward(self, dout):
        dx = np.full(self.shape, dout / np.prod(self.shape))
        return dx
