"""The storage interface the room code depends on, and its value types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class NewUpdate:
    """An update to append to a room's log, with who made it."""

    room: str
    data: bytes
    author: str | None = None


@dataclass(frozen=True, slots=True)
class StoredRoom:
    """What a room's storage holds: a compacted state (maybe none) and the log after it."""

    state: bytes | None
    log: list[bytes]

    @property
    def parts(self) -> list[bytes]:
        """Everything to apply, in order, to rebuild the document."""
        return ([self.state] if self.state else []) + self.log

    @property
    def log_bytes(self) -> int:
        """Size of the uncompacted log."""
        return sum(len(update) for update in self.log)


@dataclass(frozen=True, slots=True)
class Compaction:
    """What one compaction folded into the stored state."""

    updates: int
    bytes: int


@dataclass(frozen=True, slots=True)
class RoomInfo:
    """A stored room as listings show it."""

    name: str
    created_at: datetime
    updated_at: datetime
    size_bytes: int


@dataclass(frozen=True, slots=True)
class RoomCursor:
    """Where a page of the room listing ended."""

    updated_at: datetime
    name: str


class Store(Protocol):
    """Durable storage of rooms. Every method is one transaction."""

    async def load(self, room: str) -> StoredRoom:
        """The room's stored state and log; an unknown room is empty."""
        ...

    async def append(self, updates: Sequence[NewUpdate]) -> None:
        """Commit `updates` (possibly of several rooms) in one transaction, in order."""
        ...

    async def compact(self, room: str) -> Compaction | None:
        """Merge the room's log into its stored state; None if there was nothing to do."""
        ...

    async def list_rooms(
        self, limit: int = 100, *, after: RoomCursor | None = None, prefix: str = ""
    ) -> list[RoomInfo]:
        """Stored rooms, most recently edited first (ties by name), after a cursor."""
        ...

    async def room_info(self, room: str) -> RoomInfo | None:
        """One stored room, or None."""
        ...

    async def create_room(self, room: str) -> bool:
        """Create an empty room; False if it already existed."""
        ...

    async def delete_room(self, room: str) -> bool:
        """Delete a room and everything stored for it; False if there was nothing."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
