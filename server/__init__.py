"""gradcanvas: a computational-graph editor for learning backpropagation."""
from . import layers  # noqa: F401  (fills the op registry)

__version__ = "0.1.0"
