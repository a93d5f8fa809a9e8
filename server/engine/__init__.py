"""The engine: layers, the op registry, the graph, its plan, steps and how it is shown.

It imports nothing from the web, the store or the services. Importing it fills
the op registry (``layers`` discovers its own modules).
"""
from . import layers  # noqa: F401  (fills the op registry)
