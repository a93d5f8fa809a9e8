"""Arithmetic layers: the book's AddLayer and MulLayer, and their siblings."""
import math

from ..registry import register


@register("input", symbol="", title="Input", note="an input holds a value; its gradient is ∂L/∂input",
          order=0)
class InputLayer:
    """A leaf: the engine reads its value from the node, so there is nothing to compute."""
    __slots__ = ()


@register("add", symbol="+", title="Add", ports=("x", "y"),
          rule=("dout", "dout"), numbers=("{dout}", "{dout}"), symbolic=("dout · 1", "dout · 1"),
          note="dout passes through unchanged", notation="infix", operator="+", order=10, cancels=True)
class AddLayer:
    __slots__ = ()

    def __init__(self):
        pass  # nothing to remember

    def forward(self, x, y):
        out = x + y
        return out

    def backward(self, dout):
        dx = dout * 1
        dy = dout * 1
        return dx, dy


@register("mul", symbol="×", title="Multiply", ports=("x", "y"),
          rule=("dout · y", "dout · x"), numbers=("{dout} × {y}", "{dout} × {x}"),
          note="the inputs swap: each gets dout times the other",
          notation="infix", operator="*", latex=r"\times", order=20)
class MulLayer:
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
