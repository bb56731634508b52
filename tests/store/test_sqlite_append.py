"""The one-trip append on a SQLite file (collab/store/sqlite_append.py) and the thread it runs
in (collab/store/sqlite_writer.py): the engine's settings, order, errors, refusals, counts in
/metrics, and a close that leaves no thread or connection behind."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from collab.errors import WriteRejected
from collab.metrics import Metrics
from collab.store import migrate
from collab.store.base import NewUpdate
from collab.store.db import SQLITE_PRAGMAS, create_engine, sqlite_settings
from collab.store.sql import SqlStore
from collab.store.sqlite_append import connector
from collab.store.sqlite_writer import DEPTH, SqliteWriter
from tests.store.test_sql_store import _edits, _text

_POISON = (
    "CREATE TRIGGER refuse_poison BEFORE INSERT ON updates "
    "WHEN NEW.author = 'poison' BEGIN SELECT RAISE(ABORT, 'poison refused'); END"
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'collab.db'}", sqlite_synchronous="FULL"
    )
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


_APPENDS = "collab_store_appends_total"
_PATHS = ("event_loop", "one_trip", "one_statement", "sqlalchemy")


def _appends(metrics: Metrics) -> tuple[float | None, ...]:
    """The batches counted on each path: one trip, one statement (PostgreSQL), SQLAlchemy's.
    (The engines here sync at each commit, except `database_url`'s: on the event loop's thread
    is tests/store/test_sqlite_inline.py's.)"""
    return tuple(
        metrics.registry.get_sample_value("collab_store_appends_total", {"path": path})
        for path in ("one_trip", "one_statement", "sqlalchemy")
    )


async def test_its_connection_has_the_settings_of_the_engines(engine: AsyncEngine):
    db = (await connector(engine))()
    try:
        own = {name: db.execute(f"PRAGMA {name}").fetchone()[0] for name in SQLITE_PRAGMAS}
    finally:
        db.close()
    assert own == await sqlite_settings(engine)
    assert own == {
        "journal_mode": "wal",
        "synchronous": 2,
        "busy_timeout": 10000,
        "foreign_keys": 1,
    }


async def test_a_sqlite_file_takes_the_one_trip_path_and_counts_it(database_url: str):
    """Updates naming their epoch take the one-trip append on a SQLite file, and the
    one-statement append on PostgreSQL (collab/store/postgres_append.py); updates naming none
    take SQLAlchemy's path everywhere."""
    engine = create_engine(database_url, sqlite_synchronous="FULL")
    await migrate.upgrade(engine)
    metrics = Metrics()
    store = SqlStore(engine, metrics=metrics)
    try:
        assert _appends(metrics) == (0, 0, 0)
        updates, expected = _edits(3)
        epoch = (await store.load("r")).epoch
        await store.append([NewUpdate("r", u, epoch=epoch) for u in updates[:2]])
        await store.append([NewUpdate("r", u) for u in updates[2:]])
        assert _text((await store.read_since("r", 0)).parts) == expected
    finally:
        await store.close()
    sqlite = engine.dialect.name == "sqlite"
    assert _appends(metrics) == ((1, 0, 1) if sqlite else (0, 1, 1))


async def test_closing_the_store_ends_its_thread_and_closes_its_connection(engine: AsyncEngine):
    before = set(threading.enumerate())
    store = SqlStore(engine)
    epoch = (await store.load("r")).epoch
    await store.append([NewUpdate("r", _edits(1)[0][0], epoch=epoch)])
    started = [t for t in set(threading.enumerate()) - before if t.name == "collab sqlite writer"]
    assert len(started) == 1 and started[0].is_alive()
    await store.close()
    assert not started[0].is_alive()
    # SQLite removes the write-ahead log when the last connection to the file closes.
    wal = await asyncio.to_thread(Path(f"{engine.url.database}-wal").exists)
    assert not wal, "a connection was left open"


@pytest.mark.parametrize(
    ("synchronous", "path"),
    [("FULL", "one_trip"), ("NORMAL", "event_loop")],  # collab/store/sqlite_inline.py
)
async def test_a_refused_append_is_reported_and_the_next_one_is_numbered_after_the_last(
    tmp_path: Path, synchronous: str, path: str
):
    """On either path, and counted there like any other append."""
    engine = create_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'collab.db'}", sqlite_synchronous=synchronous
    )
    await migrate.upgrade(engine)
    async with engine.begin() as conn:
        await conn.execute(text(_POISON))
    metrics = Metrics()
    store = SqlStore(engine, metrics=metrics)
    try:
        updates, _ = _edits(3)
        epoch = (await store.load("r")).epoch
        first = await store.append([NewUpdate("r", updates[0], author="ann", epoch=epoch)])
        with pytest.raises(WriteRejected, match="refused"):
            await store.append([NewUpdate("r", updates[1], author="poison", epoch=epoch)])
        last = await store.append([NewUpdate("r", updates[2], author="bob", epoch=epoch)])
        assert (first.seqs, last.seqs) == ({"r": (1, 1)}, {"r": (2, 2)})
        assert len((await store.read_since("r", 0)).log) == 2
        path_counts = {p: metrics.registry.get_sample_value(_APPENDS, {"path": p}) for p in _PATHS}
        assert path_counts == {p: 3 if p == path else 0 for p in _PATHS}
    finally:
        await store.close()
        await engine.dispose()


