"""Lecture mode's camera relay: the controller's view, relayed to the room at a bounded rate.

The relay is the process's own (lecture.py keeps the lecture itself in the store): each lecture's
views pass a token bucket (VIEW_RATE a second, bursts of VIEW_BURST), and the last view is saved
in the store for pages joining later, at most every VIEW_SAVE_S, the last one included. Relays go
out through the message queue, never through the store.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

log = logging.getLogger("gradcanvas.lecture")

VIEW_RATE = 20.0         # the controller's camera is relayed at most 20 times a second on average,
VIEW_BURST = 5.0         # with bursts of 5: a page's last view after jitter on the way is never dropped
VIEW_SAVE_S = 1.0        # the last view is saved for pages joining later at most once a second (and the last one)


@dataclass
class Relay:
    """This process's relay of one lecture's views: a token bucket (VIEW_RATE a second, bursts of
    VIEW_BURST) and the save of the last view, at most every VIEW_SAVE_S, the last one included."""
    started_at: float
    tokens: float = VIEW_BURST
    at: float = 0.0
    saved_at: float = 0.0
    pending: dict | None = None
    timer: threading.Timer | None = None

    def due(self) -> bool:
        now = time.monotonic()
        self.tokens = min(VIEW_BURST, self.tokens + (now - self.at) * VIEW_RATE)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Relays:
    """The relays of the lectures this process serves, one per graph (a new lecture, a new relay)."""

    def __init__(self):
        self._relays: dict[str, Relay] = {}
        self._lock = threading.Lock()

    def relay(self, store, graph_id: str, started_at: float, view: dict) -> bool:
        """Whether ``view`` goes out to the room now (else it is dropped: too many too fast). A view
        that goes out is saved for joining pages now, or kept and saved when the save is due."""
        with self._lock:
            relay = self._relays.get(graph_id)
            if relay is None or relay.started_at != started_at:
                relay = self._relays[graph_id] = Relay(started_at)
            if not relay.due():
                return False
            save_now = self._keep(relay, store, graph_id, view)
        if save_now:
            _save_view(store, graph_id, started_at, view)
        return True

    def _keep(self, relay: Relay, store, graph_id: str, view: dict) -> bool:
        """Under the lock: whether to save ``view`` now; else it is kept, to be saved when due."""
        now = time.monotonic()
        if now - relay.saved_at >= VIEW_SAVE_S and relay.timer is None:
            relay.saved_at, relay.pending = now, None
            return True
        relay.pending = view
        if relay.timer is None:
            relay.timer = threading.Timer(max(0.0, relay.saved_at + VIEW_SAVE_S - now), self._flush,
                                          (relay, store, graph_id))
            relay.timer.daemon = True
            relay.timer.start()
        return False

    def _flush(self, relay: Relay, store, graph_id: str):
        with self._lock:
            view, relay.pending, relay.timer = relay.pending, None, None
            relay.saved_at = time.monotonic()
        if view is not None:
            _save_view(store, graph_id, relay.started_at, view)


def _save_view(store, graph_id, started_at, view):
    try:
        store.save_lecture_view(graph_id, started_at, view)
    except Exception:  # a join shows an older view; the next relay corrects it
        log.warning("the lecture's view could not be saved", exc_info=True)


def read_camera(camera) -> dict | None:
    """The world rectangle {cx, cy, w, h} the controller shows, if it is one (finite, positive size)."""
    if not isinstance(camera, dict):
        return None
    out = {}
    for k in ("cx", "cy", "w", "h"):
        v = camera.get(k)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return None
        out[k] = float(v)
    return out if out["w"] > 0 and out["h"] > 0 else None
