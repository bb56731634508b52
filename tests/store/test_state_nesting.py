"""A compaction stores the nesting levels of its state, so a load walks only the log after it,
and a load still refuses a state nested past a limit lowered since it was stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pycrdt import Doc, Map
from sqlalchemy import update

from collab.errors import DocumentQuarantined
from collab.protocol.nesting import TypeNesting
from collab.rooms.quarantine import load_room
from collab.store import migrate
from collab.store.base import NewUpdate
from collab.store.db import create_engine
from collab.store.models import RoomStateRow
from collab.store.sql import SqlStore


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    sql_store = SqlStore(engine)
    yield sql_store
    await sql_store.close()


def _nested_edits(depth: int, count: int) -> list[bytes]:
    """Updates that nest maps `depth` levels deep, then write into the deepest one."""
    doc: Doc[Any] = Doc()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    level: Map[Any] = doc.get("root", type=Map)
    for index in range(depth):
        level[f"m{index}"] = Map()
        level = level[f"m{index}"]
    for index in range(count):
        level[f"k{index}"] = index
    return updates


def _walked(parts: list[bytes], max_depth: int = 64) -> bytes:
    return TypeNesting(max_depth).walk(parts).encode()


async def test_the_compacted_state_carries_the_levels_a_full_walk_finds(store: SqlStore):
    updates = _nested_edits(depth=5, count=20)
    await store.append([NewUpdate("deep", u) for u in updates[:15]])
    assert await store.compact("deep") is not None
    first = await store.load("deep")
    assert first.state is not None and first.nesting == _walked([first.state])
    # The next compaction starts from the stored levels and walks the new rows only.
    await store.append([NewUpdate("deep", u) for u in updates[15:]])
    assert await store.compact("deep") is not None
    stored = await store.load("deep")
    assert stored.nesting is not None and stored.state is not None
    assert TypeNesting.decode(stored.nesting, 64) is not None
    assert stored.nesting == _walked([stored.state])
    # A load uses them, and ends up with what walking everything gives.
    loaded = await load_room(store, "deep", 64)
    assert loaded.nesting.encode() == _walked(stored.parts)
    assert loaded.nesting.type_level((0, 0)) is None  # no such item: nothing invented


async def test_a_limit_lowered_since_the_state_was_stored_still_quarantines(store: SqlStore):
    updates = _nested_edits(depth=6, count=3)
    await store.append([NewUpdate("lowered", u) for u in updates])
    assert await store.compact("lowered", max_depth=64) is not None
    assert (await store.load("lowered")).nesting is not None
    with pytest.raises(DocumentQuarantined):
        await load_room(store, "lowered", 4)  # the stored levels were checked against 64


def test_stored_levels_that_do_not_decode_are_ignored():
    levels = TypeNesting(64).walk(_nested_edits(depth=3, count=2)).encode()
    assert TypeNesting.decode(levels, 64) is not None
    assert TypeNesting.decode(levels[:-1], 64) is None
    assert TypeNesting.decode(b"\x07" + levels[1:], 64) is None  # another format
    assert TypeNesting.decode(levels + b"\x00", 64) is None


async def test_a_load_takes_the_stored_levels_instead_of_walking_the_state(store: SqlStore):
    updates = _nested_edits(depth=2, count=4)
    await store.append([NewUpdate("trusted", u) for u in updates])
    assert await store.compact("trusted") is not None
    # Levels that disagree with the state (none at all) are what the load goes by: proof it
    # did not walk the state.
    empty = TypeNesting(64).encode()
    async with store.engine.begin() as conn:
        await conn.execute(
            update(RoomStateRow).where(RoomStateRow.room == "trusted").values(nesting=empty)
        )
    loaded = await load_room(store, "trusted", 64)
    assert loaded.nesting.encode() == empty
    assert len(loaded.doc.get("root", type=Map)) == 1  # the document itself is whole
