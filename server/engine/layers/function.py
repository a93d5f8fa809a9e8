from ..registry import register


# The book's figure 5-? "local derivative": y = f(x), E arrives and E · ∂y/∂x goes back.
# f stands for any function: it is drawn and written symbolically. Numerically it is a
# stand-in, the identity (f(x) = x, ∂y/∂x = 1), so a graph that holds it still evaluates,
# steps and exports: every op in the registry computes, as the property tests and the
# gradient check ask of each. Its figures are meant to be read with labels=symbols.
@register("f", symbol="f", title="Generic function f", ports=("x",),
          rule=("dout · ∂y/∂x",), numbers=("{dout} × 1",), symbolic=("dout · ∂out/∂x",),
          note="any function y = f(x): the gradient is multiplied by its local derivative ∂y/∂x "
               "(numerically a stand-in: the identity)",
          call=None, latex="f", order=900)
class FunctionLayer:
    __slots__ = ()

    def forward(self, x):
        out = x  # the stand-in's value
        return out

    def backward(self, dout):
        dx = dout * 1.0  # the stand-in's ∂y/∂x
        return dx
