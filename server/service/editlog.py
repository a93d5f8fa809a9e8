"""The edit log: every batch applied to the graph and committed to the store together,
undo and redo of one's own edits by their inverses, and catching up with edits that
other processes committed.

The in-memory graph and version change only when the store's transaction commits:
if anything fails, the commit included (a full disk), the batch is taken back out.
"""
from __future__ import annotations

import logging

from ..engine.document import GraphError, validate
from ..errors import Refused

log = logging.getLogger(__name__)


class EditLog:
    def __init__(self, graph, graph_id: str, store=None, version: int = 0):
        self.graph = graph
        self.id = graph_id
        self.store = store       # None: in memory only (unit tests, the CLI)
        self.version = version
        self.problems: list[str] = []  # what loading had to repair or skip, for the log and the join

    def catch_up(self, tx=None):
        """Apply what other processes committed; returns (the shared state, whether edits arrived)."""
        shared = self.store.shared(self.id, tx)
        arrived = shared.version > self.version
        if arrived:
            for edit in self.store.edits_since(self.id, self.version, tx=tx):
                try:
                    self.graph.apply_batch(edit.ops)
                except GraphError as err:  # a bad record must not make the graph unreachable
                    self.problems.append(f"version {edit.version} could not be replayed and was skipped: {err}")
                    log.warning("graph %s: %s", self.id, self.problems[-1])
                self.version = edit.version
        return shared, arrived

    def commit(self, batch, client: str, kind: str, *, sync, after, mark=None, explain=None) -> list:
        """Apply ``batch`` (a list of edits, or a function of the transaction giving one) and log it.

        Inside the one transaction: ``sync(tx)`` catches up first, ``mark(tx, version, inverse)``
        records an undo or redo on its original, and ``after(changes, tx)`` saves what the edit
        does to the shared state. ``explain(err)`` is the refusal to raise instead. Returns the changes.
        """
        if self.store is None:
            changes = self._apply(batch(None) if callable(batch) else batch, explain)[0]
            self.version += 1
            after(changes, None)
            return changes
        inverse = None
        try:
            with self.store.write() as tx:
                sync(tx)
                changes, inverse = self._apply(batch(tx) if callable(batch) else batch, explain)
                version = self.store.append(tx, self.id, self.version, kind, changes, inverse, client,
                                            document=self._loadable_document, nodes=len(self.graph))
                if mark is not None:
                    mark(tx, version, inverse)
                after(changes, tx)
        except BaseException:
            if inverse is not None:  # the transaction rolled back, so the graph does too
                self.graph.apply_batch(inverse)
            raise
        self.version = version
        return changes

    def _loadable_document(self) -> dict:
        """The document for a snapshot, checked on the way in: the store never keeps one that
        could not be loaded again (the edit is refused instead)."""
        doc = self.graph.to_dict()
        validate(doc, self.graph.limits)
        return doc

    def _apply(self, ops, explain):
        try:
            return self.graph.apply_batch(ops)
        except GraphError as err:
            if explain is None:
                raise
            raise explain(err) from None

    def undo_redo(self, client: str, kind: str, *, sync, after) -> list:
        """Take back (undo) or put again (redo) this client's latest own edit still in effect."""
        if not client:
            raise Refused(f"nothing to {kind}: this connection has no client id", reason=f"nothing_to_{kind}")
        if self.store is None:
            raise Refused(f"{kind} needs the store")
        original = {}

        def batch(tx):
            row = self.store.last_own_edit(tx, self.id, client, "done" if kind == "undo" else "undone")
            if row is None:
                raise Refused(f"nothing to {kind}: you have no edits to {kind} in this graph",
                              reason=f"nothing_to_{kind}")
            original["row"] = row
            return row.inverse if kind == "undo" else row.ops

        def mark(tx, version, inverse):
            # the original keeps what redo re-applies and what undo takes back
            row = original["row"]
            if kind == "undo":
                self.store.mark(tx, self.id, row.version, "undone", undone_at=version, ops=inverse)
            else:
                self.store.mark(tx, self.id, row.version, "done", inverse=inverse)

        return self.commit(batch, client, kind, sync=sync, after=after, mark=mark,
                           explain=lambda err: type(err)(f"cannot {kind}: the graph changed since ({err})",
                                                         err.problems, reason=f"cannot_{kind}",
                                                         because=err.as_cause()))

    def history(self, client: str) -> dict:
        """What this client can undo and redo (for its buttons)."""
        if self.store is None or not client:
            return {"can_undo": False, "can_redo": False}
        can_undo, can_redo = self.store.can_undo_redo(self.id, client)
        return {"can_undo": can_undo, "can_redo": can_redo}

    def missed(self, since, limit: int) -> list | None:
        """The batches after ``since`` for a re-joining client, or None if it needs the whole graph."""
        if self.store is None or isinstance(since, bool) or not isinstance(since, int) \
                or not 0 <= since <= self.version or self.version - since > limit:
            return None
        rows = self.store.edits_since(self.id, since)
        if len(rows) != self.version - since:
            return None
        return [{"version": e.version, "ops": e.ops} for e in rows]
