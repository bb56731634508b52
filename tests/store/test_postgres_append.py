"""The one-statement append on PostgreSQL (collab/store/postgres_append.py): one statement and
one round trip per batch, counted on the wire; the same rows, counters, pending authors and
ledger row as SQLAlchemy's path; a fenced or refused batch writes nothing; retries, batches of
many rooms, concurrent appends and a connection the server ended."""

from __future__ import annotations

import asyncio
import json
import struct
from collections import Counter
from collections.abc import AsyncIterator, Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from collab.errors import StoreUnavailable, WriteFenced, WriteRejected
from collab.metrics import Metrics
from collab.store import migrate
from collab.store.base import Appended, NewUpdate, NewVersion
from collab.store.batches import BatchLedger, result_parts, result_text
from collab.store.db import create_engine
from collab.store.sql import SqlStore
from tests.store.test_sql_store import _edits, _text
from tests.tcpproxy import TcpProxy, Watcher

_POSTGRES_PROTOCOL = 196608  # 3.0: the startup message; before it, SSL/GSS requests
_POISON = (
    "ALTER TABLE updates ADD CONSTRAINT refuse_poison CHECK (author IS DISTINCT FROM 'poison')"
)


class _Wire:
    """What a client sends PostgreSQL through a `TcpProxy` (`watcher` reads it): each Sync,
    Flush (the client waits for what it asked so far) or simple Query is one round trip."""

    def __init__(self) -> None:
        self.port = 0  # the relay's, once it listens
        self.messages: Counter[str] = Counter()
        self.queries: list[str] = []

    @property
    def round_trips(self) -> int:
        return self.messages["S"] + self.messages["H"] + self.messages["Q"]

    def clear(self) -> None:
        self.messages.clear()
        self.queries.clear()

    def watcher(self) -> Watcher:
        """A reader of one connection's client bytes."""
        reader = self._read_client()
        next(reader)
        return reader.send

    def _read_client(self) -> Generator[None, bytes, None]:
        """A generator fed the client's bytes: counts its messages by type."""
        buffer, started = b"", False
        while True:
            buffer += yield
            while True:
                if not started:  # length, code: SSLRequest, GSSENCRequest, then startup
                    if len(buffer) < 8 or len(buffer) < struct.unpack("!i", buffer[:4])[0]:
                        break
                    size, code = struct.unpack("!ii", buffer[:8])
                    buffer, started = buffer[size:], code == _POSTGRES_PROTOCOL
                    continue
                if len(buffer) < 5 or len(buffer) < 1 + struct.unpack("!i", buffer[1:5])[0]:
                    break
                kind, size = buffer[:1].decode(), struct.unpack("!i", buffer[1:5])[0]
                body, buffer = buffer[5 : 1 + size], buffer[1 + size :]
                self.messages[kind] += 1
                if kind == "Q":
                    self.queries.append(body.rstrip(b"\0").decode())
                elif kind == "P":
                    self.queries.append(body.split(b"\0")[1].decode())


@pytest.fixture
async def wire(postgres_url: str) -> AsyncIterator[_Wire]:
    url = make_url(postgres_url)
    seen = _Wire()
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432, watch=seen.watcher) as relay:
        seen.port = relay.port
        yield seen


def _through(url: str, relay: _Wire) -> str:
    return make_url(url).set(host="127.0.0.1", port=relay.port).render_as_string(False)


def _appends(metrics: Metrics) -> tuple[float | None, ...]:
    """The batches counted on each path: one trip (SQLite), one statement, SQLAlchemy's."""
    return tuple(
        metrics.registry.get_sample_value("collab_store_appends_total", {"path": path})
        for path in ("one_trip", "one_statement", "sqlalchemy")
    )


@pytest.fixture
async def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
async def store(postgres_url: str, metrics: Metrics) -> AsyncIterator[SqlStore]:
    engine = create_engine(postgres_url)
    await migrate.upgrade(engine)
    sql_store = SqlStore(engine, metrics=metrics)
    yield sql_store
    await sql_store.close()


async def _select(store: SqlStore, sql: str, room: str) -> list[Any]:
    async with store.engine.connect() as conn:
        return list((await conn.execute(text(sql), {"r": room})).all())


