"""The book's two-layer net (ch04/two_layer_net.py, with ch05's layers) as a document.

    x ─┐
  W1 ──Affine1 ── Relu1 ──┐
  b1 ─┘           W2 ── Affine2 ── SoftmaxWithLoss ── loss
                  b2 ─┘                    t ─┘

W1, b1, W2, b2 are the trainable inputs, initialised as the book does:
``weight_init_std · randn`` for the weights and zeros for the biases, from a
seeded numpy Generator so that the same seed gives the same net.
"""
from __future__ import annotations

import numpy as np

from ..engine.document import FORMAT, TENSOR_VERSION
from ..engine.layers import AffineLayer, ReluLayer, SoftmaxWithLossLayer

AFFINE, RELU, LOSS = AffineLayer.op, ReluLayer.op, SoftmaxWithLossLayer.op  # the registry's names


def init_params(input_size: int, hidden_size: int, output_size: int, weight_init_std: float = 0.01,
                seed: int = 0) -> dict:
    """{W1, b1, W2, b2} as the book's TwoLayerNet.__init__ makes them (with a seeded Generator)."""
    rng = np.random.default_rng(seed)
    return {"W1": weight_init_std * rng.standard_normal((input_size, hidden_size)),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * rng.standard_normal((hidden_size, output_size)),
            "b2": np.zeros(output_size)}


def two_layer_net(x, t, params: dict | None = None, *, hidden_size: int = 10, weight_init_std: float = 0.01,
                  seed: int = 0, title: str = "Two-layer net", learning_rate: float | None = 0.1) -> dict:
    """The document: Affine → Relu → Affine → SoftmaxWithLoss on the batch ``x`` with labels ``t``.

    ``t``: one-hot (N, C) or integer labels (N,); ``params``: W1, b1, W2, b2 to use
    (default: the book's initialisation for ``hidden_size`` hidden units).
    """
    x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
    classes = t.shape[1] if t.ndim == 2 else int(t.max()) + 1
    if params is None:
        params = init_params(x.shape[-1], hidden_size, classes, weight_init_std, seed)
    # Columns and rows wide enough for each edge's shape badge and heat maps (docs/tensors.md,
    # "On the canvas"): the three edges into an Affine meet at its ports, so its inputs are
    # a row (120) apart, and the labels of neighbouring edges clear each other.
    col, row = 180, 120
    nodes = [
        {"id": "x", "op": "input", "value": x.tolist(), "x": 0.0, "y": 0.0},
        {"id": "W1", "op": "input", "value": np.asarray(params["W1"]).tolist(), "trainable": True, "x": 0.0, "y": row},
        {"id": "b1", "op": "input", "value": np.asarray(params["b1"]).tolist(), "trainable": True, "x": 0.0, "y": 2 * row},
        {"id": "Affine1", "op": AFFINE, "x": col, "y": row},
        {"id": "Relu1", "op": RELU, "x": 2 * col, "y": row},
        {"id": "W2", "op": "input", "value": np.asarray(params["W2"]).tolist(), "trainable": True, "x": 2 * col - 30, "y": 2 * row + 20},
        {"id": "b2", "op": "input", "value": np.asarray(params["b2"]).tolist(), "trainable": True, "x": 2 * col - 30, "y": 3 * row + 20},
        {"id": "Affine2", "op": AFFINE, "x": 3 * col, "y": 2 * row + 20},
        {"id": "t", "op": "input", "value": t.tolist(), "x": 3 * col, "y": 3 * row + 40},
        {"id": "loss", "op": LOSS, "x": 4 * col, "y": 2 * row + 20},
    ]
    wires = [("x", "Affine1", 0), ("W1", "Affine1", 1), ("b1", "Affine1", 2), ("Affine1", "Relu1", 0),
             ("Relu1", "Affine2", 0), ("W2", "Affine2", 1), ("b2", "Affine2", 2),
             ("Affine2", "loss", 0), ("t", "loss", 1)]
    doc = {"format": FORMAT, "version": TENSOR_VERSION, "title": title, "nodes": nodes,
           "edges": [{"source": s, "target": d, "port": p} for s, d, p in wires], "output": "loss"}
    if learning_rate is not None:
        doc["learning_rate"] = learning_rate
    return doc


def spiral_net(batch: int = 30, hidden_size: int = 10, seed: int = 0, name: str = "spiral") -> dict:
    """The example: input 2, hidden ``hidden_size``, output 3 (2 for ``moons``), trained by
    mini-batches of ``batch`` points of a generated set (teaching/minibatch.py); x and t hold
    batch 0. The learning rate is 1: with the book's 0.01 initialisation, 0.1 takes
    hundreds of steps to leave the plateau at log 3."""
    from .minibatch import first_batch
    x, t, spec = first_batch({"name": name, "seed": seed, "batch": batch, "x": "x", "t": "t"})
    what = "a spiral" if name == "spiral" else "two moons"
    doc = two_layer_net(x, t, hidden_size=hidden_size, weight_init_std=0.01, seed=seed, learning_rate=1.0,
                        title=f"Two-layer net on {what} (Affine → ReLU → Affine → Softmax-with-Loss)")
    doc["dataset"] = spec
    return doc


def mnist_net(source, batch: int = 100, hidden_size: int = 50, seed: int = 0) -> dict:
    """The book's net for MNIST (ch04/train_neuralnet.py): input 784, hidden 50, output 10, batches
    of 100, learning rate 0.1; ``source`` (minibatch.Source) holds the digits."""
    from .minibatch import first_batch
    x, t, spec = first_batch({"name": "mnist", "seed": seed, "batch": batch, "x": "x", "t": "t"}, source)
    doc = two_layer_net(x, t, hidden_size=hidden_size, weight_init_std=0.01, seed=seed, learning_rate=0.1,
                        title="Two-layer net on MNIST digits (784 → 50 → 10)")
    doc["dataset"] = spec
    return doc
