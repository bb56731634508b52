"""A room counts its uncompacted log as the database stores it: a batch's run of one author's
updates is one row, so it counts once. Counting every update instead made a busy room compact
after every few commits (4 writers at full speed: 72 compactions in 9 s, each reading and
rewriting the log beside the writes). Drives the real RoomManager, UpdateWriter and SqlStore
on a SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pycrdt import Doc, Text, TransactionEvent

from collab.rooms.manager import RoomManager
from collab.rooms.upkeep.autoversions import VersionPolicy
from collab.rooms.writer import UpdateWriter
from collab.store import migrate
from collab.store.db import create_engine
from collab.store.sql import SqlStore
from collab.types import LocalOrigin

COMPACT_AFTER = 30


@pytest.fixture
async def rooms(sqlite_url: str) -> AsyncIterator[tuple[RoomManager, SqlStore]]:
    engine = create_engine(sqlite_url)
    await migrate.upgrade(engine)
    store = SqlStore(engine)
    writer = UpdateWriter(store, batch_max=256)
    writer_task = asyncio.create_task(writer.run())
    manager = RoomManager(
        store,
        writer,
        unload_grace=60,
        compact_max_updates=COMPACT_AFTER,
        compact_max_bytes=1 << 30,
        versions=VersionPolicy(settle=60, max_interval=600),
    )
    try:
        yield manager, store
    finally:
        await manager.close()
        writer_task.cancel()
        await asyncio.gather(writer_task, return_exceptions=True)
        await store.close()


def _keystrokes(count: int) -> list[bytes]:
    """`count` updates of one client, one character each, as an editor sends them."""
    doc: Doc[Any] = Doc()
    text = doc.get("content", type=Text)
    updates: list[bytes] = []

    def keep(event: TransactionEvent) -> None:
        updates.append(event.update)

    subscription = doc.observe(keep)
    for index in range(count):
        text.insert(index, "abcdefghij"[index % 10])
    doc.unobserve(subscription)
    return updates


async def test_a_merged_run_counts_as_the_one_row_it_is_stored_as(
    rooms: tuple[RoomManager, SqlStore],
) -> None:
    manager, store = rooms
    room = await manager.acquire("log-accounting")
    origin = LocalOrigin("test", "Ada")
    updates = _keystrokes(2 * COMPACT_AFTER)
    # Queued in one turn of the event loop: the writer takes them as one batch.
    seqs = [await room.receive_update(update, origin) for update in updates]
    await room.wait_committed(seqs[-1])
    stored = await store.load("log-accounting")
    assert len(stored.log) < len(updates)  # merged: what this test is about
    assert room.log_size.count == len(stored.log)
    assert room.log_size.bytes == sum(len(row) for row in stored.log)
    assert manager.upkeep.compactions == 0  # fewer rows than the threshold
    assert manager.upkeep.compaction("log-accounting") is None
    manager.release(room)