async def test_concurrent_appends_are_numbered_without_gaps_or_repeats(engine: AsyncEngine):
    store = SqlStore(engine)
    try:
        updates, expected = _edits(2 * DEPTH)
        epoch = (await store.load("r")).epoch
        results = await asyncio.gather(
            *(store.append([NewUpdate("r", u, epoch=epoch)]) for u in updates)
        )
        assert sorted(r.seqs["r"][0] for r in results) == list(range(1, len(updates) + 1))
        assert _text((await store.read_since("r", 0)).parts) == expected
    finally:
        await store.close()


class _Opened:
    """A connect function that keeps what it opened (usable from any thread, to be probed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.connections: list[sqlite3.Connection] = []

    def __call__(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.connections.append(db)
        return db


def _closed(db: sqlite3.Connection) -> bool:
    try:
        db.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return True
    return False


async def test_the_writer_runs_calls_in_order_on_one_connection_in_its_own_thread(tmp_path: Path):
    opened = _Opened(tmp_path / "w.db")
    writer = SqliteWriter(opened)
    ran: list[int] = []

    def job(index: int, _db: sqlite3.Connection) -> str:
        ran.append(index)
        return threading.current_thread().name

    names = await asyncio.gather(*(writer.call(partial(job, i)) for i in range(DEPTH)))
    assert ran == list(range(DEPTH)) and set(names) == {"collab sqlite writer"}
    assert len(opened.connections) == 1
    more = await asyncio.gather(*(writer.call(partial(job, i)) for i in range(3 * DEPTH)))
    assert len(more) == 3 * DEPTH, "callers past the queue's depth wait their turn"
    assert sorted(ran[DEPTH:]) == list(range(3 * DEPTH))
    await writer.close()
    assert not writer.running and _closed(opened.connections[0])


async def test_after_an_error_the_writer_opens_a_new_connection(tmp_path: Path):
    opened = _Opened(tmp_path / "w.db")
    writer = SqliteWriter(opened)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await writer.call(lambda db: db.execute("SELECT * FROM missing"))
    assert len(opened.connections) == 1 and _closed(opened.connections[0])
    assert await writer.call(lambda db: db.execute("SELECT 2").fetchone()[0]) == 2
    assert len(opened.connections) == 2
    await writer.close()
    assert _closed(opened.connections[1])


async def test_a_cancelled_call_still_runs_and_the_writer_carries_on(tmp_path: Path):
    writer = SqliteWriter(_Opened(tmp_path / "w.db"))
    loop = asyncio.get_running_loop()
    busy, release = asyncio.Event(), threading.Event()
    ran: list[str] = []

    def hold(_db: sqlite3.Connection) -> None:
        loop.call_soon_threadsafe(busy.set)
        release.wait(10)

    first = asyncio.create_task(writer.call(hold))
    async with asyncio.timeout(5):
        await busy.wait()
    second = asyncio.create_task(writer.call(lambda _db: ran.append("second")))
    await asyncio.sleep(0)  # one turn of the loop: the call is queued behind `hold`
    second.cancel()
    release.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await second
    assert await writer.call(lambda _db: list(ran)) == ["second"]
    await writer.close()


async def test_calls_waiting_for_their_turn_when_the_writer_closes_still_run(tmp_path: Path):
    writer = SqliteWriter(_Opened(tmp_path / "w.db"))
    loop = asyncio.get_running_loop()
    busy, release = asyncio.Event(), threading.Event()

    def hold(_db: sqlite3.Connection) -> int:
        loop.call_soon_threadsafe(busy.set)
        release.wait(10)
        return 0

    first = asyncio.create_task(writer.call(hold))
    async with asyncio.timeout(5):
        await busy.wait()
    # DEPTH - 1 more calls fill the queue; the last one waits for a slot.
    rest = [asyncio.create_task(writer.call(lambda _db: 1)) for _ in range(DEPTH)]
    await asyncio.sleep(0)  # one turn of the loop: each call is queued or waiting for a slot
    closing = asyncio.create_task(writer.close())
    await asyncio.sleep(0)
    release.set()
    async with asyncio.timeout(5):
        assert await asyncio.gather(first, *rest, closing) == [0, *[1] * DEPTH, None]
    await writer.close()  # the last call started the writer again
    assert not writer.running


async def test_a_call_after_close_starts_the_writer_again(tmp_path: Path):
    opened = _Opened(tmp_path / "w.db")
    writer = SqliteWriter(opened)
    await writer.close()  # never started: nothing to do
    assert await writer.call(lambda _db: 1) == 1
    await writer.close()
    assert await writer.call(lambda _db: 2) == 2 and writer.running
    await writer.close()
    assert not writer.running and len(opened.connections) == 2
    assert all(_closed(db) for db in opened.connections)
