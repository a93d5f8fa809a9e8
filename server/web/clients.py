"""Who is on each socket connection: client id, name, colour, rights, rate limits.

Kept per process, by Socket.IO session id (sid). A client id is the
browser's persistent id (it survives a reload, so undo history does too); a
connection without one is known by its sid.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
import time
from dataclasses import dataclass, field

from ..errors import Forbidden, Refused

COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#8c564b"]
PRESENCE_INTERVAL_S = 0.05   # at most 20 presence messages a second per connection
MAX_BUCKETS = 50_000         # identities whose edit rate is remembered


@dataclass
class TokenBucket:
    """``rate`` actions a second on average, bursts of up to ``burst``."""
    rate: float
    burst: float
    tokens: float = -1.0
    at: float = field(default_factory=time.monotonic)

    def take(self) -> bool:
        now = time.monotonic()
        if self.tokens < 0:
            self.tokens = self.burst
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Client:
    sid: str
    id: str                  # the browser's persistent client id (its undo history's owner)
    name: str
    colour: str
    edits: TokenBucket
    roles: dict = field(default_factory=dict)   # graph id → "edit" | "view"
    last_presence: float = 0.0

    def role(self, graph_id) -> str | None:
        return self.roles.get(graph_id)

    def require_edit(self, graph_id, what="edit"):
        role = self.roles.get(graph_id)
        if role is None:
            raise Refused("join the graph first", reason="not_joined")
        if role != "edit":
            raise Forbidden(f"this is a read-only view: you cannot {what} this graph", reason="read_only",
                            action=what)

    def take_edit(self, limit: float):
        if not self.edits.take():
            raise Refused(f"too many edits: at most {limit:g} a second; this one was not applied",
                          reason="edit_rate", limit=f"{limit:g}")

    def presence_due(self) -> bool:
        now = time.monotonic()
        if now - self.last_presence < PRESENCE_INTERVAL_S:
            return False
        self.last_presence = now
        return True

    def public(self) -> dict:
        """What everyone in the room may know: nothing that identifies the editor for undo."""
        return {"sid": self.sid, "name": self.name, "colour": self.colour}

    def own(self) -> dict:
        """What the connection itself is told about itself (the join ack's ``me``)."""
        return {**self.public(), "client": self.id}


class Clients:
    def __init__(self, edits_per_second: float = 20.0):
        self.edits_per_second = edits_per_second
        self._by_sid: dict[str, Client] = {}
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()  # identity → its edit bucket
        self._lock = threading.Lock()
        self._count = 0

    def get(self, sid: str) -> Client:
        with self._lock:
            c = self._by_sid.get(sid)
            if c is None:
                self._count += 1
                c = self._by_sid[sid] = Client(
                    sid, sid, f"guest {self._count}", COLOURS[self._count % len(COLOURS)],
                    TokenBucket(self.edits_per_second, 2 * self.edits_per_second))
            return c

    def identify(self, sid: str, identity: str, name=None) -> Client:
        """Bind a connection to its editor identity (web/access.py editor_identity). Its edit
        rate limit is the identity's, shared by all of one browser's connections."""
        c = self.get(sid)
        c.id = identity
        with self._lock:
            bucket = self._buckets.pop(identity, None) or c.edits
            self._buckets[identity] = bucket
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        c.edits = bucket
        if isinstance(name, str) and name.strip():
            c.name = name.strip()[:40]
        return c

    # -- #17 lecture --
    def find(self, sid) -> Client | None:
        """The connection ``sid`` if it is connected here (``get`` would make one)."""
        with self._lock:
            return self._by_sid.get(sid) if isinstance(sid, str) else None
    # -- end #17 lecture --

    def drop(self, sid: str) -> Client | None:
        with self._lock:
            return self._by_sid.pop(sid, None)
