"""A graph being edited: its ComputationGraph, version, step cursor and lock.

Held in memory by id (``Sessions``). Every method validates, changes the
session under its lock and returns what the socket layer should send.
"""
from __future__ import annotations

import secrets
import threading

from . import learning
from .display import fmt
from .document import GraphError, Limits, jsonable
from .graph import ComputationGraph
from .view import Cursor, pass_orders, visible_state, wire_event

# Edits of these types change what the steps are, so they reset the cursor.
STRUCTURAL = {"add_node", "remove_node", "connect", "disconnect", "set_params", "set_output"}
# Edits that leave the loss curve meaningful; any other edit starts a new one.
KEEPS_LOSSES = {"move_node", "set_label", "set_trainable", "set_learning_rate"}
MAX_LOSS_POINTS = 10_000


class GraphSession:
    def __init__(self, graph: ComputationGraph, graph_id: str):
        self.graph = graph
        self.id = graph_id
        self.version = 0
        self.cursor = Cursor()
        self.lock = threading.RLock()
        self._steps: tuple[list, list] | None = None  # cached step events (forward, backward)
        self.losses: list[float] = []  # the loss before the first update, then after each one

    # -- steps -----------------------------------------------------------------
    def _events(self) -> tuple[list, list]:
        if self._steps is None:
            fwd = [wire_event(e) for e in self.graph.forward_steps()]
            try:
                bwd = [wire_event(e) for e in self.graph.backward_steps()]
            except GraphError:
                bwd = []  # incomplete graph or ambiguous output: nothing to step back through
            self._steps = (fwd, bwd)
        return self._steps

    def _orders(self) -> tuple[list, list]:
        if self._steps is not None:
            fwd, bwd = self._steps
            return [e["node"] for e in fwd], [e["node"] for e in bwd]
        return pass_orders(self.graph)

    def state(self) -> dict:
        fwd, bwd = self._orders()
        self.cursor.total = len(bwd) if self.cursor.phase == "backward" else len(fwd)
        state = visible_state(self.graph, self.cursor, fwd, bwd)
        state["learning"] = self.learning_state()
        return state

    def learning_state(self) -> dict:
        rate = learning.learning_rate(self.graph)
        return {"learning_rate": rate, "learning_rate_text": fmt(rate),
                "trainable": self.graph.trainable(),
                "losses": [jsonable(x) for x in self.losses],
                "loss_text": fmt(self.losses[-1]) if self.losses else None}

    def join_payload(self) -> dict:
        with self.lock:
            return {"ok": True, "graph": self.graph.to_dict(), "version": self.version, "state": self.state()}

    def step(self, direction: str, count) -> tuple[list, Cursor, bool]:
        """Advance the cursor; returns (events to broadcast, cursor, done)."""
        if direction not in ("forward", "backward"):
            raise GraphError("direction must be 'forward' or 'backward'")
        if count != "all" and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise GraphError("count must be a positive whole number or 'all'")
        with self.lock:
            fwd, bwd = self._events()
            c = self.cursor
            out = []
            if direction == "backward" and not bwd:
                raise GraphError("cannot step backward: " + self._why_no_backward())
            limit = float("inf") if count == "all" else count
            taken = 0
            if direction == "forward" and c.phase == "backward":
                c.phase, c.step = "idle", 0  # stepping forward again starts over
            if c.phase == "idle":
                c.phase, c.step, c.total = "forward", 0, len(fwd)
            if direction == "backward" and c.phase == "forward":
                # Backward needs every value: finish the forward pass first.
                while c.step < len(fwd):
                    out.append(self._emit(fwd, c))
                c.phase, c.step, c.total = "backward", 0, len(bwd)
            events = fwd if direction == "forward" else bwd
            while taken < limit and c.step < len(events):
                out.append(self._emit(events, c))
                taken += 1
            return out, Cursor(**c.to_dict()), c.step >= len(events)

    def _emit(self, events, c: Cursor) -> dict:
        event = events[c.step]
        c.step += 1
        c.total = len(events)
        return {**event, "cursor": c.to_dict()}

    def _why_no_backward(self) -> str:
        try:
            self.graph.backward()
        except GraphError as err:
            return str(err)
        return "nothing to differentiate"

    def reset(self) -> Cursor:
        with self.lock:
            self.cursor = Cursor()
            return self.cursor

    def tidy_ops(self) -> list[dict]:
        """move_node ops that lay the graph out afresh (server/layout.py)."""
        from .layout import layout
        doc = layout(self.graph.to_dict())
        now = self.graph.g.nodes
        return [{"type": "move_node", "id": n["id"], "x": n["x"], "y": n["y"]} for n in doc["nodes"]
                if (now[n["id"]]["x"], now[n["id"]]["y"]) != (n["x"], n["y"])]

    # -- edits -----------------------------------------------------------------
    def edit(self, ops) -> tuple[list, int]:
        """Apply a batch atomically; returns (applied ops, new version)."""
        with self.lock:
            changes, version = self._apply(ops)
            if any(op["type"] not in KEEPS_LOSSES for op in changes):
                self.losses = []
            return changes, version

    def update(self, count=1) -> tuple[list, int, list[float]]:
        """``count`` gradient-descent steps as one edit; returns (ops, version, losses so far)."""
        with self.lock:
            start = learning.loss(self.graph)
            ops, losses = learning.train(self.graph, count)
            changes, version = self._apply(ops)
            if not self.losses:
                self.losses = [start]
            self.losses = (self.losses + losses)[-MAX_LOSS_POINTS:]
            return changes, version, self.losses

    def _apply(self, ops) -> tuple[list, int]:
        changes, _ = self.graph.apply_batch(ops)
        self.version += 1
        self._steps = None
        if any(op["type"] in STRUCTURAL for op in changes):
            self.cursor = Cursor()
        return changes, self.version


class Sessions:
    """The graphs held in memory, by id."""

    def __init__(self, limits: Limits = Limits()):
        self.limits = limits
        self._by_id: dict[str, GraphSession] = {}
        self._lock = threading.Lock()

    def create(self, doc: dict) -> GraphSession:
        graph = ComputationGraph.from_dict(doc, self.limits)
        with self._lock:
            graph_id = secrets.token_urlsafe(6)
            while graph_id in self._by_id:
                graph_id = secrets.token_urlsafe(6)
            session = self._by_id[graph_id] = GraphSession(graph, graph_id)
        return session

    def get(self, graph_id) -> GraphSession:
        session = self._by_id.get(graph_id) if isinstance(graph_id, str) else None
        if session is None:
            raise GraphError(f"no graph with id {graph_id!r}")
        return session
