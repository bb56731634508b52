"""Appends committed on the event loop's thread when SQLite is free and does not sync at each
commit (collab/store/sqlite_inline.py): which path an append takes, the lock held by another
connection (handed to the writer's thread, the loop not blocked), refusals, and the checkpoints
the loop's connection leaves to the thread. Real SQLite files throughout."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Text
from sqlalchemy.ext.asyncio import AsyncEngine

from collab.metrics import Metrics
from collab.store import migrate
from collab.store.base import NewUpdate
from collab.store.db import create_engine, sqlite_settings
from collab.store.sql import SqlStore
from collab.store.sqlite_append import connector
from collab.store.sqlite_inline import (
    BUSY,
    LARGEST,
    InlineCommits,
    loop_settings,
    takes_appends,
)
from collab.store.sqlite_writer import SqliteWriter
from tests.store.test_sql_store import _edits, _text

_WRITER = "collab sqlite writer"


async def _engine(path: Path, synchronous: str) -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{path}", sqlite_synchronous=synchronous)
    await migrate.upgrade(engine)
    return engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """collab's default: write-ahead log, synchronous NORMAL."""
    engine = await _engine(tmp_path / "collab.db", "NORMAL")
    yield engine
    await engine.dispose()


def _paths(metrics: Metrics) -> dict[str, float | None]:
    return {
        path: metrics.registry.get_sample_value("collab_store_appends_total", {"path": path})
        for path in ("event_loop", "one_trip")
    }


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == _WRITER]


async def test_an_append_to_a_free_database_commits_on_the_loop_without_a_thread(
    engine: AsyncEngine,
):
    before = _writer_threads()
    metrics = Metrics()
    store = SqlStore(engine, metrics=metrics)
    try:
        updates, expected = _edits(5)
        epoch = (await store.load("r")).epoch
        for update in updates:
            await store.append([NewUpdate("r", update, epoch=epoch)])
        assert _paths(metrics) == {"event_loop": len(updates), "one_trip": 0}
        assert _writer_threads() == before, "no thread was needed"
        assert _text((await store.read_since("r", 0)).parts) == expected
    finally:
        await store.close()
    # Every connection closed: SQLite removes the log when the last one to the file closes.
    assert not await asyncio.to_thread(Path(f"{engine.url.database}-wal").exists)


async def test_an_append_finding_the_lock_taken_waits_for_it_in_the_thread(
    engine: AsyncEngine, tmp_path: Path
):
    metrics = Metrics()
    store = SqlStore(engine, metrics=metrics)
    holder = sqlite3.connect(tmp_path / "collab.db", isolation_level=None)
    try:
        updates, expected = _edits(3)
        epoch = (await store.load("r")).epoch
        await store.append([NewUpdate("r", updates[0], epoch=epoch)])
        holder.execute("BEGIN IMMEDIATE")  # another connection takes SQLite's write lock
        waiting = asyncio.create_task(store.append([NewUpdate("r", updates[1], epoch=epoch)]))
        while _paths(metrics)["one_trip"] == 0:  # counted as it is handed to the thread
            assert not waiting.done(), waiting
            await asyncio.sleep(0)
        # The loop goes on (this test runs on it) while the append waits for the lock, in the
        # thread: the loop's connection waits for no lock (its busy timeout is 0, checked
        # below), so it handed the append over at once.
        assert not waiting.done()
        assert _writer_threads()
        holder.execute("COMMIT")
        assert (await waiting).seqs == {"r": (2, 2)}
        # The lock is free again: the next appends are the loop's.
        for seq, update in enumerate(updates[2:], start=3):
            last = await store.append([NewUpdate("r", update, epoch=epoch)])
            assert last.seqs == {"r": (seq, seq)}
        assert _paths(metrics) == {"event_loop": len(updates) - 1, "one_trip": 1}
        assert _text((await store.read_since("r", 0)).parts) == expected
    finally:
        holder.close()
        await store.close()


@pytest.mark.parametrize("synchronous", ["FULL", "EXTRA"])
async def test_a_database_synced_at_every_commit_keeps_its_appends_in_the_thread(
    tmp_path: Path, synchronous: str
):
    engine = await _engine(tmp_path / "synced.db", synchronous)
    metrics = Metrics()
    store = SqlStore(engine, metrics=metrics)
    try:
        assert not takes_appends(await sqlite_settings(engine))
        updates, expected = _edits(2)
        epoch = (await store.load("r")).epoch
        for update in updates:
            await store.append([NewUpdate("r", update, epoch=epoch)])
        assert _paths(metrics) == {"event_loop": 0, "one_trip": len(updates)}
        assert _text((await store.read_since("r", 0)).parts) == expected
    finally:
        await store.close()
        await engine.dispose()


def _insert(value: int) -> Callable[[sqlite3.Connection], tuple[int, int]]:
    """A transaction as an append's: it begins, and commits or rolls back, itself."""

    def transaction(db: sqlite3.Connection) -> tuple[int, int]:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT INTO t VALUES (?)", (value,))
            db.commit()
        except BaseException:
            db.rollback()
            raise
        pragmas = ("busy_timeout", "wal_autocheckpoint")
        busy, automatic = (db.execute(f"PRAGMA {name}").fetchone()[0] for name in pragmas)
        return busy, automatic

    return transaction


