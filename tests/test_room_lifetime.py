"""An unloaded room is freed at once, not at the next full garbage collection.

A room's document can be many megabytes held by Rust; Python's collector counts objects, not
bytes, so a reference cycle through an unloaded room would keep that memory long after the
room left (seen in benchmarks/slow_consumer_bench.py before rooms broke their cycles). This
drives the real RoomManager, UpdateWriter and SqlStore on a SQLite file with the cyclic garbage
collector switched off, and checks the room is gone by reference counting alone.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pycrdt import Doc, Text

from collab.rooms.manager import RoomManager
from collab.types import LocalOrigin
from tests.rooms.real_rooms import room_manager


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture
async def manager(sqlite_url: str) -> AsyncIterator[RoomManager]:
    async with room_manager(sqlite_url) as (rooms, _):
        yield rooms


async def _unloaded(rooms: RoomManager, name: str) -> None:
    async with asyncio.timeout(10):
        while name in rooms.rooms:
            await asyncio.sleep(0.01)


async def test_unloaded_room_is_freed_without_the_cyclic_collector(
    manager: RoomManager, no_cyclic_gc: None
) -> None:
    room = await manager.acquire("lifetime")
    seq = await room.edit(_type_words, LocalOrigin("test", "Ada"))
    await room.wait_committed(seq)
    assert manager.upkeep.dirty(room)  # a timer is pending
    gone = weakref.ref(room)
    manager.release(room)
    del room
    await _unloaded(manager, "lifetime")
    for _ in range(3):  # let the unload task and the commit callbacks finish
        await asyncio.sleep(0.05)
    assert gone() is None, gc.get_referrers(gone())


def _type_words(doc: Doc[Any]) -> None:
    doc.get("content", type=Text).insert(0, "x" * 1000)
