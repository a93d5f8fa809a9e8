"""The matrix product, for the book's figure of the Affine layer drawn as X · W, then + B."""
import numpy as np

from ..registry import register
from ..shapes import matmul


@register("dot", symbol="·", title="Matrix product", ports=("x", "W"),
          rule=("dout · Wᵀ", "xᵀ · dout"), numbers=("{dout} · {W}ᵀ", "{x}ᵀ · {dout}"),
          note="each input gets dout times the other, transposed so that the shapes fit",
          notation="infix", operator="@", latex=r"\cdot", order=200,
          shape=lambda x, W: matmul(x, W))
class DotLayer:
    __slots__ = ("x", "W")

    def __init__(self):
        self.x = None
        self.W = None

    def forward(self, x, W):
        self.x = x
        self.W = W
        out = np.dot(x, W)
        return out

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        if self.x.ndim == 1:  # one sample: xᵀ · dout is the outer product
            dW = np.outer(self.x, dout)
        else:
            dW = np.dot(self.x.T, dout)
        return dx, dW
