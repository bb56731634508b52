"""When to record automatic versions of a live room."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VersionPolicy:
    """Record an auto version `settle` seconds after the last edit, and at least every
    `max_interval` seconds while edits keep coming."""

    settle: float = 120.0
    max_interval: float = 600.0


class AutoVersions:
    """Tracks edits since the last version of a room and says when to record the next one."""

    def __init__(self, policy: VersionPolicy, record: Callable[[], object]) -> None:
        self._policy = policy
        self._record = record
        self._timer: asyncio.TimerHandle | None = None
        self._dirty_since: float | None = None

    @property
    def dirty(self) -> bool:
        """Edits were committed since the last version was started."""
        return self._dirty_since is not None

    def on_edit(self) -> None:
        """An update committed: restart the settle timer; force a version on long streaks."""
        now = time.monotonic()
        if self._dirty_since is None:
            self._dirty_since = now
        if now - self._dirty_since >= self._policy.max_interval:
            self.fire()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(self._policy.settle, self.fire)

    def on_idle(self) -> None:
        """The last client left: record now if anything changed."""
        if self.dirty:
            self.fire()

    def fire(self) -> None:
        """Record a version now."""
        self.cancel()
        self._record()

    def deferred(self) -> None:
        """The version is not this process's to record now (another holds the room's lease):
        stay dirty, since the work may fall to this process later, but start the streak
        towards `max_interval` afresh, so that the edits after it do not each try again."""
        if self._dirty_since is not None:
            self._dirty_since = time.monotonic()

    def started(self) -> None:
        """A version is being recorded from the current state."""
        self._dirty_since = None

    def cancel(self) -> None:
        """Stop the settle timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
