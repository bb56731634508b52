"""Appending updates to SQLite in one trip to a thread of collab's own.

Through SQLAlchemy and aiosqlite, an append of updates takes twelve trips to aiosqlite's thread
(cursor, execute, fetch and close for each of its three statements, the commit, the pool's
rollback), each a queue put, a thread wake-up and an event-loop wake-up: most of a commit's
time when the database itself has little to do. Here the same statements, compiled once by
SQLAlchemy for the engine's dialect, run as one function in one transaction on a
`SqliteWriter` (collab/store/sqlite_writer.py): a thread owning one sqlite3 connection of the
standard library to the same file, with the settings of the engine's connections. One trip,
and no checkout or reset of a pooled connection per append; no private name of aiosqlite or
SQLAlchemy.

Only for batches of nothing but updates to rooms that exist (each naming the epoch it was
loaded at): versions, leases and offline tools take `SqlStore`'s SQLAlchemy path.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Insert, Update
from sqlalchemy.ext.asyncio import AsyncEngine

from collab.errors import WriteFenced, WriteRejected
from collab.store import roomlog
from collab.store.base import NewUpdate
from collab.store.compiled import CompiledStatement
from collab.store.db import sqlite_settings
from collab.store.sqlite_inline import BUSY, Busy, InlineCommits, loop_settings, takes_appends
from collab.store.sqlite_writer import Connect, SqliteWriter

# sqlite3's errors by which SQLite refuses a write for good; the rest (a locked database, a
# full disk) are outages, retried by the writer.
_REFUSALS = (
    sqlite3.IntegrityError,
    sqlite3.DataError,
    sqlite3.ProgrammingError,
    sqlite3.NotSupportedError,
)
_REFUSED = "the database refused the write"
_Outcome = dict[str, tuple[int, int]] | str

_UPDATE_COLUMNS = ("room", "seq", "data", "author", "agent_session", "created_at")
_AUTHOR_COLUMNS = ("room", "author")


class OneTripAppend:
    """`SqlStore.append` for batches of updates, on a SQLite file: each batch one function on
    a `SqliteWriter` of its own, started by the first append and ended by `close`."""

    def __init__(
        self,
        engine: AsyncEngine,
        advance: Update,
        insert: Insert,
        authors: Insert,
        *,
        count: Callable[[str], None] = lambda path: None,
    ) -> None:
        self._engine = engine
        dialect = engine.dialect
        self._advance = CompiledStatement(advance, dialect)
        self._insert = CompiledStatement(insert, dialect, _UPDATE_COLUMNS)
        self._authors = CompiledStatement(authors, dialect, _AUTHOR_COLUMNS)
        self._count = count
        self._writer: SqliteWriter | None = None
        self._inline: InlineCommits | None = None
        self._starting = asyncio.Lock()

    @staticmethod
    def applies(items: Sequence[object]) -> bool:
        """Whether `items` is a batch this path takes: updates only, each naming its epoch."""
        return all(isinstance(item, NewUpdate) and item.epoch is not None for item in items)

    async def append(
        self, updates: Sequence[NewUpdate], now: datetime
    ) -> dict[str, tuple[int, int]]:
        """Number and insert the updates in one transaction; per room, the sequence numbers its
        rows got (first, last). Raises WriteFenced for a room deleted since its epoch, and
        WriteRejected when SQLite refuses the write for good; other errors are outages."""
        writer = self._writer or await self._start()
        transaction = partial(self._transaction, updates=updates, now=now)
        try:
            outcome = self._on_loop(transaction, sum(len(update.data) for update in updates))
            if isinstance(outcome, Busy):
                self._count("one_trip")
                outcome = await writer.call(transaction)
        except _REFUSALS as error:
            raise WriteRejected(_REFUSED) from error
        if isinstance(outcome, str):
            raise WriteFenced(f"room {outcome!r} was deleted; the write is refused")
        return outcome

    def _on_loop(
        self, transaction: Callable[[sqlite3.Connection], _Outcome], size: int
    ) -> _Outcome | Busy:
        """The append committed on the loop's thread, or BUSY for the writer's thread; counted
        as the loop's unless BUSY (refused or failed included, as the thread's are)."""
        if self._inline is None:
            return BUSY
        try:
            outcome = self._inline.attempt(transaction, size=size)
        except BaseException:
            self._count("event_loop")
            raise
        if not isinstance(outcome, Busy):
            self._count("event_loop")
        return outcome

    async def close(self) -> None:
        """Let the appends under way finish, then close the connections and end the thread."""
        if self._inline is not None:
            await self._inline.wait_checkpoint()
            self._inline.close()
            self._inline = None
        if self._writer is not None:
            await self._writer.close()

    async def _start(self) -> SqliteWriter:
        """The writer, its connection made as the engine's are (same file, same settings);
        and, unless the database syncs at every commit, the loop's own connection for the
        appends that find SQLite free (collab/store/sqlite_inline.py)."""
        async with self._starting:
            if self._writer is None:
                settings = await sqlite_settings(self._engine)
                self._writer = SqliteWriter(await connector(self._engine, settings))
                if takes_appends(settings):
                    on_loop = await connector(self._engine, loop_settings(settings), lock_wait=0)
                    self._inline = InlineCommits(on_loop, self._writer)
            return self._writer

    def _transaction(
        self, db: sqlite3.Connection, *, updates: Sequence[NewUpdate], now: datetime
    ) -> dict[str, tuple[int, int]] | str:
        """In the writer's thread: the whole append, committed; or the name of a fenced room
        (nothing written)."""
        if db.in_transaction:  # pragma: no cover - nothing else uses this connection
            db.rollback()  # never join a transaction: this append is the whole of its own
        db.execute("BEGIN IMMEDIATE")  # the write lock first: what follows only writes
        try:
            seqs = self._number(db, updates, now)
            if isinstance(seqs, str):
                db.rollback()
                return seqs
            self._insert_rows(db, updates, seqs, now)
            db.commit()
        except BaseException:
            db.rollback()
            raise
        return seqs

    def _number(
        self, db: sqlite3.Connection, updates: Sequence[NewUpdate], now: datetime
    ) -> dict[str, tuple[int, int]] | str:
        """Lock each room's row in name order (as `roomlog.advance`), fenced by its epoch, and
        give its new rows their sequence numbers; or the name of the first fenced room."""
        per_room: dict[str, list[NewUpdate]] = {}
        for update in updates:
            per_room.setdefault(update.room, []).append(update)
        seqs: dict[str, tuple[int, int]] = {}
        for room in sorted(per_room):
            added = per_room[room]
            values = roomlog.advance_values(room, added, now, added[-1].epoch)
            row = db.execute(self._advance.sql, self._advance.parameters(values)).fetchone()
            if row is None:
                return room
            last = int(row[0])
            seqs[room] = (last - len(added) + 1, last)
        return seqs

    def _insert_rows(
        self,
        db: sqlite3.Connection,
        updates: Sequence[NewUpdate],
        seqs: dict[str, tuple[int, int]],
        now: datetime,
    ) -> None:
        """The log rows, numbered in the batch's order, and the rooms' pending authors."""
        rows = roomlog.numbered_rows(updates, seqs, now)
        db.executemany(self._insert.sql, [self._insert.parameters(row) for row in rows])
        authors = {(u.room, u.author) for u in updates if u.author}
        if authors:
            db.executemany(
                self._authors.sql,
                [self._authors.parameters({"room": r, "author": a}) for r, a in authors],
            )


async def connector(
    engine: AsyncEngine,
    settings: dict[str, object] | None = None,
    *,
    lock_wait: float | None = None,
) -> Connect:
    """A function that opens a sqlite3 connection to the engine's file, as the engine's
    dialect would (`create_connect_args`), with the settings of the engine's connections (read
    from one unless given, applied in their order); in autocommit mode, as each append says
    BEGIN and COMMIT itself. `lock_wait`: the seconds opening it may wait for a lock (sqlite3's
    own default unless given)."""
    if settings is None:
        settings = await sqlite_settings(engine)
    args, options = engine.dialect.create_connect_args(engine.url)
    options = {**options, "isolation_level": None, "check_same_thread": True}
    if lock_wait is not None:
        options["timeout"] = lock_wait
    return partial(_connect, args, options, settings)


def _connect(
    args: Sequence[Any], options: dict[str, Any], settings: dict[str, object]
) -> sqlite3.Connection:
    """A connection with these settings, usable in the thread that opens it only."""
    db: sqlite3.Connection = sqlite3.connect(*args, **options)
    for name, value in settings.items():
        db.execute(f"PRAGMA {name}={value}")
    return db
