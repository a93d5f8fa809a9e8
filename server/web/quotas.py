"""Rate limits on what costs the server memory, disk or CPU, kept per browser and per address.

Each limit is a token bucket (clients.TokenBucket): ``rate`` a second on average,
bursts of ``burst``. The buckets themselves are bounded: the least recently used
keys are forgotten past MAX_KEYS, so a flood of new keys cannot grow them.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from ..errors import RateLimited
from .clients import TokenBucket

MAX_KEYS = 50_000


class Quota:
    def __init__(self, what: str, per_minute: float, burst: float, reason: str = "rate_limited"):
        self.what, self.rate, self.burst = what, per_minute / 60.0, burst
        self.reason = reason  # the refusal's reason id (server/errors.py)
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str):
        """Count one against ``key``; RateLimited (429) if its bucket is empty."""
        if self.rate <= 0:
            return  # unlimited
        with self._lock:
            bucket = self._buckets.pop(key, None) or TokenBucket(self.rate, self.burst)
            self._buckets[key] = bucket
            while len(self._buckets) > MAX_KEYS:
                self._buckets.popitem(last=False)
            if not bucket.take():
                wait = max(1.0, (1 - bucket.tokens) / self.rate)
                raise RateLimited(f"too many {self.what} in a short time; try again in {wait:.0f} s", wait,
                                  reason=self.reason)


class Quotas:
    """The server's limits, from the app's config."""

    def __init__(self, config):
        per_browser = config["CREATIONS_PER_MINUTE"]
        self.create_browser = Quota("new graphs from this browser", per_browser, max(1, 3 * per_browser),
                                    "too_many_new_graphs")
        per_address = config["CREATIONS_PER_MINUTE_PER_ADDRESS"]
        self.create_address = Quota("new graphs from this address", per_address, max(1, 2 * per_address),
                                    "too_many_new_graphs")
        checks = config["CHECKS_PER_MINUTE"]
        self.check = Quota("gradient checks", checks, max(1, checks / 6), "too_many_checks")

    def creating(self, browser: str, address: str):
        # The browser's own bucket first: a browser over its limit does not use up its address's.
        self.create_browser.take(browser)
        self.create_address.take(address or "-")
