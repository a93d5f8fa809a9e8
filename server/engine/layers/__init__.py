"""The layers: one small class per op, as in chapter 5 of *Deep Learning from Scratch*.

Each ``forward`` stores exactly what its ``backward`` needs. Binary layers'
``backward(dout)`` returns ``(dx, dy)``; unary layers' returns ``dx``.

Every module in this folder is imported here, so a new op is one decorated
class in one new file: the registry, and through it the palette, formulas,
steps, explanations, the gradient check and every exporter, pick it up.
"""
import importlib
import pkgutil

from .basic import InputLayer, AddLayer, MulLayer, SubLayer, DivLayer, NegLayer  # the book's first
from .functions import PowLayer, ExpLayer, LogLayer
from .activations import SigmoidLayer, ReluLayer, TanhLayer

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["InputLayer", "AddLayer", "MulLayer", "SubLayer", "DivLayer", "NegLayer",
           "PowLayer", "ExpLayer", "LogLayer", "SigmoidLayer", "ReluLayer", "TanhLayer"]
