"""Who is on each socket connection: client id, name, colour, rights, rate limits.

Kept per process, by Socket.IO session id (sid). A client id is the
browser's persistent id (it survives a reload, so undo history does too); a
connection without one is known by its sid.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ..errors import Forbidden, Refused

COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#8c564b"]
PRESENCE_INTERVAL_S = 0.05   # at most 20 presence messages a second per connection


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
            raise Refused("join the graph first")
        if role != "edit":
            raise Forbidden(f"this is a read-only view: you cannot {what} this graph")

    def take_edit(self, limit: float):
        if not self.edits.take():
            raise Refused(f"too many edits: at most {limit:g} a second; this one was not applied")

    def presence_due(self) -> bool:
        now = time.monotonic()
        if now - self.last_presence < PRESENCE_INTERVAL_S:
            return False
        self.last_presence = now
        return True

    def public(self) -> dict:
        return {"sid": self.sid, "client": self.id, "name": self.name, "colour": self.colour}


class Clients:
    def __init__(self, edits_per_second: float = 20.0):
        self.edits_per_second = edits_per_second
        self._by_sid: dict[str, Client] = {}
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

    def identify(self, sid: str, client=None, name=None) -> Client:
        c = self.get(sid)
        if isinstance(client, str) and 8 <= len(client) <= 64:
            c.id = client
        if isinstance(name, str) and name.strip():
            c.name = name.strip()[:40]
        return c

    def drop(self, sid: str) -> Client | None:
        with self._lock:
            return self._by_sid.pop(sid, None)
