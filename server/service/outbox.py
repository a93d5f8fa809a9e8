"""What a service has decided to send, kept in the order it decided it.

A service puts messages in its graph's outbox while it holds the graph's lock,
so they are queued in version order. ``drain`` sends under the outbox's own
lock: whichever thread drains first sends everything queued so far, in order,
so a later version never overtakes an earlier one on the wire, and no handler
has to hold the graph's lock while it emits.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    event: str                 # the Socket.IO event: patch, step, state, deleted, presence, …
    payload: dict
    room: str                  # the graph's id: one room per graph
    skip_sid: str | None = None


class Outbox:
    def __init__(self):
        self._queue: deque[Message] = deque()
        self._sending = threading.Lock()

    def put(self, event: str, payload: dict, room: str, skip_sid: str | None = None):
        self._queue.append(Message(event, payload, room, skip_sid))

    def drain(self, send):
        with self._sending:
            while self._queue:
                send(self._queue.popleft())


@dataclass
class Outcome:
    """A service call's result: ``reply`` for the caller (the socket ack or the HTTP body),
    and the outbox holding what the room should be sent."""
    reply: dict
    outbox: Outbox | None = field(default=None, repr=False)
