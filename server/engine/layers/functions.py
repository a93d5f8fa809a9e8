"""Power, exponential and logarithm layers."""
import math

from ..registry import register


@register("pow", symbol="^", title="Power", ports=("x",),
          rule=("dout · p · x^(p−1)",), symbolic=("dout · {exponent} · x^({exponent}−1)",), numbers=("{dout} × {exponent} × {x}^({exponent} − 1)",),
          note="the exponent p is a constant parameter of the node", params={"exponent": 2},
          notation="power", operator="**", display="^{exponent}", order=60)
class PowLayer:
    __slots__ = ("exponent", "x")

    def __init__(self, exponent=2):
        self.exponent = exponent
        self.x = None

    def forward(self, x):
        self.x = x
        out = math.pow(x, self.exponent)  # math.pow, not **: a negative base never turns complex
        return out

    def backward(self, dout):
        p = self.exponent
        if p == 0:
            return 0.0  # x^0 = 1 whatever x is: the gradient of a constant
        try:
            slope = p * math.pow(self.x, p - 1)
        except (ArithmeticError, ValueError):
            slope = p * power(self.x, p - 1)  # the limits: x^(p−1) at x = 0 is ∞ for p < 1, or it overflows
        dx = dout * slope  # as PyTorch: dout · (p · x^(p−1))
        return dx

    def fault(self, x):
        return power(x, self.exponent)

    def backward_fault(self):
        """Why the gradient is not finite where x is: the slope of x^p is infinite at 0 for p < 1."""
        if self.x == 0 and self.exponent < 1:
            return f"the slope of x^{self.exponent} is infinite at x = 0"
        return None


def power(x, p):
    """math.pow, with IEEE 754's (and C's) answer where math.pow raises.

    0 to a negative power is ∞ (−∞ for −0 to an odd power), a negative base to a
    fractional power is NaN, and an overflow is ±∞ (−∞ for a negative base to an odd power).
    """
    odd = float(p).is_integer() and p % 2 == 1
    try:
        return math.pow(x, p)
    except (ValueError, ZeroDivisionError):
        if x == 0:
            return math.copysign(math.inf, x) if odd else math.inf
        return math.nan
    except OverflowError:
        return -math.inf if x < 0 and odd else math.inf


@register("exp", symbol="exp", title="Exponential", ports=("x",),
          rule=("dout · out",), numbers=("{dout} × {out}",), symbolic=("dout · exp(x)",),
          note="exp is its own derivative, so backward reuses the output", order=70)
class ExpLayer:
    __slots__ = ("out",)

    def __init__(self):
        self.out = None

    def forward(self, x):
        out = math.exp(x)
        self.out = out
        return out

    def backward(self, dout):
        dx = dout * self.out
        return dx

    def fault(self, x):
        self.out = math.inf  # the only way exp raises is overflow
        return math.inf


@register("log", symbol="log", title="Natural log", ports=("x",),
          rule=("dout / x",), numbers=("{dout} ÷ {x}",), symbolic=("dout · 1/x",), note="d(log x)/dx = 1/x",
          order=80)
class LogLayer:
    __slots__ = ("x",)

    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        out = math.log(x)
        return out

    def backward(self, dout):
        dx = dout / self.x
        return dx

    def fault(self, x):
        return -math.inf if x == 0 else math.nan