async def _rows(store: SqlStore, room: str) -> list[Any]:
    return await _select(
        store,
        "SELECT id, seq, data, author, agent_session, created_at FROM updates "
        "WHERE room = :r ORDER BY id",
        room,
    )


async def _room(store: SqlStore, room: str) -> tuple[Any, ...]:
    sql = (
        "SELECT seq, log_count, log_bytes, updated_at, epoch, deleted_at FROM rooms WHERE name = :r"
    )
    [row] = await _select(store, sql, room)
    return tuple(row)


async def _pending(store: SqlStore, room: str) -> list[str]:
    async with store.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT author FROM room_authors WHERE room = :r ORDER BY author"), {"r": room}
        )
        return list(found.scalars())


async def _ledger(store: SqlStore) -> dict[str, str]:
    async with store.engine.connect() as conn:
        found = await conn.execute(text("SELECT id, result FROM commit_batches"))
        return {row.id: row.result for row in found}


async def test_an_append_of_updates_is_one_statement_and_one_round_trip(
    postgres_url: str, wire: _Wire, metrics: Metrics
):
    """Counted by SQLAlchemy (one statement, no BEGIN nor COMMIT) and on the wire: once the
    connection has prepared the statement, an append is one Bind/Execute/Sync exchange (the
    general path takes nine: the pool's pre-ping as BEGIN, a query and ROLLBACK, then BEGIN,
    four statements and COMMIT)."""
    engine = create_engine(_through(postgres_url, wire))
    await migrate.upgrade(engine)
    store = SqlStore(engine, metrics=metrics)
    statements: list[str] = []

    def executed(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    updates, expected = _edits(8)
    try:
        epoch = (await store.load("r")).epoch
        # The first two appends prepare their statements (the first records a key, and
        # sweeps the ledger's old ones; the second only records its key).
        for i, update in enumerate(updates[:2]):
            await store.append([NewUpdate("r", update, epoch=epoch)], batch=f"k{i}", fresh=True)
        event.listen(engine.sync_engine, "before_cursor_execute", executed)
        trips = []
        for i, update in enumerate(updates[2:], start=2):
            wire.clear()
            statements.clear()
            appended = await store.append(
                [NewUpdate("r", update, author="ann", epoch=epoch)], batch=f"k{i}", fresh=True
            )
            assert appended == Appended([], {"r": (i + 1, i + 1)})
            assert len(statements) == 1 and statements[0].startswith("WITH advanced AS")
            trips.append((wire.round_trips, dict(wire.messages), list(wire.queries)))
        assert trips == [(1, {"B": 1, "E": 1, "S": 1}, [])] * len(updates[2:])
        event.remove(engine.sync_engine, "before_cursor_execute", executed)
        # SQLAlchemy's path, for comparison (the relay sees its transaction): a retry.
        wire.clear()
        await store.append([NewUpdate("r", updates[0], epoch=epoch)], batch="retried")
        # asyncpg says "BEGIN;", or "BEGIN ISOLATION LEVEL ..." in some releases.
        begun = any(q.startswith("BEGIN") for q in wire.queries)
        assert wire.round_trips > 5 and begun and "COMMIT;" in wire.queries
        assert _text((await store.read_since("r", 0)).parts) == expected
    finally:
        await store.close()
    assert _appends(metrics) == (0, len(updates), 1)


async def test_it_writes_what_the_general_path_writes(store: SqlStore, metrics: Metrics):
    """The same batches on two rooms, one appended in one statement and the other through
    SQLAlchemy's path (a retry: fresh=False): the same rows (NULL authors and sessions among
    them), sequence numbers, ids in order, counters, pending authors and ledger rows."""
    updates = _edits(6)[0][:6]
    authors = ["ann", None, "bob", "", "ann", None]
    sessions = [None, "s1", None, None, "s1", "s2"]
    rooms = ("quick", 'a "quoted" ☃ [0, 0] room')  # the ledger's JSON escapes its name
    epochs = {room: (await store.load(room)).epoch for room in rooms}

    def batch(room: str, part: slice) -> list[NewUpdate | NewVersion]:
        return [
            NewUpdate(room, u, author=a, epoch=epochs[room], session=s)
            for u, a, s in zip(updates[part], authors[part], sessions[part], strict=True)
        ]

    fresh = {rooms[0]: True, rooms[1]: False}
    appended: dict[str, list[Appended]] = {}
    for room in rooms:
        appended[room] = [
            await store.append(batch(room, part), batch=f"{room}-{i}", fresh=fresh[room])
            for i, part in enumerate((slice(0, 3), slice(3, 6)))
        ]
    assert _appends(metrics) == (0, 2, 2)
    for room in rooms:
        assert appended[room] == [Appended([], {room: (1, 3)}), Appended([], {room: (4, 6)})]
    quick_rows, general_rows = [await _rows(store, room) for room in rooms]
    assert [r[1:5] for r in quick_rows] == [r[1:5] for r in general_rows]
    assert [r[1] for r in quick_rows] == [1, 2, 3, 4, 5, 6]
    assert [r[0] for r in quick_rows] == sorted(r[0] for r in quick_rows)  # ids in seq order
    assert [(r[3], r[4]) for r in quick_rows] == list(zip(authors, sessions, strict=True))
    for rows in (quick_rows, general_rows):
        assert len({r[5] for r in rows}) == 2 and all(r[5].tzinfo is not None for r in rows)
    heads = [await _room(store, room) for room in rooms]
    assert heads[0][:3] == heads[1][:3] == (6, 6, sum(len(u) for u in updates))
    assert heads[0][3] == quick_rows[-1][5]  # updated_at: the last edit
    assert await _pending(store, rooms[0]) == await _pending(store, rooms[1]) == ["ann", "bob"]
    ledger = await _ledger(store)
    for room in rooms:
        for i, done in enumerate(appended[room]):
            assert ledger[f"{room}-{i}"] == result_text(done)
            async with store.engine.connect() as conn:
                assert await BatchLedger().find(conn, f"{room}-{i}") == done
    texts = [_text((await store.read_since(room, 0)).parts) for room in rooms]
    assert texts[0] == texts[1] != ""


async def test_a_fenced_room_writes_nothing(store: SqlStore, metrics: Metrics):
    """A room deleted since its epoch, or made again at a new one: WriteFenced, and nothing
    written, not even the sweep of the ledger's old keys its first key would have done."""
    updates, _ = _edits(4)
    old = await store.load("gone")
    stale = datetime.now(UTC) - timedelta(hours=2)
    async with store.engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO commit_batches (id, created_at, result) VALUES ('old', :t, '{}')"),
            {"t": stale},
        )
    tombstone = await store.delete_room("gone")
    assert tombstone is not None
    before = await _room(store, "gone")
    for attempt in range(2):
        with pytest.raises(WriteFenced, match="'gone' was deleted"):
            await store.append(
                [NewUpdate("gone", u, author="ann", epoch=old.epoch) for u in updates[:2]],
                batch=f"fenced-{attempt}",
                fresh=True,
            )
        assert await _rows(store, "gone") == [] and await _pending(store, "gone") == []
        assert await _ledger(store) == {"old": "{}"}
        assert await _room(store, "gone") == before
        again = await store.load("gone")  # made again, at the tombstone's epoch
        assert again.epoch == tombstone.epoch != old.epoch
        before = await _room(store, "gone")
    assert _appends(metrics) == (0, 2, 0)
    # The first key recorded sweeps the ledger's old ones, in the same statement.
    done = await store.append(
        [NewUpdate("gone", updates[2], epoch=again.epoch)], batch="kept", fresh=True
    )
    assert done.seqs == {"gone": (1, 1)}
    assert set(await _ledger(store)) == {"kept"}


