"""The graphs held in memory, by id: loaded from the store on first use, created through it."""
from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict

from ..engine.document import Limits
from ..engine.graph import ComputationGraph
from ..engine.repair import load_leniently
from ..store.base import GraphNotFound
from .graph import GraphService
from .outbox import Outbox, Outcome

log = logging.getLogger(__name__)


BYTES_PER_NODE = 1_800     # a loaded graph's memory, measured: about 8.5 MB for 5,000 nodes
BASE_BYTES = 64 * 1024
DRAFT_PREFIX = "draft-"
MAX_DRAFTS = 2000  # per process; the oldest is dropped first


class Sessions:
    def __init__(self, limits: Limits = Limits(), store=None, memory_budget: int = 512 * 2**20, source=None):
        self.limits = limits
        self.source = source  # the datasets graphs train on (teaching/minibatch.Source; None: the generated ones)
        self.store = store
        self.memory_budget = memory_budget  # idle graphs beyond it are dropped, least recently used first
        self._by_id: OrderedDict[str, GraphService] = OrderedDict()
        self._drafts: OrderedDict[str, GraphService] = OrderedDict()
        self._lock = threading.Lock()

    # -- drafts: a first visit's example, in memory until it is first changed ---------------------
    def draft(self, doc: dict) -> GraphService:
        """A private copy of ``doc`` that is stored only when promoted, so a visit that only
        looks and steps costs the store nothing."""
        graph = ComputationGraph.from_dict(doc, self.limits)
        service = GraphService(graph, DRAFT_PREFIX + secrets.token_urlsafe(12), source=self.source)
        with self._lock:
            self._drafts[service.id] = service
            while len(self._drafts) > MAX_DRAFTS:
                self._drafts.popitem(last=False)
        return service

    @staticmethod
    def is_draft(service: GraphService) -> bool:
        return service.id.startswith(DRAFT_PREFIX)

    def promote(self, draft: GraphService) -> GraphService:
        """Store a draft as a graph of its own, as it is now (its step cursor too)."""
        doc = draft.document()
        service = self.create(doc)
        with self.store.write() as tx:
            self.store.save_shared(tx, service.id, cursor=draft.cursor.at.to_dict())
        service.sync()
        self.drop_draft(draft.id)
        return service

    def drop_draft(self, graph_id: str):
        with self._lock:
            self._drafts.pop(graph_id, None)

    def create(self, doc: dict, title: str | None = None) -> GraphService:
        graph = ComputationGraph.from_dict(doc, self.limits)  # validates: nothing invalid is stored
        if title is not None:
            graph.title = title
        if self.store is None:
            graph_id = secrets.token_urlsafe(8)
        else:
            graph_id = self.store.create(graph.to_dict(), graph.title).id
        service = GraphService(graph, graph_id, self.store, source=self.source)
        self._keep(service)
        return service

    def get(self, graph_id) -> GraphService:
        """The graph's service, loaded on first use and caught up; GraphNotFound if there is none."""
        if not isinstance(graph_id, str):
            raise GraphNotFound.of(graph_id)
        if graph_id.startswith(DRAFT_PREFIX):
            with self._lock:
                draft = self._drafts.get(graph_id)
            if draft is None:
                raise GraphNotFound.of(graph_id, note=" (an unsaved example is gone; open it again)")
            return draft
        with self._lock:
            service = self._by_id.get(graph_id)
            if service is not None:
                self._by_id.move_to_end(graph_id)
        if service is None:
            if self.store is None:
                raise GraphNotFound.of(graph_id)
            service = self._load(graph_id)
        service.sync()
        return service

    def _keep(self, service: GraphService) -> GraphService:
        """Hold ``service`` in memory (the first of two loaded at once wins), dropping the least
        recently used graphs while over the memory budget. A dropped graph is only out of
        memory: its next use loads it from the store again, as after a restart."""
        with self._lock:
            kept = self._by_id.setdefault(service.id, service)
            self._by_id.move_to_end(service.id)
            if self.store is not None:
                total = sum(self._size(s) for s in self._by_id.values())
                while total > self.memory_budget and len(self._by_id) > 1:
                    _, dropped = self._by_id.popitem(last=False)
                    total -= self._size(dropped)
            return kept

    @staticmethod
    def _size(service: GraphService) -> int:
        return BASE_BYTES + BYTES_PER_NODE * len(service.graph)

    def in_memory(self) -> int:
        with self._lock:
            return len(self._by_id)

    def _load(self, graph_id) -> GraphService:
        row = self.store.get(graph_id)
        graph, problems = load_leniently(row.document, self.limits)
        service = GraphService(graph, graph_id, self.store, row.doc_version, source=self.source)
        for problem in problems:
            log.warning("graph %s: %s", graph_id, problem)
        service.log.problems += problems
        return self._keep(service)

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
