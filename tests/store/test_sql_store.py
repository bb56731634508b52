"""SqlStore against real databases: log order, compaction, listing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pycrdt import Doc, Text
from sqlalchemy import event

from collab.store import migrate
from collab.store.base import NewUpdate, NewVersion, RetentionPolicy
from collab.store.db import create_engine
from collab.store.sql import SqlStore


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    sql_store = SqlStore(engine)
    yield sql_store
    await sql_store.close()


def _edits(count: int, client_id: int = 7) -> tuple[list[bytes], str]:
    doc: Doc[Any] = Doc(client_id=client_id)
    text = doc.get("content", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for i in range(count):
        text.insert(len(text) // 2, f"{i};")
        if i % 3 == 0:
            del text[0]
    return updates, str(text)


def _text(parts: list[bytes]) -> str:
    doc: Doc[Any] = Doc()
    for part in parts:
        doc.apply_update(part)
    return str(doc.get("content", type=Text))


async def test_log_round_trips_in_order_and_unknown_room_is_empty(store: SqlStore):
    updates, expected = _edits(30)
    await store.append([NewUpdate("r", u, "alice") for u in updates])
    loaded = await store.load("r")
    assert loaded.state is None and loaded.log == updates
    assert _text(loaded.parts) == expected
    assert (await store.load("nobody")).parts == []


async def test_compaction_folds_the_log_and_keeps_pending_updates(store: SqlStore):
    updates, expected = _edits(40)
    # Store everything but the first update: the rest is causally incomplete (pending).
    await store.append([NewUpdate("r", u) for u in updates[1:]])
    done = await store.compact("r")
    assert done is not None and done.updates == len(updates) - 1
    loaded = await store.load("r")
    assert loaded.log == [] and loaded.state is not None
    await store.append([NewUpdate("r", updates[0])])
    assert _text((await store.load("r")).parts) == expected
    assert await store.compact("nobody") is None


async def test_concurrent_compactions_never_lose_updates(store: SqlStore):
    updates, expected = _edits(60)
    await store.append([NewUpdate("r", u) for u in updates[:30]])
    results = await asyncio.gather(
        store.compact("r"),
        store.compact("r"),
        store.append([NewUpdate("r", u) for u in updates[30:]]),
    )
    assert any(result is not None for result in results[:2])
    assert _text((await store.load("r")).parts) == expected


async def test_list_rooms_newest_first_with_sizes(store: SqlStore):
    first, _ = _edits(3, client_id=1)
    second, _ = _edits(5, client_id=2)
    await store.append([NewUpdate("first", u) for u in first])
    await store.append([NewUpdate("second", u) for u in second])
    rooms = await store.list_rooms()
    assert [room.name for room in rooms] == ["second", "first"]
    assert rooms[0].size_bytes == sum(len(u) for u in second)
    assert rooms[0].updated_at >= rooms[1].updated_at


async def test_thinning_keeps_labelled_versions_and_carries_authors(store: SqlStore):
    """Retention deletes only unlabelled auto versions; the people in a deleted version pass
    to the next version kept (here the safety copy a restore saved first)."""
    empty = b"\x00\x00"
    await store.append([NewUpdate("r", empty, "Ann"), NewVersion("r", empty, "f1", "auto")])
    await store.append([NewUpdate("r", empty, "Bob"), NewVersion("r", empty, "f2", "auto")])
    await store.append([NewVersion("r", empty, "f3", "auto", "Before restoring version 1")])
    await store.append([NewUpdate("r", empty, "Cy"), NewVersion("r", empty, "f4", "auto")])
    policy = RetentionPolicy(keep_all=timedelta(days=1), hourly_until=timedelta(days=7))
    assert await store.thin_versions("r", policy, datetime.now(UTC) + timedelta(days=2)) == 2
    kept = await store.list_versions("r")  # newest first
    assert [(v.label, v.authors) for v in kept] == [
        (None, ["Cy"]),
        ("Before restoring version 1", ["Ann", "Bob"]),
    ]


async def test_prefix_filter_is_case_sensitive_on_every_database(store: SqlStore):
    for name in ("doc", "Doc2", "DOC3", "docs_x", "d%c"):
        await store.create_room(name)
    assert sorted(r.name for r in await store.list_rooms(prefix="doc")) == ["doc", "docs_x"]
    assert [r.name for r in await store.list_rooms(prefix="DOC")] == ["DOC3"]
    assert [r.name for r in await store.list_rooms(prefix="d%")] == ["d%c"]


async def test_listing_filters_by_grant_patterns_in_the_database(store: SqlStore):
    for name in ("team-a", "team-b", "teamx", "other", "others"):
        await store.create_room(name)
    granted = await store.list_rooms(patterns=["team-*", "other"])
    assert sorted(r.name for r in granted) == ["other", "team-a", "team-b"]
    assert await store.list_rooms(patterns=[]) == []
    assert len(await store.list_rooms(patterns=None)) == 5
    narrowed = await store.list_rooms(prefix="team-", patterns=["team-b", "other"])
    assert [r.name for r in narrowed] == ["team-b"]


async def test_compacted_state_is_the_squashed_encoding_when_nothing_is_pending(store: SqlStore):
    """With nothing pending, the stored state is the document's own encoding (adjacent items
    squashed), not one item per merged update, which yrs loads item by item (slowly)."""
    doc: Doc[Any] = Doc(client_id=3)
    text = doc.get("content", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for i in range(50):
        text += f"piece {i}; "
        if i % 7 == 0:
            del text[0:3]
    await store.append([NewUpdate("r", u) for u in updates])
    assert await store.compact("r") is not None
    stored = (await store.load("r")).state
    assert stored == doc.get_update()
    assert _text([stored]) == str(text)


async def test_compaction_reports_the_log_left_as_the_database_counts_it(store: SqlStore):
    """The room's in-memory log counters are reset from these after each compaction (the room
    counts updates, the database the rows they were stored as), so they cannot drift."""
    updates, _ = _edits(17)
    await store.append([NewUpdate("r", u) for u in updates[:10]])
    await store.append([NewUpdate("r", u) for u in updates[10:15]])
    done = await store.compact("r")
    assert done is not None and done.updates == 15
    assert (done.log_count, done.log_bytes) == (0, 0)
    await store.append([NewUpdate("r", u) for u in updates[15:]])
    info = await store.room_info("r")
    assert info is not None and info.size_bytes == done.state_bytes + sum(map(len, updates[15:]))
    again = await store.compact("r")
    assert again is not None and again.updates == len(updates) - 15 and again.log_count == 0


async def test_rooms_opened_at_once_are_made_together_each_as_it_stands(store: SqlStore):
    """Many rooms loaded at the same moment are created in batches: each new one is made (and
    holds nothing), one that exists keeps its log, a deleted one is made again with a newer
    epoch, and one in the trash is refused, alone."""
    edits, text = _edits(2)
    await store.append([NewUpdate("kept", edit) for edit in edits])
    await store.load("gone")
    deleted = await store.delete_room("gone")
    assert deleted is not None
    await store.load("binned")
    assert await store.trash.move("binned", "Ada") is not None
    fresh = [f"new-{n:04d}" for n in range(600)]  # more than one batch, more than one chunk
    names = [*fresh, "kept", "gone", "binned"]
    loaded = await asyncio.gather(*(store.load(name) for name in names), return_exceptions=True)
    by_name = dict(zip(names, loaded, strict=True))
    for name in fresh:
        room = by_name[name]
        assert not isinstance(room, BaseException), room
        assert (room.state, room.log, room.seq, room.epoch) == (None, [], 0, 1)
    kept = by_name["kept"]
    assert not isinstance(kept, BaseException) and _text(kept.log) == text
    gone = by_name["gone"]
    assert not isinstance(gone, BaseException) and gone.log == [] and gone.epoch == deleted.epoch
    binned = by_name["binned"]
    assert type(binned).__name__ == "RoomTrashed", binned
    heads = await store.room_heads(fresh)
    assert len(heads) == len(fresh) and not any(h.deleted for h in heads.values())


async def test_rooms_loaded_at_once_have_their_heads_read_together(store: SqlStore):
    """The heads of rooms loaded at the same moment are read by one query per batch, not one
    query (and one pooled connection) each: a burst of a thousand new documents no longer
    queues for the pool's connections. The new ones are made together too."""
    names = [f"burst-{n:03d}" for n in range(300)]
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", seen)
    try:
        loaded = await asyncio.gather(*(store.load(name) for name in names))
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", seen)
    assert {(room.seq, room.epoch) for room in loaded} == {(0, 1)}
    head_reads = [
        q
        for q in statements
        if q.lstrip().upper().startswith("SELECT") and "rooms.epoch" in q and "FROM rooms" in q
    ]
    # The first load's own batch, then the others' (at most 256 rooms a batch), and the
    # opener's reads of the heads it made: a handful, not one per room.
    assert 1 <= len(head_reads) <= 8, len(head_reads)
    # And they are made by one INSERT per batch, which says which rooms it made: none is
    # looked at again one by one (`open_room`'s own INSERT) as a room made meanwhile would be.
    creations = [q for q in statements if q.lstrip().upper().startswith("INSERT INTO ROOMS")]
    assert 1 <= len(creations) <= 8, len(creations)
