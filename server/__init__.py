"""gradcanvas: a computational-graph editor for learning backpropagation.

The parts, lowest first: ``engine`` (layers, graph, steps; knows no web and no
database), ``teaching`` (formulas, layout, gradient check, learning step),
``export`` (figures, code, documents), ``store`` (where graphs are kept),
``service`` (graphs being edited: cursor, edit log, training), ``web`` (Flask and
Socket.IO) and ``cli``. tests/test_architecture.py keeps the imports pointing down.
"""
__version__ = "0.1.0"
