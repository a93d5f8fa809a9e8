"""The book's SoftmaxWithLoss (common/layers.py): softmax, then the cross-entropy error, as one layer.

Its backward is (y − t) / N for a batch of N: the softmax's and the cross entropy's
derivatives together simplify to it, which is why the book joins them.
"""
import numpy as np

from ..registry import register
from ..shapes import ShapeError, tensor, text
from .softmax import softmax


def cross_entropy_error(y, t):
    """The book's (common/functions.py): t one-hot or labels; 1e-7 keeps log away from 0."""
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:  # one-hot: the index of each row's 1
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def labels(t, classes):
    """Integer labels as indices; a label that is no class is refused (a fault of the node)."""
    k = np.asarray(t)
    if not np.array_equal(k, np.floor(k)) or (k < 0).any() or (k >= classes).any():
        raise ValueError(f"labels must be whole numbers from 0 to {classes - 1}")
    return k.astype(np.intp)


def loss_shape(x, t):
    tensor(x, "x (the scores)")
    one_hot, label = x, x[:-1]
    if t not in (one_hot, label):
        raise ShapeError(f"x {text(x)} and t {text(t)} do not fit: t must be one-hot {text(one_hot)} "
                         f"or labels {text(label)}")
    return ()


@register("softmax_with_loss", symbol="Softmax-with-Loss", title="Softmax with loss", ports=("x", "t"),
          rule=("(y − t) · dout / N", "dout · 0"), numbers=("({y} − {t}) × {dout} ÷ N", "{dout} × 0"),
          symbolic=("dout · (y − t) / N", "dout · 0"),
          note="the gradient of softmax and cross entropy together is (y − t) / N: the softmax's "
               "output minus the one-hot labels, over the batch size N; the labels t get none",
          order=230, shape=loss_shape, no_grad=("t",),
          shapes=("(y − t) · dout / N", "dout · 0"), book="SoftmaxWithLoss")
class SoftmaxWithLossLayer:
    __slots__ = ("y", "t", "loss", "t_shape")

    def __init__(self):
        self.y = None  # the softmax's output
        self.t = None  # the labels, one-hot
        self.loss = None
        self.t_shape = None  # the labels as given (integers or one-hot): their gradient's shape

    def forward(self, x, t):
        self.t_shape = np.shape(t)
        self.y = softmax(x)
        if np.shape(t) != self.y.shape:  # integer labels: one-hot, for backward
            k = labels(t, self.y.shape[-1])
            t = np.eye(self.y.shape[-1])[k]
        self.t = t
        self.loss = float(cross_entropy_error(self.y, self.t))
        return self.loss

    def backward(self, dout):
        batch_size = self.t.shape[0] if self.t.ndim == 2 else 1
        dx = (self.y - self.t) * dout / batch_size
        dt = np.zeros(self.t_shape) if self.t_shape else 0.0  # labels are data: no gradient
        return dx, dt
