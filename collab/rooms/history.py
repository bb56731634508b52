"""When to record automatic versions, and how to tell two document states apart."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc

from collab.content.export import doc_to_json
from collab.protocol.encoding import Reader


@dataclass(frozen=True, slots=True)
class VersionPolicy:
    """Record an auto version `settle` seconds after the last edit, and at least every
    `max_interval` seconds while edits keep coming."""

    settle: float = 120.0
    max_interval: float = 600.0


def fingerprint(doc: Doc[Any], update: bytes) -> str:
    """Identifies a state: its state vector (sorted) plus the content of every root type, so
    deletions, which leave the state vector alone, still change it."""
    reader = Reader(doc.get_state())
    clocks = sorted(
        (reader.read_var_uint(), reader.read_var_uint()) for _ in range(reader.read_var_uint())
    )
    content = json.dumps(doc_to_json(update), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(json.dumps([clocks, content]).encode()).hexdigest()


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
