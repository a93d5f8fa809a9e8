"""GraphService: one graph being edited, and the only way the web layer changes it.

Each method takes the graph's lock itself, catches up with what other
processes committed, does its work through the step cursor, the edit log or
training, puts what the room must hear in the outbox, and returns an Outcome.
"""
from __future__ import annotations

import threading

from ..engine.document import GraphError
from ..engine.display import tensor_table
from ..engine.visible import Cursor, revealed
from ..teaching.layout import layout
from . import delta as deltas
from . import valuedelta
from .cursor import StepCursor
from .editlog import EditLog
from .outbox import Outbox, Outcome
from .training import Training

# Edits of these types change what the steps are, so they reset the cursor.
STRUCTURAL = {"add_node", "remove_node", "connect", "disconnect", "set_params", "set_output"}
# Edits that keep the cursor but change the texts of the step on show: a patch carries it anew.
RETEXTED = {"set_value", "set_label"}
# Edits whose delta can be written from the nodes they changed (service/valuedelta.py).
VALUES_ONLY = {"set_value", "set_dataset"}  # set_dataset changes no node: only learning.dataset
MAX_MISSED = 500  # a re-joining client gets the patches it missed, up to this many; else the whole graph


class GraphService:
    def __init__(self, graph, graph_id: str, store=None, version: int = 0, source=None):
        self.id = graph_id
        self.graph = graph
        self.store = store
        self.lock = threading.RLock()
        self.log = EditLog(graph, graph_id, store, version)
        self.cursor = StepCursor(graph)
        self.training = Training(source)  # source: the datasets (teaching/minibatch.py)
        self.outbox = Outbox()
        # The visible state the room has, the base of the next patch's delta; None when unknown
        # (steps have moved the cursor since, or another process changed the graph).
        self._seen: dict | None = None
        # The step on show as the room last had it (a step broadcast, or current()), or None.
        self._shown_step: dict | None = None
        # Whether graph.changes() was last called at the state ``_seen`` holds, so that its answer
        # is what changed since the room's state; and the edges' positions in that state.
        self._baseline = False
        self._edge_at: dict | None = None

    @property
    def version(self) -> int:
        return self.log.version

    # -- reading ---------------------------------------------------------------------
    def state(self) -> dict:
        """What everyone sees: the evaluation as far as the cursor reveals it, and the learning state."""
        with self.lock:
            return {**self.cursor.visible(), "learning": self.training.state(self.graph)}

    def join(self, since=None) -> dict:
        """A join's reply: the patches missed since ``since``, or the whole graph."""
        with self.lock:
            missed = self.log.missed(since, MAX_MISSED)
            self._set_seen(self.state())  # what the room has now (the outbox sends in order)
            reply = {"ok": True, "version": self.version, "state": self._seen}
            current = self._shown_step = self.cursor.current()
            if current is not None:  # the step on show, for a page joining mid-run (docs/protocol.md)
                reply["current"] = {"graph_id": self.id, **current}
            if missed is not None:
                reply["missed"] = missed
            else:
                reply["graph"] = self.graph.to_dict()
            if self.log.problems:  # what loading had to repair: said, never silently dropped
                reply["repaired"] = list(self.log.problems)
            return reply

    def history(self, client: str) -> dict:
        return self.log.history(client)

    def document(self) -> dict:
        with self.lock:
            return self.graph.to_dict()

    def read(self, fn):
        """``fn(graph, cursor)`` with the graph held still: for exports."""
        with self.lock:
            return fn(self.graph, self.cursor.at)

    # -- #16 view: the click-to-open matrix ----------------------------------------------------
    def tensor_table(self, node: str, of: str, edge: tuple | None = None) -> dict:
        """``{"node", "of", "shape", "rows"}``: a node's whole value or gradient, formatted, if the
        step cursor has revealed it (engine/visible.py ``revealed``), else a ``not_revealed`` refusal."""
        with self.lock:
            fwd, bwd = self.cursor.orders()
            x = revealed(self.graph, self.cursor.at, fwd, bwd, node, of, edge)
            return {"node": node, "of": of, **({"target": edge[0], "port": edge[1]} if edge else {}), **tensor_table(x)}
    # -- #16 view end --

    # -- edits -----------------------------------------------------------------------
    def edit(self, edits, client: str = "", base=None) -> Outcome:
        """Apply a batch made against version ``base`` (if it still makes sense) and commit it."""
        if base is not None and (isinstance(base, bool) or not isinstance(base, int)):
            raise GraphError("version must be a whole number")
        with self.lock:
            try:
                self._commit(edits, client, "edit", Training.curve_after_edit)
            except GraphError as err:
                if base is not None and base < self.version:
                    raise err.retold(f"{err} (your edit was made at version {base}; others have since "
                                     f"changed the graph, now at version {self.version})") from None
                raise
            return self._done(client)

    def tidy(self, client: str = "") -> Outcome:
        """Lay the graph out afresh (teaching/layout.py) as one edit of move_node edits."""
        with self.lock:
            self.sync()
            doc = layout(self.graph.to_dict())
            now = self.graph.g.nodes
            moves = [{"type": "move_node", "id": n["id"], "x": n["x"], "y": n["y"]} for n in doc["nodes"]
                     if (now[n["id"]]["x"], now[n["id"]]["y"]) != (n["x"], n["y"])]
            if not moves:
                return Outcome({"ok": True, "version": self.version})
            self._commit(moves, client, "edit", Training.curve_after_edit)
            return self._done(client)

    def train(self, count=1, client: str = "") -> Outcome:
        """``count`` gradient-descent steps as one edit: one version, one patch, one undo."""
        with self.lock:
            self.sync()
            edits, curve = self.training.plan(self.graph, count)
            self._commit(edits, client, "edit", lambda _: curve())
            learning = self.training.state(self.graph)
            extra = {k: learning[k] for k in ("accuracy", "accuracy_text") if k in learning}
            return self._done(client, losses=learning["losses"], loss_text=learning["loss_text"], **extra)

    def next_batch(self, client: str = "") -> Outcome:
        """The dataset's next batch into x and t, the parameters as they are: one edit, the curves kept."""
        with self.lock:
            self.sync()
            self._commit(self.training.next_batch(self.graph), client, "edit", lambda _: None)
            return self._done(client)

    def undo(self, client: str) -> Outcome:
        """Take back this client's latest edit that is still in effect, by its inverse."""
        return self._undo_redo(client, "undo")

    def redo(self, client: str) -> Outcome:
        return self._undo_redo(client, "redo")

    def _undo_redo(self, client, kind) -> Outcome:
        with self.lock:
            self._logged(lambda after: self.log.undo_redo(client, kind, sync=self._catch_up, after=after),
                         Training.curve_after_edit)
            return self._done(client)

    def _commit(self, edits, client, kind, curve) -> list:
        return self._logged(lambda after: self.log.commit(edits, client, kind, sync=self._catch_up, after=after),
                            curve)

    def _logged(self, write, curve) -> list:
        """Run an edit-log write; on any failure the cursor and curve are as they were, as is the graph."""
        saved = self._saved()
        self._base()
        try:
            changes = write(lambda ch, tx: self._after_edit(ch, tx, curve))
        except BaseException:
            self._restore(saved)
            raise
        self._patch(changes)
        return changes

    def _after_edit(self, changes, tx, curve):
        """The cursor and loss curve an edit leaves, saved in the edit's own transaction."""
        self.cursor.invalidate()
        structural = any(e["type"] in STRUCTURAL for e in changes)
        if structural:
            self.cursor.reset()
            self._shown_step = None
        curves = curve(changes)
        if curves is not None:
            self.training.set_curves(curves)
        if tx is not None:
            self.store.save_shared(tx, self.id, cursor=self.cursor.at.to_dict() if structural else None,
                                   losses=None if curves is None else self.training.stored())

    def _saved(self):
        return Cursor(**self.cursor.at.to_dict()), self.training.curves()

    def _restore(self, saved):
        self.cursor.at, curves = saved
        self.training.set_curves(curves)
        self.cursor.invalidate()
        self._set_seen(None)
        self._shown_step = None

    def _set_seen(self, state: dict | None, baseline: bool = False):
        self._seen, self._baseline, self._edge_at = state, baseline, None

    def _base(self) -> dict:
        """The visible state the room has: the base of the next delta (worked out if unknown)."""
        if self._seen is None:
            self._set_seen(self.state())
        return self._seen

    def _catch_up(self, tx=None):
        """``sync`` inside an edit's transaction, then the base the edit's delta is made against."""
        self.sync(tx)
        self._base()

    def _with_state(self, payload: dict, values_only: bool = False) -> dict:
        """``payload`` with what the room must apply: the delta from the state the room has
        (``delta``, with ``base_cursor``, the cursor it was made at), or the whole ``state``
        when the base is unknown or the delta would be no smaller (docs/protocol.md).

        ``values_only``: the edits only set values, so the delta may be written from the nodes
        they changed (service/valuedelta.py) instead of diffing two whole states."""
        before = self._seen
        if values_only and before is not None:
            fast = self._value_delta(before)
            if fast is not None:
                payload["delta"], payload["base_cursor"] = fast, before["cursor"]
                return payload
        after = self.state()
        self._set_seen(after)
        if values_only:  # the next value edit's changes() counts from this state
            self.graph.changes()
            self._baseline = True
        delta = deltas.diff(before, after) if before is not None else None
        if delta is not None and deltas.size(delta) < deltas.size(after):
            payload["delta"], payload["base_cursor"] = delta, before["cursor"]
        else:
            payload["state"] = after
        return payload

    def _value_delta(self, before: dict) -> dict | None:
        """The delta of a value edit from the nodes it changed, with ``_seen`` moved on; or None."""
        if not self._baseline:
            return None
        changed = self.graph.changes()
        delta = valuedelta.value_delta(self.graph, self.cursor.at, before, changed)
        if delta is None:
            self._baseline = False
            return None
        learning = self.training.state(self.graph, trainable=before["learning"]["trainable"])
        delta.update(deltas.diff({"learning": before["learning"]}, {"learning": learning}) or {})
        if self._edge_at is None:
            self._edge_at = {(e["target"], e["port"]): k for k, e in enumerate(before["edges"])}
        after = valuedelta.applied(before, {k: v for k, v in delta.items() if not k.startswith("learning.")},
                                   self._edge_at)
        after["learning"] = learning
        self._seen = after
        return delta

    def _patch(self, changes):
        values_only = all(e["type"] in VALUES_ONLY for e in changes)
        payload = self._with_state({"graph_id": self.id, "version": self.version, "ops": changes}, values_only)
        if any(e["type"] in RETEXTED for e in changes):
            current = self._step_on_show(payload.get("delta"))
            if current is not None:  # the step on show, with its new numbers, for the explanation
                payload["current"] = {"graph_id": self.id, **current}
        self.outbox.put("patch", payload, self.id)

    def _step_on_show(self, delta) -> dict | None:
        """The step on show after a value or label edit. Working it out runs the step generator up
        to it (O(N) with every step's text), so the one the room has is kept when the delta
        changes nothing of its node or its neighbours: nothing the step's texts are made of."""
        kept, at = self._shown_step, self.cursor.at
        if kept is not None and delta is not None and (kept["cursor"]["phase"], kept["cursor"]["step"]) == \
                (at.phase, at.step) and kept["node"] in self.graph.g:
            node = kept["node"]
            near = {node, *self.graph.g.predecessors(node), *self.graph.g.successors(node)}
            if not deltas.touches(delta, near):
                return kept
        self._shown_step = self.cursor.current()
        return self._shown_step

    def _done(self, client, **extra) -> Outcome:
        return Outcome({"ok": True, "version": self.version, **extra, "history": self.history(client)},
                       self.outbox)

    # -- stepping --------------------------------------------------------------------
    def step(self, direction: str, count=1) -> Outcome:
        with self.lock:
            self.sync()
            saved = self._saved()
            try:
                events, done = self.cursor.step(direction, count)
                self._save_cursor()
            except BaseException:
                self._restore(saved)  # a cursor that was not saved was not moved
                raise
            self._set_seen(None)  # the room's state moves with the steps: worked out again when needed
            if events:
                self._shown_step = events[-1]
            for event in events:
                self.outbox.put("step", {"graph_id": self.id, **event}, self.id)
            return Outcome({"ok": True, "cursor": self.cursor.at.to_dict(), "done": done}, self.outbox)

    def reset(self) -> Outcome:
        with self.lock:
            self.sync()
            saved = self._saved()
            self._base()
            self.cursor.reset()
            self._shown_step = None
            try:
                self._save_cursor()
            except BaseException:
                self._restore(saved)
                raise
            self.outbox.put("state", self._with_state({"graph_id": self.id, "version": self.version}), self.id)
            return Outcome({"ok": True, "cursor": self.cursor.at.to_dict()}, self.outbox)

    # -- #17 lecture: where a prediction's node is revealed (service/lecture.py) --
    def pass_position(self) -> tuple[list, list, dict]:
        """(forward order, backward order, the cursor): how many steps reveal a given node."""
        with self.lock:
            self.sync()
            fwd, bwd = self.cursor.orders()
            return fwd, bwd, self.cursor.at.to_dict()
    # -- end #17 lecture --

    def _save_cursor(self):
        if self.store is not None:
            with self.store.write() as tx:
                self.store.save_shared(tx, self.id, cursor=self.cursor.at.to_dict())

    # -- other processes ---------------------------------------------------------------
    def sync(self, tx=None):
        """Catch up with what other processes committed: edits, the cursor, the loss curve."""
        if self.store is None:
            return
        with self.lock:
            shared, arrived = self.log.catch_up(tx)
            if arrived:
                self.cursor.invalidate()
            was = (self.cursor.at.phase, self.cursor.at.step), self.training.curves()
            if shared.cursor:
                self.cursor.at = Cursor(**shared.cursor)
            self.training.set_curves(Training.loaded(shared.losses))
            if arrived or was != ((self.cursor.at.phase, self.cursor.at.step), self.training.curves()):
                self._set_seen(None)  # changed by another process: worked out again
                self._shown_step = None
