"""A graph being edited: its ComputationGraph, version, step cursor and lock.

Held in memory by id (``Sessions``) and kept in a Store. Every method
validates, changes the session under its lock, commits to the store and only
then returns what the socket layer should send. Before each operation a
session catches up with edits another server process committed (``sync``).
"""
from __future__ import annotations

import json
import secrets
import threading

from ..teaching import learning
from ..engine.display import fmt
from ..engine.document import GraphError, Limits, jsonable
from ..engine.graph import ComputationGraph
from ..store.sqlite import Store, StoreError
from ..engine.visible import Cursor, pass_orders, visible_state, wire_event

# Edits of these types change what the steps are, so they reset the cursor.
STRUCTURAL = {"add_node", "remove_node", "connect", "disconnect", "set_params", "set_output"}
# Edits that leave the loss curve meaningful; any other edit starts a new one.
KEEPS_LOSSES = {"move_node", "set_label", "set_trainable", "set_learning_rate", "set_title"}
MAX_LOSS_POINTS = 10_000


class GraphSession:
    def __init__(self, graph: ComputationGraph, graph_id: str, store: Store | None = None, version: int = 0):
        self.graph = graph
        self.id = graph_id
        self.store = store            # None: in memory only (unit tests, the CLI)
        self.version = version
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
            self._save_shared(cursor=True)
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
            self._save_shared(cursor=True)
            return self.cursor

    def tidy_ops(self) -> list[dict]:
        """move_node ops that lay the graph out afresh (server/layout.py)."""
        from ..teaching.layout import layout
        doc = layout(self.graph.to_dict())
        now = self.graph.g.nodes
        return [{"type": "move_node", "id": n["id"], "x": n["x"], "y": n["y"]} for n in doc["nodes"]
                if (now[n["id"]]["x"], now[n["id"]]["y"]) != (n["x"], n["y"])]

    # -- edits -----------------------------------------------------------------
    def edit(self, ops, client: str = "", kind: str = "edit") -> tuple[list, int]:
        """Apply a batch atomically and commit it; returns (applied ops, new version)."""
        with self.lock:
            # Any edit but a move, a label or a learning setting starts a new loss curve.
            return self._commit(ops, client, kind,
                                lambda changes: [] if any(op["type"] not in KEEPS_LOSSES for op in changes) else None)

    def update(self, count=1, client: str = "") -> tuple[list, int, list[float]]:
        """``count`` gradient-descent steps as one edit; returns (ops, version, losses so far)."""
        with self.lock:
            self.sync()
            start = learning.loss(self.graph)
            ops, losses = learning.train(self.graph, count)
            # (self.losses as of the commit: another process may have added to it)
            changes, version = self._commit(ops, client, "edit",
                                            lambda _: ((self.losses or [start]) + losses)[-MAX_LOSS_POINTS:])
            return changes, version, self.losses

    def undo(self, client: str) -> tuple[list, int]:
        """Take back this client's latest edit that is still in effect, by its inverse."""
        return self._undo_redo(client, "undo")

    def redo(self, client: str) -> tuple[list, int]:
        return self._undo_redo(client, "redo")

    def _undo_redo(self, client: str, kind: str) -> tuple[list, int]:
        if not client:
            raise GraphError(f"nothing to {kind}: this connection has no client id")
        with self.lock:
            if self.store is None:
                raise GraphError(f"{kind} needs the store")
            with self.store.write() as db:
                self.sync(db)
                row = self.store.last_own_edit(db, self.id, client, "done" if kind == "undo" else "undone")
                if row is None:
                    raise GraphError(f"nothing to {kind}: you have no edits to {kind} in this graph")
                batch = row.inverse if kind == "undo" else row.ops
                try:
                    changes, inverse = self.graph.apply_batch(batch)
                except GraphError as err:
                    raise GraphError(f"cannot {kind}: the graph changed since ({err})", err.problems) from None
                version = self._append(db, kind, changes, inverse, client)
                if kind == "undo":  # the row keeps what redo re-applies and what undo takes back
                    self.store.mark(db, self.id, row.version, "undone", undone_at=version, ops=inverse)
                else:
                    self.store.mark(db, self.id, row.version, "done", inverse=inverse)
            return changes, version

    def history(self, client: str) -> dict:
        """What this client can undo and redo (for its buttons)."""
        if self.store is None or not client:
            return {"can_undo": False, "can_redo": False}
        can_undo, can_redo = self.store.can_undo_redo(self.id, client)
        return {"can_undo": can_undo, "can_redo": can_redo}

    def _commit(self, ops, client: str, kind: str, losses_after=None) -> tuple[list, int]:
        """Apply and log a batch. ``losses_after(changes)`` is the new loss curve, or None to keep it."""
        if self.store is None:
            changes, _ = self.graph.apply_batch(ops)
            self.version += 1
            self._after_edit(changes, losses_after)
            return changes, self.version
        with self.store.write() as db:
            self.sync(db)
            changes, inverse = self.graph.apply_batch(ops)
            self._append(db, kind, changes, inverse, client, losses_after)
        return changes, self.version

    def _append(self, db, kind, changes, inverse, client, losses_after=None) -> int:
        """Log the applied batch, and the cursor and loss curve it leaves, in one transaction.

        On failure the graph is put back, and the session's state is unchanged.
        """
        version = self.version
        cursor, losses = self.cursor, self.losses
        try:
            version = self.store.append(db, self.id, self.version, kind, changes, inverse, client,
                                        document=self.graph.to_dict)
            structural, new_losses = self._after_edit(changes, losses_after)
            self.store.save_shared(db, self.id, cursor=self.cursor.to_dict() if structural else None,
                                   losses=new_losses)
        except BaseException:
            self.graph.apply_batch(inverse)
            self.cursor, self.losses = cursor, losses
            raise
        self.version = version
        return version

    def _after_edit(self, changes, losses_after=None) -> tuple[bool, list | None]:
        """The session's own state after a batch; returns (structural?, the new loss curve or None)."""
        self._steps = None
        structural = any(op["type"] in STRUCTURAL for op in changes)
        if structural:
            self.cursor = Cursor()
        new_losses = losses_after(changes) if losses_after else None
        if new_losses is not None:
            self.losses = new_losses
        return structural, new_losses

    # -- sharing state with other processes ----------------------------------------
    def sync(self, db=None):
        """Catch up with what other processes committed: edits, the cursor, the loss curve."""
        if self.store is None:
            return
        with self.lock:
            conn = db or self.store.db
            row = conn.execute("SELECT version, cursor, losses, deleted_at FROM graphs WHERE id=?",
                               (self.id,)).fetchone()
            if row is None or row["deleted_at"] is not None:
                raise StoreError(f"no graph with id {self.id!r}")
            if row["version"] > self.version:
                for edit in self.store.edits_since(self.id, self.version):
                    self.graph.apply_batch(edit.ops)
                    self.version = edit.version
                self._steps = None
            if row["cursor"]:
                self.cursor = Cursor(**json.loads(row["cursor"]))
            self.losses = json.loads(row["losses"]) if row["losses"] else []

    def _save_shared(self, cursor=False, losses=False):
        if self.store is None:
            return
        with self.store.write() as db:
            self.store.save_shared(db, self.id, cursor=self.cursor.to_dict() if cursor else None,
                                   losses=self.losses if losses else None)


