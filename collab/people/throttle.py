"""Sign-in throttling: attempts counted per account and per address over a window (each one
before its password is checked, so attempts sent together all count; a success is forgiven);
past the limit, attempts are refused (429 with Retry-After) without checking the password.
Counted in this process's memory (bounded in the number of keys it tracks; a burst at one process
is refused without asking the database) and in the database (store/attempts.py, the keys of
`shared_keys`), so that every process of a cluster throttles the same account and address; at
most a few password checks (argon2: CPU and 64 MiB each) run at once."""

from __future__ import annotations

import asyncio
import hashlib
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

    def forgive(self, key: str) -> None:
        """Take back the newest attempt of `key`."""
        found = self._failures.get(key)
        if found:
            found.pop()


class SignInThrottle:
    """At most `per_account` attempts per email and `per_address` per client address in
    `window` seconds (a success clears its account's count and is not held against its
    address); `checking` bounds the password checks running at once."""

    def __init__(
        self,
        per_account: int = 5,
        per_address: int = 20,
        window: float = 900.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        keys: int = 20_000,
        checks: int = 2,
    ) -> None:
        self._accounts = _Window(per_account, window, keys, clock)
        self._addresses = _Window(per_address, window, keys, clock)
        self.checking = asyncio.Semaphore(checks)

    @property
    def window(self) -> float:
        """Seconds an attempt counts for."""
        return self._accounts.window

    def shared_keys(self, email: str, address: str | None) -> tuple[str, str]:
        """The keys an attempt is counted against in the database: its account's, its
        address's."""
        return "account:" + _key(email), "address:" + (address or "?")[:64]

    def limits(self) -> tuple[int, int]:
        """Most attempts per account, per address, in a window."""
        return self._accounts.limit, self._addresses.limit

    def wait(self, email: str, address: str | None) -> float:
        """Seconds before this account or address may try again (0: now)."""
        return max(self._accounts.wait(_key(email)), self._addresses.wait(address or "?"))

    def attempt(self, email: str, address: str | None) -> None:
        """Count an attempt before its password is checked."""
        self._accounts.fail(_key(email))
        self._addresses.fail(address or "?")

    def succeeded(self, email: str, address: str | None) -> None:
        """The attempt was right: the account starts afresh, the address is forgiven it."""
        self._accounts.clear(_key(email))
        self._addresses.forgive(address or "?")


def _key(email: str) -> str:
    """A fixed-size key per account (emails may be 320 characters)."""
    return hashlib.sha256(email.encode()).hexdigest()[:32]
