"""Appends committed on the event loop's thread when SQLite is free and does not sync at each
commit (collab/store/sqlite_inline.py): which path an append takes, the lock held by another
connection (handed to the writer's thread, the loop not blocked), refusals, and the checkpoints
the loop's connection leaves to the thread. Real SQLite files throughout."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Text
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from collab.errors import WriteRejected
from collab.metrics import Metrics
from collab.store import migrate
from collab.store.base import NewUpdate
from collab.store.db import create_engine, sqlite_settings
from collab.store.sql import SqlStore
from collab.store.sqlite_append import connector
from collab.store.sqlite_inline import BUSY, LARGEST, InlineCommits, takes_appends
from collab.store.sqlite_writer import SqliteWriter
from tests.store.test_sql_store import _edits, _text

_WRITER = "collab sqlite writer"
_POISON = (
    "CREATE TRIGGER refuse_poison BEFORE INSERT ON updates "
    "WHEN NEW.author = 'poison' BEGIN SELECT RAISE(ABORT, 'poison refused'); END"
)


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
        # The loop goes on (this test runs on it) while the append waits for the lock.
        assert not waiting.done()
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


async def test_a_refused_append_on_the_loop_is_reported_and_the_next_is_numbered_after_the_last(
    engine: AsyncEngine,
):
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
        assert _paths(metrics)["one_trip"] == 0
    finally:
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
    def transaction(db: sqlite3.Connection) -> tuple[int, int]:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t VALUES (?)", (value,))
        db.commit()
        pragmas = ("busy_timeout", "wal_autocheckpoint")
        busy, automatic = (db.execute(f"PRAGMA {name}").fetchone()[0] for name in pragmas)
        return busy, automatic

    return transaction


async def test_the_loops_connection_waits_for_no_lock_and_leaves_checkpoints_to_the_thread(
    engine: AsyncEngine, tmp_path: Path
):
    connect = await connector(engine)
    setup = connect()
    setup.execute("CREATE TABLE t (v INTEGER)")
    setup.close()
    writer = SqliteWriter(connect)
    inline = InlineCommits(connect, writer, checkpoint_every=3)
    try:
        # Its own connection: no busy wait, and no checkpoint of its own at a commit.
        assert inline.attempt(_insert(1)) == (0, 0)
        assert inline.attempt(_insert(2)) == (0, 0)
        assert inline.last_checkpoint is None
        inline.attempt(_insert(3))  # the third: a checkpoint is handed to the thread
        await inline.wait_checkpoint()
        assert inline.last_checkpoint is not None
        busy, frames, copied = inline.last_checkpoint
        assert busy == 0 and frames > 0 and copied == frames, inline.last_checkpoint
        # Another connection holding the write lock: refused at once, nothing written.
        holder = sqlite3.connect(tmp_path / "collab.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            assert inline.attempt(_insert(4)) is BUSY
        finally:
            holder.execute("COMMIT")
            holder.close()
        assert inline.attempt(_insert(5)) == (0, 0)
        rows = await writer.call(lambda db: db.execute("SELECT v FROM t ORDER BY v").fetchall())
        assert [v for (v,) in rows] == [1, 2, 3, 5]
    finally:
        inline.close()
        await writer.close()


async def test_a_checkpoint_is_handed_over_after_enough_bytes_however_few_appends(
    engine: AsyncEngine,
):
    connect = await connector(engine)
    setup = connect()
    setup.execute("CREATE TABLE t (v INTEGER)")
    setup.close()
    writer = SqliteWriter(connect)
    inline = InlineCommits(connect, writer, checkpoint_every=1000, checkpoint_bytes=100)
    try:
        inline.attempt(_insert(1), size=60)
        assert inline.last_checkpoint is None
        await inline.wait_checkpoint()
        assert inline.last_checkpoint is None, "60 bytes: none due"
        inline.attempt(_insert(2), size=60)  # 120 bytes since the last: one is due
        await inline.wait_checkpoint()
        assert inline.last_checkpoint is not None and inline.last_checkpoint[0] == 0
    finally:
        inline.close()
        await writer.close()


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
