"""Creating rooms in batches: the rooms a process opens for the first time at about the same
moment are created in one transaction, one batch at a time.

Each creation is a write. Made one transaction each, from the engine's pooled connections, a
burst of them (a thousand clients opening ten new documents each) had the pooled connections
and the append writer contend for SQLite's one write lock, and SQLite's busy handler, which
sleeps and retries without any order, left some creations waiting for seconds. Here the rooms
asked for while a batch is being written wait for the next one, which creates them all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from collab.store import roomlog
from collab.store.base import RoomHead

# The most rooms one transaction creates.
_BATCH = 256


class RoomOpener:
    """Opens rooms (`roomlog.open_room`: created if missing, again if deleted, RoomTrashed if
    in the trash) in batches, one transaction per batch."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._waiting: dict[str, list[asyncio.Future[tuple[RoomHead, bool]]]] = {}
        self._writing: asyncio.Task[None] | None = None

    async def open(self, room: str) -> tuple[RoomHead, bool]:
        """The room's head once it exists, and whether this call made it (or made it again)."""
        future: asyncio.Future[tuple[RoomHead, bool]] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(room, []).append(future)
        if self._writing is None:
            self._writing = asyncio.create_task(self._write_batches(), name="open rooms")
        return await future

    async def _write_batches(self) -> None:
        try:
            while self._waiting:
                # The first asked first, at most _BATCH at a time: a long batch would hold back
                # the rooms asked for first, a short one costs a commit more.
                names = list(self._waiting)[:_BATCH]
                batch = {name: self._waiting.pop(name) for name in names}
                await self._write(batch)
        finally:
            self._writing = None

    async def _write(self, batch: dict[str, list[asyncio.Future[tuple[RoomHead, bool]]]]) -> None:
        """One transaction for the batch; each waiter gets its room's head (or the error)."""
        outcomes: dict[str, tuple[RoomHead, bool] | BaseException] = {}
        try:
            async with self._engine.begin() as conn:
                # Rows locked in name order, as appends lock them.
                opened = await roomlog.open_rooms(conn, sorted(batch), datetime.now(UTC))
            outcomes.update(opened)
        except Exception as error:  # the whole batch failed: every waiter is told
            outcomes = dict.fromkeys(batch, error)
        for room, futures in batch.items():
            outcome = outcomes[room]
            for future in futures:
                if future.done():  # its caller gave up waiting
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
