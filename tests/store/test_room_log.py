"""The room log across processes, at the store: sequence numbers, epoch fences, tombstones,
catch-up reads, and batches that are never stored twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, text

from collab.errors import WriteFenced
from collab.store import migrate
from collab.store.base import NewUpdate, NewVersion
from collab.store.db import create_engine
from collab.store.sql import SqlStore
from tests.conftest import _create_database, _drop_database, _postgres_base_url
from tests.store.test_sql_store import _edits, _text


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    sql_store = SqlStore(engine)
    yield sql_store
    await sql_store.close()


async def test_rows_are_numbered_per_room_in_commit_order(store: SqlStore):
    updates, expected = _edits(9)
    loaded = await store.load("a")
    first = await store.append([NewUpdate("a", u, epoch=loaded.epoch) for u in updates[:4]])
    second = await store.append(
        [NewUpdate("b", updates[0]), *(NewUpdate("a", u, epoch=loaded.epoch) for u in updates[4:])]
    )
    total = len(updates)
    assert first.seqs == {"a": (1, 4)}
    assert second.seqs == {"a": (5, total), "b": (1, 1)}
    assert (await store.room_heads(["a", "b", "nope"])).keys() == {"a", "b"}
    behind = await store.read_since("a", 6)
    assert behind.head.seq == total and behind.state is None and len(behind.log) == total - 6
    assert _text((await store.read_since("a", 0)).parts) == expected


async def test_catch_up_after_compaction_includes_the_state(store: SqlStore):
    updates, expected = _edits(12)
    await store.append([NewUpdate("c", u) for u in updates[:8]])
    assert await store.compact("c") is not None
    await store.append([NewUpdate("c", u) for u in updates[8:]])
    behind = await store.read_since("c", 3)  # rows 4..8 were folded into the state
    assert behind.state is not None and len(behind.log) == len(updates) - 8
    assert behind.head.seq == len(updates)
    assert _text(behind.parts) == expected


async def test_a_delete_fences_every_later_write_of_the_old_epoch(store: SqlStore):
    updates, _ = _edits(3)
    old = await store.load("gone")
    await store.append([NewUpdate("gone", updates[0], epoch=old.epoch)])
    tombstone = await store.delete_room("gone")
    assert tombstone is not None and tombstone.deleted and tombstone.epoch == old.epoch + 1
    assert await store.room_info("gone") is None
    with pytest.raises(WriteFenced):
        await store.append([NewUpdate("gone", updates[1], epoch=old.epoch)])
    with pytest.raises(WriteFenced):
        await store.append([NewVersion("gone", b"\x00\x00", "f", "auto", epoch=old.epoch)])
    assert (await store.read_since("gone", 0)).head.deleted
    again = await store.load("gone")  # created again: clean, with the tombstone's epoch
    assert again.epoch == tombstone.epoch and again.parts == []
    await store.append([NewUpdate("gone", updates[2], epoch=again.epoch)])
    assert len((await store.load("gone")).log) == 1
    assert await store.room_info("gone") is not None


@pytest.fixture
async def postgres_store() -> AsyncIterator[SqlStore]:
    """A store on a fresh PostgreSQL database: the batch ledger guards commits over a network,
    so SQLite (in process) has none."""
    base = _postgres_base_url()
    url = await _create_database(base)
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        sql_store = SqlStore(engine)
        yield sql_store
        await sql_store.close()
    finally:
        await _drop_database(base, url)


async def test_a_batch_retried_after_its_commit_is_not_stored_twice(postgres_store: SqlStore):
    store = postgres_store
    updates, _ = _edits(3)
    batch = [NewUpdate("once", u) for u in updates] + [
        NewVersion("once", b"\x00\x00", "fp", "auto")
    ]
    first = await store.append(batch, batch="key-1")
    retried = await store.append(batch, batch="key-1")  # as after a lost COMMIT reply
    assert retried == first
    assert len((await store.load("once")).log) == len(updates)
    assert len(await store.list_versions("once")) == 1
    assert (await store.room_heads(["once"]))["once"].seq == len(updates)
    other = await store.append([NewUpdate("once", updates[0])], batch="key-2")
    assert other.seqs == {"once": (len(updates) + 1, len(updates) + 1)}


async def test_a_first_attempt_does_not_look_its_key_up(postgres_store: SqlStore):
    """The writer's first attempt at a batch (`fresh`) goes without the ledger's lookup, one
    round trip less per commit; its key is still recorded, so a retry finds it."""
    store = postgres_store
    updates, _ = _edits(2)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", seen)
    try:
        first = await store.append([NewUpdate("fresh", updates[0])], batch="k-1", fresh=True)
        lookups_fresh = [
            q
            for q in statements
            if q.lstrip().upper().startswith("SELECT") and "commit_batches" in q
        ]
        statements.clear()
        retried = await store.append([NewUpdate("fresh", updates[0])], batch="k-1")
        lookups_retry = [
            q
            for q in statements
            if q.lstrip().upper().startswith("SELECT") and "commit_batches" in q
        ]
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", seen)
    assert lookups_fresh == []
    assert len(lookups_retry) == 1
    assert retried == first  # recorded by the fresh attempt, found by the retry
    assert len((await store.load("fresh")).log) == 1


async def test_a_batch_of_many_rooms_numbers_each_and_fences_the_deleted_one(store: SqlStore):
    updates, _ = _edits(2)
    epochs = {room: (await store.load(room)).epoch for room in ("m1", "m2", "m3")}
    batch = [NewUpdate(room, u, epoch=epochs[room]) for room in epochs for u in updates]
    appended = await store.append(batch)
    assert appended.seqs == {room: (1, len(updates)) for room in epochs}
    await store.delete_room("m2")
    with pytest.raises(WriteFenced):
        await store.append(batch)
    again = await store.append([item for item in batch if item.room != "m2"])
    assert again.seqs == {room: (len(updates) + 1, 2 * len(updates)) for room in ("m1", "m3")}


async def test_an_append_of_updates_writes_what_the_general_path_writes(store: SqlStore):
    """A batch of updates to loaded rooms (each naming its epoch) is appended in one trip to a
    thread of collab's own on a SQLite file (collab/store/sqlite_append.py), in one statement
    on PostgreSQL (collab/store/postgres_append.py); other batches (here: updates that name no
    epoch, as offline tools write them) take SQLAlchemy's path. Both leave the same rows,
    counters and pending authors."""
    updates = _edits(6)[0][:6]
    authors = ["ann", None, "bob", "ann", "bob", None]
    epochs = {"quick": (await store.load("quick")).epoch, "general": None}
    await store.load("general")

    def batch(room: str, part: slice) -> list[NewUpdate | NewVersion]:
        return [
            NewUpdate(room, u, author=a, epoch=epochs[room])
            for u, a in zip(updates[part], authors[part], strict=True)
        ]

    for room in ("quick", "general"):
        first = await store.append(batch(room, slice(0, 3)))
        second = await store.append(batch(room, slice(3, 6)))
        assert (first.seqs, second.seqs) == ({room: (1, 3)}, {room: (4, 6)})
    found = {}
    async with store.engine.connect() as conn:
        for room in ("quick", "general"):
            rows = await conn.execute(
                text(
                    "SELECT seq, data, author, created_at FROM updates WHERE room = :r ORDER BY id"
                ),
                {"r": room},
            )
            counters = await conn.execute(
                text("SELECT seq, log_count, log_bytes FROM rooms WHERE name = :r"), {"r": room}
            )
            pending = await conn.execute(
                text("SELECT author FROM room_authors WHERE room = :r ORDER BY author"), {"r": room}
            )
            found[room] = (rows.all(), tuple(counters.one()), list(pending.scalars()))
    quick, general = found["quick"], found["general"]
    assert [r[:3] for r in quick[0]] == [r[:3] for r in general[0]]
    assert [r[0] for r in quick[0]] == [1, 2, 3, 4, 5, 6]
    assert [r[2] for r in quick[0]] == authors
    # The timestamps in SQLAlchemy's format for the dialect, whichever path wrote them.
    assert {len(str(r[3])) for r in quick[0]} == {len(str(r[3])) for r in general[0]}
    assert quick[1] == general[1] == (6, 6, sum(len(u) for u in updates))
    assert quick[2] == general[2] == ["ann", "bob"]
    texts = [_text((await store.read_since(room, 0)).parts) for room in ("quick", "general")]
    assert texts[0] == texts[1] != ""
