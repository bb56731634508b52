"""Sign-in throttling: failed attempts counted per account and per address over a window;
past the limit, attempts are refused (429 with Retry-After) without checking the password.
Kept in this process's memory, bounded in the number of keys it tracks."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class _Window:
    """Failures per key within `window` seconds, for at most `keys` keys (oldest dropped)."""

    def __init__(self, limit: int, window: float, keys: int, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self._keys = keys
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str) -> deque[float] | None:
        found = self._failures.get(key)
        if found is None:
            return None
        cutoff = self._clock() - self.window
        while found and found[0] <= cutoff:
            found.popleft()
        if not found:
            del self._failures[key]
            return None
        return found

    def wait(self, key: str) -> float:
        """Seconds until `key` may try again (0: now)."""
        found = self._recent(key)
        if found is None or len(found) < self.limit:
            return 0.0
        return max(found[-self.limit] + self.window - self._clock(), 1.0)

    def fail(self, key: str) -> None:
        found = self._recent(key) or deque()
        found.append(self._clock())
        self._failures[key] = found
        self._failures.move_to_end(key)
        while len(self._failures) > self._keys:
            self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


class SignInThrottle:
    """At most `per_account` failures per email and `per_address` per client address in
    `window` seconds; a success clears its account's count."""

    def __init__(
        self,
        per_account: int = 5,
        per_address: int = 20,
        window: float = 900.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._accounts = _Window(per_account, window, 100_000, clock)
        self._addresses = _Window(per_address, window, 100_000, clock)

    def wait(self, email: str, address: str | None) -> float:
        """Seconds before this account or address may try again (0: now)."""
        return max(self._accounts.wait(email), self._addresses.wait(address or "?"))

    def failed(self, email: str, address: str | None) -> None:
        self._accounts.fail(email)
        self._addresses.fail(address or "?")

    def succeeded(self, email: str) -> None:
        self._accounts.clear(email)
