"""The Flask-SocketIO extension object, and a Redis message queue that survives outages.

python-socketio's RedisManager gives up on a publish it cannot make, retries its
subscription with a back-off that grows to a minute, and logs every failure.
During an outage the other processes' clients miss patches and never learn it.
``QueueManager`` keeps the same wire format and adds:

- the outage is logged once when it starts and once when it ends, and
  ``queue_status()`` (GET /health) reports it meanwhile;
- the subscription is retried every half second, so broadcasts resume at once;
- when the queue is back (our subscription reconnects, or a publish succeeds
  again), every client is told to ``resync``: it re-joins with the version it
  has and receives what it missed from the store.
"""
from __future__ import annotations

import logging
import threading
import time

import socketio as sio
from flask_socketio import SocketIO

log = logging.getLogger("gradcanvas.queue")

# threading mode with simple-websocket: a real websocket, no monkey-patching.
socketio = SocketIO(async_mode="threading")

RETRY_S = 0.5
_manager: "QueueManager | None" = None


class QueueManager(sio.RedisManager):
    def __init__(self, url, **kw):
        super().__init__(url, **kw)
        self.down_since: float | None = None
        self.reason = ""
        self._state_lock = threading.Lock()

    # -- the outage, said once ----------------------------------------------------------
    def _down(self, why: str) -> bool:
        with self._state_lock:
            first = self.down_since is None
            if first:
                self.down_since, self.reason = time.monotonic(), why
        if first:
            log.error("message queue unavailable (%s): broadcasts reach only this process's clients", why)
        return first

    def _up(self) -> bool:
        with self._state_lock:
            was = self.down_since
            self.down_since = None
        if was is not None:
            log.warning("message queue back after %.1f s: every client resyncs", time.monotonic() - was)
        return was is not None

    def status(self) -> str:
        since = self.down_since
        return "ok" if since is None else f"down for {time.monotonic() - since:.0f} s: {self.reason}"

    def resync_everyone(self):
        """Tell every client of every process to catch up from the store."""
        try:
            self.emit("resync", {"graph_id": None, "reason": "the message queue was unavailable"}, namespace="/")
        except Exception:  # the queue failed again: the next recovery will try again
            log.debug("resync broadcast failed", exc_info=True)

    # -- python-socketio's hooks -----------------------------------------------------------
    def _publish(self, data):
        try:
            if not self.connected:
                self._redis_connect()
            result = self.redis.publish(self.channel, self.json.dumps(data))
        except Exception as exc:
            self.connected = False
            self._down(f"cannot publish: {exc}")
            return None
        if self._up():
            threading.Thread(target=self.resync_everyone, daemon=True).start()
        return result

    def _redis_listen_with_retries(self):
        subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed = True
                    if self._up() or getattr(self, "_lost", False):
                        self._lost = False
                        # We may have missed others' broadcasts: our own clients catch up.
                        self.server.emit("resync", {"graph_id": None, "reason": "the message queue was back"},
                                         namespace="/", ignore_queue=True)
                yield from self.pubsub.listen()
            except Exception as exc:
                subscribed = False
                self._lost = True
                self._down(f"cannot receive: {exc}")
                time.sleep(RETRY_S)


def use_queue(url: str | None) -> dict:
    """The init_app options for a message queue URL (Redis gets QueueManager)."""
    global _manager
    if not url:
        _manager = None
        return {}
    if url.startswith(("redis://", "rediss://")):
        _manager = QueueManager(url, channel="flask-socketio")
        return {"client_manager": _manager}
    _manager = None
    return {"message_queue": url}


def queue_status() -> str:
    return "none" if _manager is None else _manager.status()
