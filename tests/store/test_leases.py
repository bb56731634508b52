"""Leases on once-per-room work, at the store: take, renew, expire, release, and the fences that
refuse a compaction or an automatic version whose process lost the lease."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from collab.errors import LeaseLost
from collab.store import leases, migrate
from collab.store.base import Lease, NewUpdate, NewVersion, RetentionPolicy
from collab.store.db import create_engine
from collab.store.sql import SqlStore
from tests.store.test_sql_store import _edits, _text

ALICE = Lease("maintenance", "alice-process")
BOB = Lease("maintenance", "bob-process")
# A negative duration: a lease that has expired the moment it is taken (no waiting needed).
EXPIRED = -60.0


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    sql_store = SqlStore(engine)
    for room in ("r", "s", "t"):
        await sql_store.create_room(room)
    yield sql_store
    await sql_store.close()


async def test_a_lease_is_held_by_one_owner_until_it_expires(store: SqlStore):
    assert await store.take_leases(["r"], ALICE, 30) == {"r"}
    assert await store.take_leases(["r"], BOB, 30) == set(), "held: nobody else takes it"
    assert await store.take_leases(["r"], ALICE, 30) == {"r"}, "its owner renews it"
    assert await store.take_leases(["r"], ALICE, EXPIRED) == {"r"}
    assert await store.take_leases(["r"], BOB, 30) == {"r"}, "expired: taken over"
    assert await store.take_leases(["r"], ALICE, 30) == set(), "the old owner cannot renew it"


async def test_a_released_lease_is_free_at_once_and_only_its_owner_releases_it(store: SqlStore):
    await store.take_leases(["r", "s"], ALICE, 30)
    await store.release_leases(["r", "s"], BOB)
    assert await store.take_leases(["r", "s"], BOB, 30) == set()
    await store.release_leases(["r"], ALICE)
    assert await store.take_leases(["r", "s"], BOB, 30) == {"r"}


async def test_one_statement_takes_the_free_rooms_of_a_batch(store: SqlStore):
    await store.take_leases(["s"], BOB, 30)
    await store.take_leases(["t"], BOB, EXPIRED)
    assert await store.take_leases(["t", "s", "r", "r"], ALICE, 30) == {"r", "t"}
    assert await store.take_leases(["r", "s", "t"], BOB, 30) == {"s"}


async def test_the_lease_runs_on_the_databases_clock(store: SqlStore):
    await store.take_leases(["r"], ALICE, 120)
    async with store.engine.connect() as conn:
        row = (
            await conn.execute(
                select(leases.leases.c.until, leases.clock(conn).label("now")).where(
                    leases.leases.c.room == "r"
                )
            )
        ).one()
    left = row.until - row.now
    assert timedelta(seconds=119) < left <= timedelta(seconds=120)


async def test_racing_takers_of_an_expired_lease_get_it_once(store: SqlStore):
    for _ in range(10):
        await store.take_leases(["r"], ALICE, EXPIRED)
        contenders = [Lease("maintenance", f"p{i}") for i in range(4)]
        won = await asyncio.gather(*(store.take_leases(["r"], c, 30) for c in contenders))
        assert sum(1 for rooms in won if rooms) == 1
        winner = next(c for c, rooms in zip(contenders, won, strict=True) if rooms)
        await store.release_leases(["r"], winner)


async def test_a_compaction_whose_lease_was_taken_over_writes_nothing(store: SqlStore):
    updates, expected = _edits(20)
    await store.append([NewUpdate("r", u) for u in updates])
    await store.take_leases(["r"], ALICE, EXPIRED)
    await store.take_leases(["r"], BOB, 30)
    with pytest.raises(LeaseLost):
        await store.compact("r", lease=ALICE)
    loaded = await store.load("r")
    assert loaded.state is None and len(loaded.log) == len(updates), "rolled back"
    done = await store.compact("r", lease=BOB)
    assert done is not None and done.updates == len(updates)
    assert _text((await store.load("r")).parts) == expected


async def test_an_automatic_version_whose_lease_was_taken_over_is_refused(store: SqlStore):
    updates, _ = _edits(5)
    state = updates[0]
    await store.append([NewUpdate("r", u, "ada") for u in updates])
    await store.take_leases(["r"], ALICE, EXPIRED)
    await store.take_leases(["r"], BOB, 30)
    late = NewVersion("r", state, "fp-1", "auto", lease=ALICE)
    with pytest.raises(LeaseLost):
        await store.append([late, NewUpdate("s", updates[1], "bo")])
    assert await store.list_versions("r") == [], "no version from the process that lost it"
    assert (await store.load("s")).log == [], "the batch rolled back whole"
    done = await store.append([NewVersion("r", state, "fp-1", "auto", lease=BOB)])
    assert done.versions[0].created and done.versions[0].info.authors == ["ada"]
    duplicate = await store.append([NewVersion("r", state, "fp-1", "auto", lease=BOB)])
    assert not duplicate.versions[0].created


async def test_a_thinning_whose_lease_was_taken_over_deletes_nothing(store: SqlStore):
    empty = b"\x00\x00"
    for i in range(3):
        await store.append([NewUpdate("r", empty, "ada"), NewVersion("r", empty, f"f{i}", "auto")])
    policy = RetentionPolicy(keep_all=timedelta(days=1), hourly_until=timedelta(days=7))
    later = datetime.now(UTC) + timedelta(days=2)  # all three in one hour: two are thinned
    await store.take_leases(["r"], ALICE, EXPIRED)
    await store.take_leases(["r"], BOB, 30)
    with pytest.raises(LeaseLost):
        await store.thin_versions("r", policy, later, lease=ALICE)
    assert len(await store.list_versions("r")) == 3, "the process that lost it deleted nothing"
    assert await store.thin_versions("r", policy, later, lease=BOB) == 2
    assert len(await store.list_versions("r")) == 1
