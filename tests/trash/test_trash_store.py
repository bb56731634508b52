"""The trash in the SQL store on SQLite and PostgreSQL: a trashed room keeps its log and fences
late writes like a delete, nothing opens or makes it again, a restore gives it back whole, and
of two purges at once exactly one erases it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from collab.errors import NameInTrash, RoomTrashed, WriteFenced
from collab.store import migrate
from collab.store.base import NewUpdate
from collab.store.db import create_engine
from collab.store.sql import SqlStore
from tests.store.test_sql_store import _edits, _text


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    sql_store = SqlStore(engine)
    yield sql_store
    await sql_store.close()


async def test_a_trashed_room_is_kept_fenced_closed_and_restored_whole(store: SqlStore):
    updates, expected = _edits(6)
    loaded = await store.load("doc")
    await store.append([NewUpdate("doc", u, epoch=loaded.epoch) for u in updates])
    head = await store.trash.move("doc", "Ada")
    assert head is not None and head.deleted and head.epoch == loaded.epoch + 1
    assert await store.trash.move("doc", "Ada") is None, "trashed twice"
    assert await store.room_info("doc") is None and await store.count_rooms() == 0
    with pytest.raises(WriteFenced):
        await store.append([NewUpdate("doc", updates[0], epoch=loaded.epoch)])
    with pytest.raises(RoomTrashed):
        await store.load("doc")
    with pytest.raises(NameInTrash):
        await store.create_room("doc")
    assert await store.delete_room("doc") is None, "a delete does not reach into the trash"
    found = await store.trash.find("doc")
    assert found is not None and found.trashed_by == "Ada" and found.size_bytes > 0

    assert await store.trash.restore("doc") and not await store.trash.restore("doc")
    back = await store.load("doc")
    assert (
        back.epoch == head.epoch
        and _text([*([back.state] if back.state else []), *back.parts]) == expected
    )
    assert await store.trash.find("doc") is None and await store.room_info("doc") is not None


async def test_of_two_purges_at_once_one_erases_and_the_name_is_free(store: SqlStore):
    updates, _ = _edits(3)
    loaded = await store.load("doc")
    await store.append([NewUpdate("doc", u, epoch=loaded.epoch) for u in updates])
    await store.trash.move("doc", None)
    now = datetime.now(UTC)
    assert await store.trash.due(now - timedelta(days=1)) == []
    assert await store.trash.due(now + timedelta(seconds=1)) == ["doc"]
    assert not await store.trash.purge("doc", trashed_before=now - timedelta(days=1))
    results = await asyncio.gather(store.trash.purge("doc"), store.trash.purge("doc"))
    assert sorted(results) == [False, True]
    assert await store.trash.find("doc") is None and not await store.trash.restore("doc")
    assert await store.create_room("doc")
    fresh = await store.load("doc")
    assert fresh.parts == [] and fresh.state is None
