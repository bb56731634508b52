"""Opening rooms in batches: the rooms a process opens at about the same moment have their
heads read in one query and, the new ones, are created in one transaction, one batch at a time.

Each creation is a write. Made one transaction each, from the engine's pooled connections, a
burst of them (a thousand clients opening ten new documents each) had the pooled connections
and the append writer contend for SQLite's one write lock, and SQLite's busy handler, which
sleeps and retries without any order, left some creations waiting for seconds. Each head read
one query each, the same burst queued for the pool's connections (half a second at the median
for a thousand rooms). Here the rooms asked for while a batch is under way wait for the next
one, which answers them all."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from collab.store import roomlog
from collab.store.base import RoomHead

# The most rooms one batch answers.
_BATCH = 256

Answer = TypeVar("Answer")


class _Batches(Generic[Answer]):
    """Questions about rooms asked at about the same moment, answered one batch at a time by
    `_answer` (one database call for the batch)."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self._engine = engine
        self._name = name
        self._waiting: dict[str, list[asyncio.Future[Answer]]] = {}
        self._running: asyncio.Task[None] | None = None

    async def ask(self, room: str) -> Answer:
        """The answer for `room`, from the next batch (or the error that batch met)."""
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(room, []).append(future)
        if self._running is None:
            self._running = asyncio.create_task(self._run_batches(), name=self._name)
        return await future

    async def _answer(self, rooms: Sequence[str]) -> dict[str, Answer | BaseException]:
        raise NotImplementedError

    async def _run_batches(self) -> None:
        try:
            while self._waiting:
                # The first asked first, at most _BATCH at a time: a long batch would hold back
                # the rooms asked for first, a short one costs a query more.
                names = list(self._waiting)[:_BATCH]
                batch = {name: self._waiting.pop(name) for name in names}
                await self._settle(batch)
        except BaseException:
            # Cancelled (the loop is closing): nobody is left waiting for a batch to come.
            _cancel(self._waiting)
            self._waiting.clear()
            raise
        finally:
            self._running = None

    async def _settle(self, batch: dict[str, list[asyncio.Future[Answer]]]) -> None:
        """One database call for the batch; each waiter gets its room's answer (or the error)."""
        answers: dict[str, Answer | BaseException]
        try:
            answers = await self._answer(sorted(batch))
        except Exception as error:  # the whole batch failed: every waiter is told
            answers = dict.fromkeys(batch, error)
        except BaseException:
            _cancel(batch)
            raise
        for room, futures in batch.items():
            answer = answers[room]
            for future in futures:
                if future.done():  # its caller gave up waiting
                    continue
                if isinstance(answer, BaseException):
                    future.set_exception(answer)
                else:
                    future.set_result(answer)


def _cancel(waiting: dict[str, list[asyncio.Future[Any]]]) -> None:
    for futures in waiting.values():
        for future in futures:
            future.cancel()


class RoomOpener(_Batches[tuple[RoomHead, bool]]):
    """Opens rooms (`roomlog.open_room`: created if missing, again if deleted, RoomTrashed if
    in the trash) in batches, one transaction per batch."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, "open rooms")

    async def open(self, room: str) -> tuple[RoomHead, bool]:
        """The room's head once it exists, and whether this call made it (or made it again)."""
        return await self.ask(room)

    async def _answer(
        self, rooms: Sequence[str]
    ) -> dict[str, tuple[RoomHead, bool] | BaseException]:
        async with self._engine.begin() as conn:
            # Rows locked in name order, as appends lock them.
            return dict(await roomlog.open_rooms(conn, rooms, datetime.now(UTC)))


class HeadReader(_Batches[RoomHead | None]):
    """Reads rooms' heads (`roomlog.head`: tombstones included, None for a room never stored)
    in batches, one query per batch."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, "read room heads")

    async def head(self, room: str) -> RoomHead | None:
        """The room's head as stored now, or None."""
        return await self.ask(room)

    async def _answer(self, rooms: Sequence[str]) -> dict[str, RoomHead | BaseException | None]:
        async with self._engine.connect() as conn:
            found = await roomlog.heads(conn, rooms)
        return {room: found.get(room) for room in rooms}
