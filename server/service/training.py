"""Training: the loss curve and the gradient-descent step, p ← p − lr·∂L/∂p (teaching/learning.py)."""
from __future__ import annotations

from ..engine.display import fmt
from ..engine.document import jsonable
from ..teaching import learning

# Edits that leave the loss curve meaningful; any other edit starts a new one.
KEEPS_LOSSES = {"move_node", "set_label", "set_trainable", "set_learning_rate", "set_title"}
MAX_LOSS_POINTS = 10_000


class Training:
    def __init__(self):
        self.losses: list[float] = []  # the loss before the first step, then after each one

    def state(self, graph, trainable: list | None = None) -> dict:
        """``trainable``: the list as it is known to be (a value edit keeps it), to save a pass over
        every node."""
        rate = learning.learning_rate(graph)
        return {"learning_rate": rate, "learning_rate_text": fmt(rate),
                "trainable": graph.trainable() if trainable is None else trainable,
                "losses": [jsonable(x) for x in self.losses],
                "loss_text": fmt(self.losses[-1]) if self.losses else None}

    @staticmethod
    def curve_after_edit(changes) -> list | None:
        """The loss curve after an ordinary edit: kept (None) or started afresh ([])."""
        return [] if any(op["type"] not in KEEPS_LOSSES for op in changes) else None

    def plan(self, graph, count):
        """``count`` steps worked out on the graph (left as it was): (the set_value edits, and a
        function giving the loss curve once they are committed: the curve as of the commit, which
        another process may have added to meanwhile)."""
        start = learning.loss(graph)
        edits, losses = learning.train(graph, count)
        return edits, lambda: ((self.losses or [start]) + losses)[-MAX_LOSS_POINTS:]