class Sessions:
    """The graphs held in memory, by id, loaded from and committed to the store."""

    def __init__(self, limits: Limits = Limits(), store: Store | None = None):
        self.limits = limits
        self.store = store
        self._by_id: dict[str, GraphSession] = {}
        self._lock = threading.Lock()

    def create(self, doc: dict, title: str | None = None) -> GraphSession:
        graph = ComputationGraph.from_dict(doc, self.limits)  # validates: nothing invalid is stored
        if title is not None:
            graph.title = title
        if self.store is None:
            graph_id = secrets.token_urlsafe(8)
        else:
            graph_id = self.store.create(graph.to_dict(), graph.title).id
        with self._lock:
            session = self._by_id[graph_id] = GraphSession(graph, graph_id, self.store)
        return session

    def get(self, graph_id) -> GraphSession:
        """The session, loaded from the store on first use; raises GraphError if there is none."""
        if not isinstance(graph_id, str):
            raise GraphError(f"no graph with id {graph_id!r}")
        with self._lock:
            session = self._by_id.get(graph_id)
        if session is None:
            if self.store is None:
                raise GraphError(f"no graph with id {graph_id!r}")
            session = self._load(graph_id)
        session.sync()
        return session

    def _load(self, graph_id) -> GraphSession:
        row = self.store.get(graph_id)
        graph = ComputationGraph.from_dict(row.document, self.limits)
        session = GraphSession(graph, graph_id, self.store, row.doc_version)
        with self._lock:  # two threads may load at once: keep the first
            return self._by_id.setdefault(graph_id, session)

    def forget(self, graph_id):
        with self._lock:
            self._by_id.pop(graph_id, None)
