"""The real room machinery in the test's own event loop: a RoomManager with its UpdateWriter and
SqlStore on a migrated database, for tests that reach into rooms (their counts, their timers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from collab.rooms.manager import RoomManager
from collab.rooms.upkeep.autoversions import VersionPolicy
from collab.rooms.writer import UpdateWriter
from collab.store import migrate
from collab.store.db import create_engine
from collab.store.sql import SqlStore


@contextlib.asynccontextmanager
async def room_manager(
    database_url: str,
    *,
    batch_max: int = 64,
    unload_grace: float = 0.01,
    compact_max_updates: int = 500,
    compact_max_bytes: int = 1 << 20,
) -> AsyncIterator[tuple[RoomManager, SqlStore]]:
    """Rooms served from `database_url` until the block ends: the manager and its store."""
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    store = SqlStore(engine)
    writer = UpdateWriter(store, batch_max=batch_max)
    writer_task = asyncio.create_task(writer.run())
    rooms = RoomManager(
        store,
        writer,
        unload_grace=unload_grace,
        compact_max_updates=compact_max_updates,
        compact_max_bytes=compact_max_bytes,
        versions=VersionPolicy(settle=60, max_interval=600),
    )
    try:
        yield rooms, store
    finally:
        await rooms.close()
        writer_task.cancel()
        await asyncio.gather(writer_task, return_exceptions=True)
        await store.close()
