"""The layers: one small class per op, as in chapter 5 of *Deep Learning from Scratch*.

Each ``forward`` stores exactly what its ``backward`` needs. Binary layers'
``backward(dout)`` returns ``(dx, dy)``; unary layers' returns ``dx``.
Importing this package registers every layer in ``server.registry.OPS``.
"""
from .basic import InputLayer, AddLayer, MulLayer, SubLayer, DivLayer, NegLayer
from .functions import PowLayer, ExpLayer, LogLayer
from .activations import SigmoidLayer, ReluLayer, TanhLayer

__all__ = ["InputLayer", "AddLayer", "MulLayer", "SubLayer", "DivLayer", "NegLayer",
           "PowLayer", "ExpLayer", "LogLayer", "SigmoidLayer", "ReluLayer", "TanhLayer"]
