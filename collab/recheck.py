"""Open connections' access, re-checked with the host's on_authorize hook: periodically and when
the host asks (`CollabState.recheck_access`); a connection that lost it is closed with 4403."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from collab.auth import Identity, Role
from collab.errors import CollabError, Forbidden, HookFailed
from collab.hooks import Authorize, HookRunner

log = logging.getLogger(__name__)

# Re-checks run at most this many at once.
_CONCURRENCY = 32


@dataclass(eq=False, slots=True)
class Watched:
    """One open connection: who, where, with which role, and how to close it."""

    identity: Identity
    room: str
    role: Role
    fail: Callable[[CollabError], None]


class AccessWatch:
    """The connections whose access is re-checked."""

    def __init__(self, runner: HookRunner, interval: float) -> None:
        self._runner = runner
        self._interval = interval
        self._watched: set[Watched] = set()
        self._limit = asyncio.Semaphore(_CONCURRENCY)

    @property
    def active(self) -> bool:
        """Only a host's own on_authorize hook can change its answer while connected."""
        return self._runner.overrides("on_authorize")

    def watch(self, watched: Watched) -> None:
        """Re-check `watched` until `unwatch`."""
        if self.active:
            self._watched.add(watched)

    def unwatch(self, watched: Watched) -> None:
        """Stop re-checking `watched` (its connection closed)."""
        self._watched.discard(watched)

    async def run(self) -> None:
        """Re-check every connection each interval, until cancelled."""
        if not self.active or self._interval <= 0:
            return
        while True:
            await asyncio.sleep(self._interval)
            await self.recheck()

    async def recheck(self, *, room: str | None = None, user_id: str | None = None) -> int:
        """Re-check the connections to `room` and/or of `user_id` (all when both are None) now;
        how many were closed."""
        chosen = [
            w
            for w in list(self._watched)
            if (room is None or w.room == room)
            and (user_id is None or w.identity.user_id == user_id)
        ]
        closed = await asyncio.gather(*(self._check(w) for w in chosen))
        return sum(closed)

    async def _check(self, watched: Watched) -> bool:
        """Close `watched` if the hook now gives it no role, or a lower one (4403; one that
        lost write access reconnects as a viewer); True if it did. A hook that fails leaves it
        open (logged: the host's error is not the person's)."""
        async with self._limit:
            event = Authorize(watched.identity, watched.room, None, recheck=True)
            try:
                role = await self._runner.call(
                    "on_authorize", self._runner.hooks.on_authorize(event)
                )
            except HookFailed:
                return False
            except CollabError as error:
                refusal = error
            else:
                if role is not None and role >= watched.role:
                    return False
                refusal = Forbidden(f"access to room {watched.room!r} was revoked")
            if watched not in self._watched:
                return False
            log.info("access of %s to room %s revoked", watched.identity.user_id, watched.room)
            self._watched.discard(watched)
            watched.fail(refusal)
            return True
