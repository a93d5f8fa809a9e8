"""The book's Affine layer (common/layers.py): X · W + B, for a batch of rows X."""
import numpy as np

from ..registry import register
from ..shapes import ShapeError, matmul, text


def affine_shape(x, W, b):
    out = matmul(x, W)
    if b != out[-1:]:
        raise ShapeError(f"b {text(b)} does not fit X · W {text(out)}: b must have shape {text(out[-1:])}")
    return out


@register("affine", symbol="Affine", title="Affine", ports=("x", "W", "b"),
          rule=("dout · Wᵀ", "xᵀ · dout", "sum(dout, axis 0)"),
          numbers=("{dout} · {W}ᵀ", "{x}ᵀ · {dout}", "sum({dout}, axis 0)"),
          note="X · W + B: dX = dY · Wᵀ and dW = Xᵀ · dY fit the shapes; "
               "dB is dY summed over the batch, since B was added to every row",
          order=210, shape=affine_shape, book="Affine")
class AffineLayer:
    __slots__ = ("x", "W")

    def __init__(self):
        self.x = None
        self.W = None

    def forward(self, x, W, b):
        self.x = x
        self.W = W
        out = np.dot(x, W) + b
        return out

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        if self.x.ndim == 1:  # one sample: Xᵀ · dY is the outer product, and there is no batch to sum
            dW = np.outer(self.x, dout)
            db = dout.copy()
        else:
            dW = np.dot(self.x.T, dout)
            db = np.sum(dout, axis=0)
        return dx, dW, db