async def test_a_retry_of_a_committed_key_returns_it_and_stores_nothing_twice(
    store: SqlStore, metrics: Metrics
):
    updates, _ = _edits(3)
    epoch = (await store.load("once")).epoch
    batch = [NewUpdate("once", u, author="ann", epoch=epoch) for u in updates]
    first = await store.append(batch, batch="key-1", fresh=True)
    head = await _room(store, "once")
    retried = await store.append(batch, batch="key-1")  # as after a lost reply
    assert retried == first == Appended([], {"once": (1, len(updates))})
    assert len(await _rows(store, "once")) == len(updates)
    assert await _room(store, "once") == head
    assert _appends(metrics) == (0, 1, 1)  # the retry looked its key up (SQLAlchemy's path)
    # A retry of a key never committed stores the batch.
    stored = await store.append(batch[:1], batch="key-2")
    assert stored.seqs == {"once": (len(updates) + 1, len(updates) + 1)}


async def test_a_retry_waits_for_an_attempt_still_running_and_returns_its_result(
    store: SqlStore,
):
    """The reply of an attempt was lost while its statement still runs on the server (waiting
    for a lock, say): the retry waits for it to end, then finds its key, instead of missing it,
    storing the batch again and colliding with its key. Here another transaction holds the
    room's row and records the key, as the first attempt would, and commits only once the
    retry is seen waiting for the row."""
    updates, _ = _edits(2)
    epoch = (await store.load("slow")).epoch
    batch = [NewUpdate("slow", u, epoch=epoch) for u in updates]
    result = '{"seqs": {"slow": [7, 8]}, "versions": []}'
    async with store.engine.connect() as first:
        await first.execute(text("SELECT name FROM rooms WHERE name = 'slow' FOR UPDATE"))
        await first.execute(
            text("INSERT INTO commit_batches (id, created_at, result) VALUES ('lost', now(), :r)"),
            {"r": result},
        )
        retry = asyncio.create_task(store.append(batch, batch="lost"))
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        async with store.engine.connect() as watcher, asyncio.timeout(10):
            while not retry.done() and not await watcher.scalar(text(waiting)):
                await watcher.commit()  # a transaction reads one snapshot of the statistics
                await asyncio.sleep(0.02)
        await first.commit()
    assert await retry == Appended([], {"slow": (7, 8)})
    assert await _rows(store, "slow") == []


