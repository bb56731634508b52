"""Blame's record in the store (store/blame.py) against real databases: a compaction records
the clock ranges of the rows it folds, with their authors and times, in its transaction (the
log is then empty, the ranges say it all); deleting the room erases them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pycrdt import Doc, Text

from collab.store import migrate
from collab.store.base import NewUpdate
from collab.store.db import create_engine
from collab.store.sql import SqlStore


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    sql_store = SqlStore(engine)
    yield sql_store
    await sql_store.close()


def _typed(doc: Doc[Any], words: str) -> bytes:
    before = doc.get_state()
    text = doc.get("content", type=Text)
    text.insert(len(str(text)), words)
    return doc.get_update(before)


async def test_compaction_records_who_wrote_the_rows_it_folds(store: SqlStore):
    ada: Doc[Any] = Doc(client_id=11)
    first = _typed(ada, "Ada's words ")
    bob: Doc[Any] = Doc(client_id=22)
    bob.apply_update(first)
    second = _typed(bob, "and Bob's")
    await store.append([NewUpdate("r", first, "Ada"), NewUpdate("r", second, "Bob")])
    recorded, log = await store.blame.sources("r")
    assert recorded == [] and [row.author for row in log] == ["Ada", "Bob"]

    assert await store.compact("r") is not None
    recorded, log = await store.blame.sources("r")
    assert log == []
    assert [(r.client, r.start, r.end, r.author) for r in recorded] == [
        (11, 0, 12, "Ada"),
        (22, 0, 9, "Bob"),
    ]
    assert all(r.at.tzinfo is not None for r in recorded)

    assert await store.delete_room("r") is not None
    assert await store.blame.sources("r") == ([], [])
