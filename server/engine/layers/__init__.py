"""The layers: one small class per op, as in chapter 5 of *Deep Learning from Scratch*.

Each ``forward`` stores exactly what its ``backward`` needs. Binary layers'
``backward(dout)`` returns ``(dx, dy)``; unary layers' returns ``dx``.

Every module in this folder is imported here, so a new op is one decorated
class in one new file: the registry, and through it the palette, formulas,
steps, explanations, the gradient check and every exporter, pick it up.
The registry keeps the palette order (``register(order=...)``), so the import
order does not matter. Each registered class is also a name of this package,
as the Python exporter's ``from server.engine.layers import MulLayer`` needs.
"""
import importlib
import pkgutil

__all__ = []
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _name, _obj in vars(_module).items():
        if isinstance(_obj, type) and _obj.__module__ == _module.__name__ and hasattr(_obj, "op"):
            globals()[_name] = _obj
            __all__.append(_name)
