"""Example graphs shipped as package data: load one with ``example_doc(name)``.

Most are JSON documents (``NAME.json``); the book's shopping scripts are Python
(``buy_apple.py``, ``buy_apple_orange.py``), imported as a reader's script is
(teaching/pyimport.py: parsed, never run). ``example_source(name)`` is a Python
example's text.
"""
import json
from importlib import resources

NAMES = ("doughnut", "doughnut_cupcake", "sigmoid_neuron", "tanh_neuron", "x_times_x", "one_neuron_fit",
         "buy_apple", "buy_apple_orange")
PYTHON = ("buy_apple", "buy_apple_orange")  # the examples written as Python layer scripts


def example_source(name: str) -> str:
    """The text of a Python example (``buy_apple.py``)."""
    if name not in PYTHON:
        raise KeyError(f"no Python example {name!r}; Python examples: {', '.join(PYTHON)}")
    return resources.files(__name__).joinpath(f"{name}.py").read_text("utf-8")


def example_doc(name: str) -> dict:
    if name not in NAMES:
        raise KeyError(f"no example {name!r}; examples: {', '.join(NAMES)}")
    if name in PYTHON:
        from ..pyimport import import_python
        return import_python(example_source(name), title=name)
    return json.loads(resources.files(__name__).joinpath(f"{name}.json").read_text("utf-8"))


def list_examples() -> list[dict]:
    return [{"name": n, "title": example_doc(n)["title"]} for n in NAMES]
