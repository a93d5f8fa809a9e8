"""Mini-batch SGD on a dataset, as the book's ch04/train_neuralnet.py does it, on the graph.

A document's ``dataset`` field (document.DatasetModel) names the data its inputs
``x`` and ``t`` are batches of: ``{"name": "spiral", "seed": 0, "batch": 30,
"drawn": 1, "x": "x", "t": "t"}``. The data stays here, on the server; the document
holds one batch (the one in ``x`` and ``t``) and how many batches were drawn.

- Batch number ``k`` is the book's ``np.random.choice(train_size, batch_size)``
  (with replacement) from ``numpy.random.default_rng([seed, k])``: the same batches,
  in the same order, in every process and after every reload.
- One training step: the gradients of the batch in ``x``/``t``, the update
  ``p ← p − lr · ∂L/∂p`` (teaching/learning.py), then the next batch is loaded, and
  the loss recorded is the graph's output on it (what the canvas shows). So the
  batch on show is always the one the next step trains on: a person can step it
  forward and backward first.
- The accuracy recorded is the share of the evaluation set (the whole generated set;
  MNIST's first 1,000 test images, or training images without a test set) whose
  largest score is the label's: the graph itself is run on it, batch by batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.document import GraphError
from ..engine.graph import ComputationGraph
from ..engine.layers import SoftmaxWithLossLayer
from .datasets import GENERATED
from .learning import check_count, loss, update_ops

EVAL_DIGITS = 1000  # MNIST images the accuracy is measured on, at every step


@dataclass(frozen=True)
class Data:
    """A dataset ready to draw from: inputs (N, D) (uint8 for MNIST, scaled when drawn), integer
    labels (N,), and the evaluation set the accuracy is measured on."""
    x: np.ndarray
    labels: np.ndarray
    classes: int
    eval_x: np.ndarray
    eval_labels: np.ndarray
    scale: float = 1.0    # the inputs are divided by it: 255 for MNIST's bytes (the book's normalize)
    eval_of: str = "all"  # "all" (the whole set), "test" (held-out images) or "train"

    def rows(self, index) -> tuple[np.ndarray, np.ndarray]:
        """(x, one-hot t) of these rows, as float64."""
        return self.x[index] / self.scale, np.eye(self.classes)[self.labels[index]]


def _labelled(x, t_one_hot) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(x, dtype=float), np.argmax(t_one_hot, axis=1)


class Source:
    """The datasets this process can draw from: the generated ones (any seed) and MNIST if it
    was given (``--dataset PATH``, teaching/mnist.py)."""

    def __init__(self, digits=None):
        self.digits = digits
        self._made: dict = {}

    def data(self, spec: dict) -> Data:
        name = spec["name"]
        if name == "mnist":
            return self._mnist()
        key = (name, spec["seed"])
        if key not in self._made:
            x, labels = _labelled(*GENERATED[name](spec["seed"]))
            classes = int(labels.max()) + 1
            self._made = {key: Data(x, labels, classes, x, labels)}  # one kept: a seed is cheap to redo
        return self._made[key]

    def _mnist(self) -> Data:
        if self.digits is None:
            raise GraphError("this graph trains on MNIST, and no MNIST files were given: start the server "
                             "(or gradcanvas train) with --dataset FOLDER (the folder of train-images-idx3-ubyte and "
                             "train-labels-idx1-ubyte)", reason="no_dataset", name="mnist")
        if "mnist" not in self._made:
            d = self.digits
            if d.test_x is not None:
                ex, ey, of = d.test_x[:EVAL_DIGITS], d.test_y[:EVAL_DIGITS], "test"
            else:
                ex, ey, of = d.train_x[:EVAL_DIGITS], d.train_y[:EVAL_DIGITS], "train"
            self._made["mnist"] = Data(d.train_x, d.train_y.astype(int), 10, ex / 255.0, ey.astype(int),
                                       255.0, of)
        return self._made["mnist"]


def source_for(path) -> Source:
    """The datasets to train on: the generated ones, and MNIST from the folder ``path`` if given
    (a DatasetError if its files are not MNIST's)."""
    if not path:
        return Source()
    from .mnist import load_mnist
    return Source(load_mnist(path))


def draw(data: Data, spec: dict, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Batch number ``k``: (x, one-hot t), ``spec["batch"]`` rows drawn with replacement."""
    rng = np.random.default_rng([spec["seed"], k])
    return data.rows(rng.choice(len(data.x), spec["batch"]))


def first_batch(spec: dict, source: Source | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Batch 0 and the spec that says it was drawn: a new document's x and t."""
    data = (source or Source()).data(spec)
    x, t = draw(data, spec, 0)
    return x, t, {**spec, "drawn": 1}


def dataset_of(graph: ComputationGraph) -> dict:
    spec = graph.dataset
    if spec is None:
        raise GraphError("this graph has no dataset to draw batches from", reason="no_dataset", name="")
    for port in ("x", "t"):
        nid = spec[port]
        if nid not in graph.g or graph.g.nodes[nid]["op"] != "input":
            raise GraphError(f"the dataset's {port} is {nid!r}, which is no input node of this graph",
                             reason="dataset_input", port=port, node=nid)
    return spec


def batch_ops(graph: ComputationGraph, data: Data) -> list[dict]:
    """The edits that load the next batch into x and t and count it as drawn."""
    spec = dataset_of(graph)
    x, t = draw(data, spec, spec["drawn"])
    have = np.shape(graph.node(spec["x"])["value"])
    if len(have) != 2 or have[0] != spec["batch"] or have[1] != x.shape[1]:
        raise GraphError(f"a batch is {x.shape[0]} × {x.shape[1]}, but {spec['x']!r} holds {have}: the input "
                         "must have the batch's shape", reason="dataset_shape", node=spec["x"],
                         shape=str(have), batch=f"({x.shape[0]}, {x.shape[1]})")
    return [{"type": "set_value", "id": spec["x"], "value": x},
            {"type": "set_value", "id": spec["t"], "value": t},
            {"type": "set_dataset", "dataset": {**spec, "drawn": spec["drawn"] + 1}}]


def scores_node(graph: ComputationGraph) -> str | None:
    """The node whose largest entry is the prediction: what feeds the softmax-with-loss output."""
    try:
        out = graph.output_node()
    except GraphError:
        return None
    if graph.g.nodes[out]["op"] != SoftmaxWithLossLayer.op:
        return None
    return (graph._inputs.get(out) or [None])[0]


def accuracy(graph: ComputationGraph, data: Data) -> float | None:
    """The share of the evaluation set the graph labels right (None: the graph's output is no
    softmax-with-loss). The graph is run on it a batch at a time (``value_with``: no edit)."""
    scores, spec = scores_node(graph), graph.dataset
    if scores is None or spec is None:
        return None
    xid, rows, n = spec["x"], spec["batch"], len(data.eval_x)
    padded = np.resize(data.eval_x, (-(-n // rows) * rows, data.eval_x.shape[1]))  # whole batches, wrapped round
    found = [np.argmax(graph.value_with(scores, {xid: padded[start:start + rows]}), axis=1)
             for start in range(0, len(padded), rows)]
    return float(np.mean(np.concatenate(found)[:n] == data.eval_labels))


def train(graph: ComputationGraph, source: Source, count: int) -> tuple[list[dict], list[float], list]:
    """``count`` mini-batch steps; returns (the net edits, the loss and the accuracy after each step).

    As learning.train: the graph is left as it was, and the caller applies the edits as one
    edit (one version, one patch, one undo): the parameters, x, t and the dataset's count.
    """
    count = check_count(count)
    spec = dataset_of(graph)
    data = source.data(spec)
    ids = [*graph.trainable(), spec["x"], spec["t"]]
    before = [{"type": "set_value", "id": i, "value": graph.node(i)["value"]} for i in ids]
    before.append({"type": "set_dataset", "dataset": spec})
    losses, accuracies = [], []
    try:
        for _ in range(count):
            graph.apply_batch(update_ops(graph))
            graph.apply_batch(batch_ops(graph, data))
            losses.append(loss(graph))
            accuracies.append(accuracy(graph, data))
        after = [{**op, "value": graph.node(op["id"])["value"]} for op in before[:-1]]
        after.append({"type": "set_dataset", "dataset": graph.dataset})
    finally:
        graph.apply_batch(before)
    return after, losses, accuracies


def next_batch(graph: ComputationGraph, source: Source) -> list[dict]:
    """The edits that load the next batch into x and t, the parameters as they are."""
    return batch_ops(graph, source.data(dataset_of(graph)))


def accuracy_text(value) -> str | None:
    return None if value is None else f"{100.0 * value:.1f}%"
