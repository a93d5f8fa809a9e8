"""Example graphs shipped as package data: load one with ``load_example(name)``."""
import json
from importlib import resources

NAMES = ("doughnut", "doughnut_cupcake", "sigmoid_neuron", "tanh_neuron", "x_times_x", "one_neuron_fit")


def example_doc(name: str) -> dict:
    if name not in NAMES:
        raise KeyError(f"no example {name!r}; examples: {', '.join(NAMES)}")
    return json.loads(resources.files(__name__).joinpath(f"{name}.json").read_text("utf-8"))


def list_examples() -> list[dict]:
    return [{"name": n, "title": example_doc(n)["title"]} for n in NAMES]
