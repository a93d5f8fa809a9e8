"""The graphs held in memory, by id: loaded from the store on first use, created through it."""
from __future__ import annotations

import logging
import secrets
import threading

from ..engine.document import Limits
from ..engine.graph import ComputationGraph
from ..engine.repair import load_leniently
from ..store.base import GraphNotFound
from .graph import GraphService
from .outbox import Outbox, Outcome

log = logging.getLogger(__name__)


class Sessions:
    def __init__(self, limits: Limits = Limits(), store=None):
        self.limits = limits
        self.store = store
        self._by_id: dict[str, GraphService] = {}
        self._lock = threading.Lock()

    def create(self, doc: dict, title: str | None = None) -> GraphService:
        graph = ComputationGraph.from_dict(doc, self.limits)  # validates: nothing invalid is stored
        if title is not None:
            graph.title = title
        if self.store is None:
            graph_id = secrets.token_urlsafe(8)
        else:
            graph_id = self.store.create(graph.to_dict(), graph.title).id
        with self._lock:
            service = self._by_id[graph_id] = GraphService(graph, graph_id, self.store)
        return service

    def get(self, graph_id) -> GraphService:
        """The graph's service, loaded on first use and caught up; GraphNotFound if there is none."""
        if not isinstance(graph_id, str):
            raise GraphNotFound(f"no graph with id {graph_id!r}")
        with self._lock:
            service = self._by_id.get(graph_id)
        if service is None:
            if self.store is None:
                raise GraphNotFound(f"no graph with id {graph_id!r}")
            service = self._load(graph_id)
        service.sync()
        return service

    def _load(self, graph_id) -> GraphService:
        row = self.store.get(graph_id)
        graph, problems = load_leniently(row.document, self.limits)
        service = GraphService(graph, graph_id, self.store, row.doc_version)
        for problem in problems:
            log.warning("graph %s: %s", graph_id, problem)
        service.log.problems += problems
        with self._lock:  # two threads may load at once: keep the first
            return self._by_id.setdefault(graph_id, service)

    def forget(self, graph_id: str):
        """Drop the graph from memory; its next use loads it from the store again."""
        with self._lock:
            self._by_id.pop(graph_id, None)

    def delete(self, graph_id: str) -> Outcome:
        """Soft delete (restorable); everyone with it open is told."""
        self.store.delete(graph_id)
        self.forget(graph_id)
        outbox = Outbox()
        outbox.put("deleted", {"graph_id": graph_id}, graph_id)
        return Outcome({"ok": True, "restore": f"/api/graphs/{graph_id}/restore"}, outbox)
