"""A room counts its uncompacted log as the database stores it: a batch's run of one author's
updates is one row, so it counts once. Counting every update instead made a busy room compact
after every few commits (4 writers at full speed: 72 compactions in 9 s, each reading and
rewriting the log beside the writes). Drives the real RoomManager, UpdateWriter and SqlStore
on a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pycrdt import Doc, Text, TransactionEvent

from collab.pubsub.local import LocalBus
from collab.rooms.cluster.replication import Cluster
from collab.rooms.manager import RoomManager
from collab.rooms.writer import MERGE_MAX_BYTES
from collab.store.sql import SqlStore
from collab.types import LocalOrigin
from tests.rooms.real_rooms import room_manager

COMPACT_AFTER = 30


@pytest.fixture
async def rooms(sqlite_url: str) -> AsyncIterator[tuple[RoomManager, SqlStore]]:
    async with room_manager(
        sqlite_url,
        batch_max=256,
        unload_grace=60,
        compact_max_updates=COMPACT_AFTER,
        compact_max_bytes=1 << 30,
    ) as manager_and_store:
        yield manager_and_store


def _keystrokes(count: int, doc: Doc[Any] | None = None, paste: int = 0) -> list[bytes]:
    """`count` updates of one client, one character each, as an editor sends them (then, with
    `paste`, one update inserting that many characters at once)."""
    doc = doc if doc is not None else Doc()
    text = doc.get("content", type=Text)
    updates: list[bytes] = []

    def keep(event: TransactionEvent) -> None:
        updates.append(event.update)

    subscription = doc.observe(keep)
    for _ in range(count):
        text.insert(len(text), "abcdefghij"[len(text) % 10])
    if paste:
        text.insert(len(text), "p" * paste)
    doc.unobserve(subscription)
    return updates


async def _stored(store: SqlStore, room: str) -> tuple[int, int]:
    stored = await store.load(room)
    return len(stored.log), sum(len(row) for row in stored.log)


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
    rows, size = await _stored(store, "log-accounting")
    assert rows < len(updates)  # merged: what this test is about
    assert (room.log_size.count, room.log_size.bytes) == (rows, size)
    assert manager.upkeep.compactions == 0  # fewer rows than the threshold
    assert manager.upkeep.compaction("log-accounting") is None
    manager.release(room)


async def test_authors_taking_turns_and_a_large_paste_count_as_their_rows(
    rooms: tuple[RoomManager, SqlStore],
) -> None:
    """Runs break where the author changes, and an update over MERGE_MAX_BYTES is a row of its
    own: the room's count still equals what the store holds."""
    manager, store = rooms
    room = await manager.acquire("log-turns")
    ada, grace = LocalOrigin("test", "Ada"), LocalOrigin("test", "Grace")
    shared: Doc[Any] = Doc()
    turns = [(ada, _keystrokes(5, shared)), (grace, _keystrokes(5, shared))] * 3
    turns.append((ada, _keystrokes(0, shared, paste=MERGE_MAX_BYTES + 1)))
    seqs = [await room.receive_update(u, who) for who, updates in turns for u in updates]
    await room.wait_committed(seqs[-1])
    rows, size = await _stored(store, "log-turns")
    assert len(turns) <= rows < len(seqs)  # some runs merged; never across authors
    assert (room.log_size.count, room.log_size.bytes) == (rows, size)
    manager.release(room)


async def test_a_catch_up_over_a_compaction_elsewhere_counts_what_is_stored(
    sqlite_url: str,
) -> None:
    """Two processes' rooms on one database, with no bus between them (the bus missed the
    rows): one writes and its log is compacted, then writes more; the other catches up, gets the
    compacted state and the rows after it, and counts exactly what the database holds. The state
    is not a row of the log: counted as one, it inflated the room's size (the document size
    limit) and its log (compacting again at once)."""
    async with (
        room_manager(sqlite_url, compact_max_updates=10**6, compact_max_bytes=1 << 30) as (
            a,
            store,
        ),
        room_manager(sqlite_url, compact_max_updates=10**6, compact_max_bytes=1 << 30) as (b, _),
    ):
        b.cluster = cluster = Cluster(LocalBus(), store, node_id="b", check_interval=None)
        writer = await a.acquire("caught-up")
        behind = await b.acquire("caught-up")
        origin = LocalOrigin("test", "Ada")
        shared: Doc[Any] = Doc()
        seqs = [await writer.receive_update(u, origin) for u in _keystrokes(40, shared)]
        await writer.wait_committed(seqs[-1])
        assert await store.compact("caught-up") is not None
        seqs = [await writer.receive_update(u, origin) for u in _keystrokes(5, shared)]
        await writer.wait_committed(seqs[-1])

        await cluster.catch_up(behind)

        stored = await store.load("caught-up")
        assert stored.state is not None and stored.log
        assert str(behind.doc.get("content", type=Text)) == str(shared.get("content", type=Text))
        assert (behind.log_size.count, behind.log_size.bytes) == (
            len(stored.log),
            sum(map(len, stored.log)),
        )
        assert behind.log_size.state_bytes == len(stored.state)
        assert behind.size == len(stored.state) + sum(map(len, stored.log))
        a.release(writer)
        b.release(behind)
