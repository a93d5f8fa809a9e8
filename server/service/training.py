"""Training: the loss curve and the gradient-descent step, p ← p − lr·∂L/∂p (teaching/learning.py);
with a dataset, mini-batch SGD and the accuracy curve beside the loss (teaching/minibatch.py)."""
from __future__ import annotations

from ..engine.display import fmt
from ..engine.document import GraphError, jsonable
from ..teaching import learning, minibatch

# Edits that leave the loss curve meaningful; any other edit starts a new one.
KEEPS_LOSSES = {"move_node", "set_label", "set_trainable", "set_learning_rate", "set_title"}
MAX_LOSS_POINTS = 10_000


class Training:
    def __init__(self, source: minibatch.Source | None = None):
        self.losses: list[float] = []  # the loss before the first step, then after each one
        self.accuracy: list = []       # with a dataset: the accuracy beside each loss; else empty
        self.source = source if source is not None else minibatch.Source()

    def state(self, graph, trainable: list | None = None) -> dict:
        """``trainable``: the list as it is known to be (a value edit keeps it), to save a pass over
        every node."""
        rate = learning.learning_rate(graph)
        out = {"learning_rate": rate, "learning_rate_text": fmt(rate),
               "trainable": graph.trainable() if trainable is None else trainable,
               "losses": [jsonable(x) for x in self.losses],
               "loss_text": fmt(self.losses[-1]) if self.losses else None}
        if graph.dataset is not None:  # a graph without one has the state it always had
            out.update(accuracy=list(self.accuracy),
                       accuracy_text=minibatch.accuracy_text(self.accuracy[-1]) if self.accuracy else None,
                       dataset=self.dataset_state(graph))
        return out

    def dataset_state(self, graph) -> dict | None:
        """The dataset as the learning panel shows it: the document's field, with the set's size
        and what the accuracy is measured on (``available`` false: this server lacks it)."""
        spec = graph.dataset
        if spec is None:
            return None
        out = {k: spec[k] for k in ("name", "seed", "batch", "drawn")}
        try:
            data = self.source.data(spec)
        except GraphError:
            return {**out, "available": False}
        return {**out, "available": True, "size": len(data.x), "eval_size": len(data.eval_x),
                "eval_of": data.eval_of}

    # -- the curves: (losses, accuracy) --------------------------------------------------
    def curves(self) -> tuple[list, list]:
        return self.losses, self.accuracy

    def set_curves(self, curves):
        self.losses, self.accuracy = curves

    def stored(self):
        """The curves as the store keeps them (its ``losses`` column): the plain list of losses,
        as before, when there is no accuracy curve."""
        return {"losses": self.losses, "accuracy": self.accuracy} if self.accuracy else self.losses

    @staticmethod
    def loaded(saved) -> tuple[list, list]:
        if isinstance(saved, dict):
            return list(saved.get("losses") or []), list(saved.get("accuracy") or [])
        return list(saved or []), []

    @staticmethod
    def curve_after_edit(changes) -> tuple | None:
        """The curves after an ordinary edit: kept (None) or started afresh."""
        return ([], []) if any(op["type"] not in KEEPS_LOSSES for op in changes) else None

    def plan(self, graph, count):
        """``count`` steps worked out on the graph (left as it was): (the edits, and a function
        giving the curves once they are committed: the curves as of the commit, which another
        process may have added to meanwhile)."""
        start = learning.loss(graph)
        if graph.dataset is None:
            edits, losses = learning.train(graph, count)
            return edits, lambda: (((self.losses or [start]) + losses)[-MAX_LOSS_POINTS:], [])
        data = self.source.data(minibatch.dataset_of(graph))
        first = minibatch.accuracy(graph, data)
        edits, losses, accuracy = minibatch.train(graph, self.source, count)

        def curves():
            had = self.accuracy if len(self.accuracy) == len(self.losses) else [None] * len(self.losses)
            return (((self.losses or [start]) + losses)[-MAX_LOSS_POINTS:],
                    ((had or [first]) + accuracy)[-MAX_LOSS_POINTS:])
        return edits, curves

    def next_batch(self, graph) -> list[dict]:
        """The edits that load the next batch into x and t; the curves are kept."""
        return minibatch.next_batch(graph, self.source)
