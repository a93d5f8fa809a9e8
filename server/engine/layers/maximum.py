"""The maximum of two inputs: a binary op with a kink, registered from this one file."""
from ..registry import register


@register("max", symbol="max", title="Maximum", ports=("x", "y"),
          rule=("dout · ([x > y] + [x = y] / 2)", "dout · ([y > x] + [x = y] / 2)"),
          numbers=("{dout} × ([{x} > {y}] + [{x} = {y}] ÷ 2)", "{dout} × ([{y} > {x}] + [{x} = {y}] ÷ 2)"),
          note="dout goes to the larger input; at a tie each gets half, so max(x, y) and max(y, x) agree",
          latex=r"\max",
          kink=lambda x, y: (x > y) - (x < y),
          kink_note="max's inputs are tied here, where the gradient switches from one to the other")
class MaxLayer:
    """At a tie the gradient is split, dout/2 to each, as torch.maximum does.

    Sending it all to x would make max(x, y) and max(y, x) disagree, and either
    choice is only a subgradient: the gradient check flags a tie as a kink.
    """
    __slots__ = ("x", "y")

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        out = y if x < y or y != y else x  # NaN wins, as in torch.maximum; a tie gives x
        return out

    def backward(self, dout):
        if self.x == self.y:
            return dout / 2, dout / 2
        dx = 0.0 if self.x < self.y else dout  # with a NaN input neither is smaller: both get dout,
        dy = 0.0 if self.y < self.x else dout  # as in PyTorch
        return dx, dy