async def test_updates_naming_no_author_nor_session(store: SqlStore):
    updates, expected = _edits(3)
    epoch = (await store.load("plain")).epoch
    appended = await store.append([NewUpdate("plain", u, epoch=epoch) for u in updates])
    assert appended.seqs == {"plain": (1, len(updates))}
    rows = await _rows(store, "plain")
    assert [(r[3], r[4]) for r in rows] == [(None, None)] * len(updates)
    assert await _pending(store, "plain") == [] and await _ledger(store) == {}
    assert _text((await store.read_since("plain", 0)).parts) == expected


async def test_other_batches_take_the_general_path(store: SqlStore, metrics: Metrics):
    """Batches of many rooms, and batches with a version, still append as they did."""
    updates = _edits(2)[0][:2]
    epochs = {room: (await store.load(room)).epoch for room in ("m1", "m2")}
    many = [NewUpdate(room, u, author=room, epoch=epochs[room]) for room in epochs for u in updates]
    appended = await store.append(many, batch="many", fresh=True)
    assert appended.seqs == {"m1": (1, 2), "m2": (1, 2)}
    assert await store.append(many, batch="many") == appended
    assert await _pending(store, "m1") == ["m1"]
    version = NewVersion("m1", b"\x00\x00", "fp", "auto", epoch=epochs["m1"])
    with_version = await store.append(
        [NewUpdate("m1", updates[0], epoch=epochs["m1"]), version], batch="v", fresh=True
    )
    assert with_version.seqs == {"m1": (3, 3)} and len(with_version.versions) == 1
    assert _appends(metrics) == (0, 0, 3)
    await store.delete_room("m2")
    with pytest.raises(WriteFenced):
        await store.append(many, batch="fenced", fresh=True)
    assert (await _room(store, "m1"))[0] == 3


