"""Arithmetic layers: the book's AddLayer and MulLayer, and their siblings."""
import math

from ..registry import register
from ..shapes import broadcast


@register("input", symbol="", title="Input", note="an input holds a value; its gradient is ∂L/∂input",
          order=0)
class InputLayer:
    """A leaf: the engine reads its value from the node, so there is nothing to compute."""
    __slots__ = ()


@register("add", symbol="+", title="Add", ports=("x", "y"),
          rule=("dout", "dout"), numbers=("{dout}", "{dout}"), symbolic=("dout · 1", "dout · 1"),
          note="dout passes through unchanged (a tensor broadcast in forward gets it summed over the "
               "broadcast axes)", notation="infix", operator="+", order=10, cancels=True, shape=broadcast)
class AddLayer:
    """Numbers, or tensors with numpy's broadcasting: X · W + b adds b to every row."""
    __slots__ = ("x_shape", "y_shape")

    def __init__(self):
        self.x_shape = None  # for tensors only: the shapes to sum dout back to
        self.y_shape = None

    def forward(self, x, y):
        out = x + y
        if out.__class__ is not float and hasattr(out, "shape"):  # a tensor
            self.x_shape, self.y_shape = shape_of(x), shape_of(y)
        return out

    def backward(self, dout):
        dx = dout * 1
        dy = dout * 1
        if dout.__class__ is not float and hasattr(dout, "shape"):  # a tensor: back to each input's shape
            dx, dy = sum_to(dx, self.x_shape), sum_to(dy, self.y_shape)
        return dx, dy


def shape_of(x):
    """A value's shape: () for a number."""
    return x.shape if hasattr(x, "shape") else ()


def sum_to(d, shape):
    """A tensor gradient summed over the axes its input was broadcast along, to ``shape``."""
    if shape == ():
        return float(d.sum())
    while d.ndim > len(shape):
        d = d.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and d.shape[axis] != 1:
            d = d.sum(axis=axis, keepdims=True)
    return d


@register("mul", symbol="×", title="Multiply", ports=("x", "y"),
          rule=("dout · y", "dout · x"), numbers=("{dout} × {y}", "{dout} × {x}"),
          note="the inputs swap: each gets dout times the other",
          notation="infix", operator="*", latex=r"\times", order=20, shape=broadcast)
class MulLayer:
    """Numbers, or tensors element by element, with numpy's broadcasting."""
    __slots__ = ("x", "y")

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        out = x * y
        return out

    def backward(self, dout):
        dx = dout * self.y
        dy = dout * self.x
        if dx.__class__ is not float and hasattr(dx, "shape"):  # a tensor: back to each input's shape
            dx, dy = sum_to(dx, shape_of(self.x)), sum_to(dy, shape_of(self.y))
        return dx, dy


@register("sub", symbol="−", title="Subtract", ports=("x", "y"),
          rule=("dout", "−dout"), numbers=("{dout}", "−{dout}"), symbolic=("dout · 1", "dout · (−1)"),
          note="x gets dout, y gets −dout", notation="infix", operator="-", latex="-", order=30,
          cancels=True)
class SubLayer:
    __slots__ = ()

    def __init__(self):
        pass

    def forward(self, x, y):
        out = x - y
        return out

    def backward(self, dout):
        dx = dout
        dy = -dout
        return dx, dy


@register("div", symbol="÷", title="Divide", ports=("x", "y"),
          rule=("dout / y", "−dout · out / y"), symbolic=("dout · 1/y", "dout · (−x/y²)"),
          numbers=("{dout} ÷ {y}", "−{dout} × {out} ÷ {y}"),
          note="d(x/y)/dx = 1/y and d(x/y)/dy = −x/y² = −out/y (divided twice: y² would overflow or underflow)",
          notation="infix", operator="/", latex=r"\div", order=40)
class DivLayer:
    __slots__ = ("y", "out")

    def __init__(self):
        self.y = None
        self.out = None

    def forward(self, x, y):
        self.y = y
        out = x / y
        self.out = out
        return out

    def backward(self, dout):
        # −x/y² as −(out / y): y·y would underflow to 0 at y = 1e−170 and overflow at y = 1e200,
        # and x/y/y makes x/x cancel exactly. PyTorch computes the same: −dout · (x / y) / y.
        try:
            dx = dout / self.y
            dy = -dout * (self.out / self.y)
        except ZeroDivisionError:  # y = 0 here only downstream of a fault: IEEE's answers
            dx = divide(dout, self.y)
            dy = -dout * divide(self.out, self.y)
        return dx, dy

    def fault(self, x, y):
        """IEEE's answer where Python raises: x/0 is ±∞, and 0/0 and NaN/0 are NaN."""
        self.out = divide(x, y)
        return self.out


def divide(x, y):
    """x / y with IEEE 754's answer at y = 0 (±∞, or NaN for 0/0 and NaN/0), where Python raises."""
    if y:
        return x / y
    if x == 0 or x != x:
        return math.nan
    return math.copysign(math.inf, x) * math.copysign(1.0, y)


@register("neg", symbol="−", title="Negate", ports=("x",),
          rule=("−dout",), numbers=("−{dout}",), symbolic=("dout · (−1)",), note="the gradient changes sign",
          notation="prefix", operator="-", latex="-", order=50)
class NegLayer:
    __slots__ = ()

    def __init__(self):
        pass

    def forward(self, x):
        return -x

    def backward(self, dout):
        dx = -dout
        return dx
