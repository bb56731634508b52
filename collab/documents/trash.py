"""The trash (issue 25): a deleted document is kept for `trash_days`, restorable by its owner
or a server admin, then purged by a periodic look on every process (store/trash.py: of two
processes purging one room at once, exactly one does, and only that one tells observers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from collab.documents.service import Documents
from collab.errors import RoomNotFound
from collab.store.trash import TrashedRoom

log = logging.getLogger(__name__)

Observer = Callable[[str], None]


class Trash:
    """Delete (to the trash, or at once when `days` is 0), restore, delete forever, purge."""

    def __init__(self, documents: Documents, days: float, purge_interval: float) -> None:
        self.documents = documents
        self.days = days
        self.purge_interval = purge_interval
        # Called with the room's name after a restore / a purge (webhooks); must not block.
        self.restored_observers: list[Observer] = []
        self.purged_observers: list[Observer] = []

    @property
    def keeps(self) -> bool:
        """Whether deleted documents go to the trash (else a delete erases at once)."""
        return self.days > 0

    def purge_at(self, trashed_at: datetime) -> datetime:
        """When a document trashed at `trashed_at` is due to be purged."""
        return trashed_at + timedelta(days=self.days)

    async def delete(self, room: str, by: str | None) -> bool:
        """Move a room to the trash (or erase it, when the trash keeps nothing)."""
        if self.keeps:
            return await self.documents.trash(room, by)
        return await self.documents.delete(room)

    async def find(self, room: str) -> TrashedRoom:
        """The room in the trash; RoomNotFound if it is not there."""
        found = await self.documents.store.trash.find(room)
        if found is None:
            raise RoomNotFound(f"room {room!r} is not in the trash")
        return found

    async def restore(self, room: str) -> None:
        """Bring a room back from the trash as it was; RoomNotFound if it is not there."""
        if not await self.documents.store.trash.restore(room):
            raise RoomNotFound(f"room {room!r} is not in the trash")
        self._tell(self.restored_observers, room)

    async def delete_forever(self, room: str) -> None:
        """Erase a room in the trash now; RoomNotFound if it is not there."""
        if not await self.documents.store.trash.purge(room):
            raise RoomNotFound(f"room {room!r} is not in the trash")
        self._tell(self.purged_observers, room)

    async def purge_due(self, now: datetime | None = None) -> int:
        """Erase every room whose time in the trash is up; how many this process erased."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.days)
        purged = 0
        while due := await self.documents.store.trash.due(cutoff):
            for room in due:
                if await self.documents.store.trash.purge(room, trashed_before=cutoff):
                    purged += 1
                    self._tell(self.purged_observers, room)
            if len(due) < 100:
                break
        return purged

    async def purge_once(self) -> None:
        """Purge what is due now; an outage is logged (the next look tries again)."""
        try:
            purged = await self.purge_due()
        except Exception:
            log.exception("trash: purging failed; trying again in %ss", self.purge_interval)
            return
        if purged:
            log.info("trash: purged %d documents deleted over %s days ago", purged, self.days)

    async def run(self) -> None:
        """Purge what is due every `purge_interval` seconds (until cancelled)."""
        while True:
            await asyncio.sleep(self.purge_interval)
            await self.purge_once()

    def _tell(self, observers: list[Observer], room: str) -> None:
        for observer in observers:
            observer(room)