class _Counted:
    """A connect function that counts the connections it opened."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self.connect = connect
        self.opened = 0

    def __call__(self) -> sqlite3.Connection:
        self.opened += 1
        return self.connect()


async def _table(engine: AsyncEngine) -> tuple[SqliteWriter, _Counted]:
    """A table t on the engine's file; the writer's thread and the loop's connect function."""
    settings = await sqlite_settings(engine)
    connect = await connector(engine, settings)
    setup = connect()
    setup.execute("CREATE TABLE t (v INTEGER CHECK (v >= 0))")
    setup.close()
    return SqliteWriter(connect), _Counted(
        await connector(engine, loop_settings(settings), lock_wait=0)
    )


@contextlib.asynccontextmanager
async def _on_loop(
    engine: AsyncEngine, **limits: int
) -> AsyncIterator[tuple[InlineCommits, SqliteWriter, _Counted]]:
    """The loop's commits on a table t (`_table`), closed after use."""
    writer, connect = await _table(engine)
    inline = InlineCommits(connect, writer, **limits)
    try:
        yield inline, writer, connect
    finally:
        inline.close()
        await writer.close()


async def _values(writer: SqliteWriter) -> list[int]:
    rows = await writer.call(lambda db: db.execute("SELECT v FROM t ORDER BY v").fetchall())
    return [v for (v,) in rows]


def test_the_loops_connection_waits_for_no_lock_from_its_first_setting_and_never_checkpoints():
    engines = {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 10000, "foreign_keys": 1}
    own = loop_settings(engines)
    assert list(own.items()) == [
        ("busy_timeout", 0),
        ("synchronous", 1),
        ("foreign_keys", 1),
        ("wal_autocheckpoint", 0),
    ]
    assert takes_appends(engines) and takes_appends({**engines, "synchronous": 0})
    assert not takes_appends({**engines, "synchronous": 2})
    assert not takes_appends({**engines, "journal_mode": "delete"})


async def test_the_loops_connection_leaves_locks_checkpoints_and_the_logs_restart_to_the_thread(
    engine: AsyncEngine, tmp_path: Path
):
    async with _on_loop(engine, checkpoint_every=3) as (inline, writer, connect):
        # Its own connection: no busy wait, and no checkpoint of its own at a commit.
        assert inline.attempt(_insert(1)) == (0, 0)
        assert inline.attempt(_insert(2)) == (0, 0)
        assert inline.last_checkpoint is None
        inline.attempt(_insert(3))  # the third: a checkpoint is handed to the thread
        # While it is under way (its task has not even started), appends are the thread's.
        assert inline.attempt(_insert(4)) is BUSY
        await writer.call(_insert(4))
        await inline.wait_checkpoint()
        assert inline.last_checkpoint is not None
        busy, frames, copied = inline.last_checkpoint
        assert busy == 0 and frames > 0 and copied == frames, inline.last_checkpoint
        # The whole log was copied: the next commit starts it over and syncs its header, so
        # it is the thread's; the one after is the loop's again.
        assert inline.attempt(_insert(5)) is BUSY
        await writer.call(_insert(5))
        assert inline.attempt(_insert(6)) == (0, 0)
        # Another connection holding the write lock: BUSY at once, nothing written.
        holder = sqlite3.connect(tmp_path / "collab.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            assert inline.attempt(_insert(7)) is BUSY
        finally:
            holder.execute("COMMIT")
            holder.close()
        assert inline.attempt(_insert(8)) == (0, 0)
        assert await _values(writer) == [1, 2, 3, 4, 5, 6, 8]
        assert connect.opened == 1


async def test_a_refusal_on_the_loop_keeps_its_connection_and_another_error_closes_it(
    engine: AsyncEngine,
):
    def broken(db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT INTO missing VALUES (1)")
        finally:
            db.rollback()

    async with _on_loop(engine) as (inline, writer, connect):
        inline.attempt(_insert(1))
        with pytest.raises(sqlite3.IntegrityError):
            inline.attempt(_insert(-1))  # refused by the table's CHECK, rolled back
        inline.attempt(_insert(2))
        assert connect.opened == 1
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            inline.attempt(broken)
        inline.attempt(_insert(3))
        assert connect.opened == 2, "after an error that is not a refusal, a new connection"
        assert await _values(writer) == [1, 2, 3]


async def test_a_checkpoint_is_handed_over_after_enough_bytes_however_few_appends(
    engine: AsyncEngine,
):
    limits = {"checkpoint_every": 1000, "checkpoint_bytes": 100}
    async with _on_loop(engine, **limits) as (inline, _, _):
        inline.attempt(_insert(1), size=60)
        await inline.wait_checkpoint()
        assert inline.last_checkpoint is None, "60 bytes: none due"
        inline.attempt(_insert(2), size=60)  # 120 bytes since the last: one is due
        await inline.wait_checkpoint()
        assert inline.last_checkpoint is not None and inline.last_checkpoint[0] == 0


async def test_an_append_of_more_than_a_mebibyte_is_written_by_the_thread(engine: AsyncEngine):
    metrics = Metrics()
    store = SqlStore(engine, metrics=metrics)
    try:
        doc: Doc[Any] = Doc(client_id=3)
        text_ = doc.get("content", type=Text)
        updates: list[bytes] = []
        doc.observe(lambda event: updates.append(event.update))
        text_.insert(0, "small")
        text_.insert(5, "x" * (LARGEST + 1))
        epoch = (await store.load("r")).epoch
        await store.append([NewUpdate("r", updates[0], epoch=epoch)])
        await store.append([NewUpdate("r", updates[1], epoch=epoch)])
        assert len(updates[1]) > LARGEST
        assert _paths(metrics) == {"event_loop": 1, "one_trip": 1}
        assert _text((await store.read_since("r", 0)).parts) == str(text_)
    finally:
        await store.close()