async def test_a_refused_append_writes_nothing_and_the_next_is_numbered_after_the_last(
    postgres_url: str, wire: _Wire, metrics: Metrics
):
    """A refusal (here a constraint's) undoes the whole statement, the room's numbering with it,
    and leaves the connection as it was: the next append is still one round trip."""
    engine = create_engine(_through(postgres_url, wire))
    await migrate.upgrade(engine)
    async with engine.begin() as conn:
        await conn.exec_driver_sql(_POISON)
    store = SqlStore(engine, metrics=metrics)
    try:
        updates, _ = _edits(4)
        epoch = (await store.load("r")).epoch
        for i in (0, 1):
            await store.append([NewUpdate("r", updates[i], author="ann", epoch=epoch)])
        with pytest.raises(WriteRejected, match="refused"):
            await store.append([NewUpdate("r", updates[2], author="poison", epoch=epoch)])
        assert (await _room(store, "r"))[:3] == (2, 2, sum(len(u) for u in updates[:2]))
        wire.clear()
        last = await store.append([NewUpdate("r", updates[3], author="bob", epoch=epoch)])
        assert wire.round_trips == 1
        assert last.seqs == {"r": (3, 3)}
        assert [r[1] for r in await _rows(store, "r")] == [1, 2, 3]
        assert await _pending(store, "r") == ["ann", "bob"]
        assert _appends(metrics) == (0, 4, 0)
    finally:
        await store.close()


async def test_concurrent_appends_are_numbered_without_gaps_or_repeats(
    store: SqlStore, metrics: Metrics
):
    """One append uses the path's connection; those meanwhile take one of the pool's."""
    updates, expected = _edits(12)
    epoch = (await store.load("r")).epoch
    results = await asyncio.gather(
        *(store.append([NewUpdate("r", u, epoch=epoch)]) for u in updates)
    )
    assert sorted(r.seqs["r"][0] for r in results) == list(range(1, len(updates) + 1))
    assert _text((await store.read_since("r", 0)).parts) == expected
    assert _appends(metrics) == (0, len(updates), 0)


async def test_a_connection_the_server_ended_is_replaced(store: SqlStore):
    """The server ends the path's connection (a restart, an administrator): it costs at most
    one failed attempt, which the writer's retry recovers, and the appends after take a new
    connection."""
    updates, _ = _edits(3)
    epoch = (await store.load("r")).epoch
    await store.append([NewUpdate("r", updates[0], epoch=epoch)])
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    async with store.engine.connect() as conn:
        ended = await conn.scalar(text(f"SELECT count(pg_terminate_backend(pid)) {others}"))
        assert ended and ended >= 1
        async with asyncio.timeout(10):  # until the server's processes have ended
            while await conn.scalar(text(f"SELECT count(*) {others}")):
                await conn.commit()  # a transaction reads one snapshot of the statistics
                await asyncio.sleep(0.02)
    # The client may not have read the server's goodbye yet: then this first attempt fails as
    # an outage, and the writer's retry (which looks its key up first) stores it.
    try:
        second = await store.append(
            [NewUpdate("r", updates[1], epoch=epoch)], batch="b2", fresh=True
        )
    except StoreUnavailable:
        second = await store.append([NewUpdate("r", updates[1], epoch=epoch)], batch="b2")
    third = await store.append([NewUpdate("r", updates[2], epoch=epoch)], batch="b3", fresh=True)
    assert (second.seqs, third.seqs) == ({"r": (2, 2)}, {"r": (3, 3)})


async def test_the_statement_writes_the_ledger_text_of_the_general_path():
    """`result_parts` around the sequence numbers make `result_text`'s JSON, whatever the
    room's name (escaped by json.dumps, even one holding what the pair looks like)."""
    for room in ("r", 'q"uote', "[0, 0]", "snow ☃", "back\\slash"):
        done = Appended([], {room: (12, 345)})
        head, middle, tail = result_parts(room)
        assert head + "12" + middle + "345" + tail == result_text(done)
        assert json.loads(result_text(done)) == {"seqs": {room: [12, 345]}, "versions": []}


async def test_closing_the_store_gives_its_connection_back(store: SqlStore):
    updates, _ = _edits(1)
    epoch = (await store.load("r")).epoch
    await store.append([NewUpdate("r", updates[0], epoch=epoch)])
    pool = store.engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedout() == 1  # kept by the one-statement path
    await store.close()
    assert pool.checkedout() == 0
