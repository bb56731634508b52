"""Token buckets for per-connection rate limits."""

from __future__ import annotations

import time


class TokenBucket:
    """Allows `rate` units per second on average and bursts of up to `burst` units."""

    __slots__ = ("_burst", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._stamp = time.monotonic()

    def take(self, amount: float = 1.0) -> bool:
        """Spend `amount` if available; False (and nothing spent) otherwise."""
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        if amount > self._tokens:
            return False
        self._tokens -= amount
        return True
