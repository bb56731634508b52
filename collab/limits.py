"""Token buckets for per-connection rates, and the process-wide budgets that bound what every
connection together may cost: bytes queued for sending, and full-state work."""

from __future__ import annotations

import time
from collections.abc import Hashable


class TokenBucket:
    """Allows `rate` units per second on average and bursts of up to `burst` units."""

    __slots__ = ("_burst", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def take(self, amount: float = 1.0) -> bool:
        """Spend `amount` if available; False (and nothing spent) otherwise."""
        self._refill()
        if amount > self._tokens:
            return False
        self._tokens -= amount
        return True

    def delay(self, amount: float = 1.0) -> float:
        """Seconds until `amount` can be taken (0 when it can be now; never if above burst)."""
        self._refill()
        missing = min(amount, self._burst) - self._tokens
        return max(0.0, missing / self._rate) if self._rate > 0 else 0.0

    def ready(self, amount: float = 1.0) -> bool:
        """Whether `amount` can be taken now (`delay` would be 0); see `spend`."""
        self._refill()
        return self._rate <= 0 or self._tokens >= min(amount, self._burst)

    def spend(self, amount: float) -> None:
        """Spend `amount` as of the last `ready` (no second look at the clock)."""
        self._tokens -= amount

    def charge(self, amount: float) -> None:
        """Spend `amount` even beyond what is there: the debt delays what comes next."""
        self._refill()
        self._tokens -= amount

    @property
    def full(self) -> bool:
        """True when nothing is spent (the bucket can be forgotten)."""
        self._refill()
        return self._tokens >= self._burst


class SharedBuckets:
    """Token buckets shared by every connection of one user or one address, so reconnecting
    does not reset an allowance. Full buckets are forgotten once there are many."""

    def __init__(self, rate: float, burst: float, *, max_keys: int = 10_000) -> None:
        self._rate = rate
        self._burst = burst
        self._max_keys = max_keys
        self._buckets: dict[Hashable, TokenBucket] = {}

    def get(self, key: Hashable) -> TokenBucket:
        """The bucket of `key`, created full."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets = {k: b for k, b in self._buckets.items() if not b.full}
            bucket = self._buckets[key] = TokenBucket(self._rate, self._burst)
        return bucket

    def __len__(self) -> int:
        return len(self._buckets)


class SendBudget:
    """Bytes queued for sending (and being sent) by every connection of the process, bounded:
    when a frame takes the total past `limit`, the connections holding the most are dropped
    until it fits, so the server's memory stays bounded whatever its clients do."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.dropped = 0
        self._held: dict[Hashable, int] = {}

    def add(self, holder: Hashable, size: int) -> None:
        """`holder` queued `size` more bytes."""
        self.used += size
        self._held[holder] = self._held.get(holder, 0) + size

    def release(self, holder: Hashable, size: int) -> None:
        """`holder` sent (or dropped) `size` bytes."""
        held = self._held.get(holder, 0) - size
        self.used -= size
        if held > 0:
            self._held[holder] = held
        else:
            self._held.pop(holder, None)

    def over(self) -> bool:
        """True while the total exceeds the limit."""
        return self.used > self.limit

    def largest(self, *, besides: Hashable | None = None) -> Hashable | None:
        """The holder with the most bytes, preferring any but `besides` (the one adding a
        frame: a newcomer's first sync is the largest frame it will get, and it is the others,
        holding theirs for a while, that do not read)."""
        others = [holder for holder in self._held if holder != besides]
        if others:
            return max(others, key=self._held.__getitem__)
        return besides if besides in self._held else None

    def held(self, holder: Hashable) -> int:
        """Bytes `holder` holds."""
        return self._held.get(holder, 0)
