"""Appending updates to SQLite in one trip to the thread aiosqlite runs SQLite in.

Through SQLAlchemy, an append of updates takes twelve trips to that thread (cursor, execute,
fetch and close for each of its three statements, the commit, the pool's rollback), each a
queue put, a thread wake-up and an event-loop wake-up: most of a commit's time when the
database itself has little to do. Here the same statements, compiled once by SQLAlchemy for the
engine's dialect, run as one function in that thread, in one transaction: one trip, and no
checkout or reset of a pooled connection per append (this keeps one connection for itself).

Only for batches of nothing but updates to rooms that exist (each naming the epoch it was
loaded at): versions, leases and offline tools take `SqlStore`'s SQLAlchemy path.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from collab.errors import WriteFenced, WriteRejected
from collab.store.base import NewUpdate

# sqlite3's errors by which SQLite refuses a write for good; the rest (a locked database, a
# full disk) are outages, retried by the writer.
_REFUSALS = (
    sqlite3.IntegrityError,
    sqlite3.DataError,
    sqlite3.ProgrammingError,
    sqlite3.NotSupportedError,
)
_REFUSED = "the database refused the write"

_UPDATE_COLUMNS = ("room", "seq", "data", "author", "created_at")
_AUTHOR_COLUMNS = ("room", "author")


class _Statement:
    """A statement compiled for one dialect: its SQL, and how to turn named values into its
    positional parameters the way SQLAlchemy would (its type's bind processors)."""

    def __init__(
        self, statement: Update | Insert, dialect: Dialect, columns: Sequence[str] = ()
    ) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns) or None)
        self.sql = compiled.string
        names = compiled.positiontup or []
        processors: list[Callable[[Any], Any] | None] = []
        for name in names:
            kind = compiled.binds[name].type.dialect_impl(dialect)
            processors.append(kind.bind_processor(dialect))
        self._order = list(zip(names, processors, strict=True))

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            values[name] if process is None else process(values[name])
            for name, process in self._order
        )


class OneTripAppend:
    """`SqlStore.append` for batches of updates, on SQLite over aiosqlite. It keeps one of the
    pool's connections for itself (no checkout, and no reset when it goes back, per append);
    one that fails is let go, and the next append takes another."""

    def __init__(
        self, engine: AsyncEngine, advance: Update, insert: Insert, authors: Insert
    ) -> None:
        self._engine = engine
        dialect = engine.dialect
        self._advance = _Statement(advance, dialect)
        self._insert = _Statement(insert, dialect, _UPDATE_COLUMNS)
        self._authors = _Statement(authors, dialect, _AUTHOR_COLUMNS)
        self._held: PoolProxiedConnection | None = None
        self._taking = asyncio.Lock()

    @staticmethod
    def applies(items: Sequence[object]) -> bool:
        """Whether `items` is a batch this path takes: updates only, each naming its epoch."""
        return all(isinstance(item, NewUpdate) and item.epoch is not None for item in items)

    async def append(
        self, updates: Sequence[NewUpdate], now: datetime
    ) -> dict[str, tuple[int, int]] | None:
        """Number and insert the updates in one transaction; per room, the sequence numbers its
        rows got (first, last). None when the connection is not aiosqlite's (the caller takes
        the SQLAlchemy path). Raises WriteFenced for a room deleted since its epoch, and
        WriteRejected when SQLite refuses the write for good; other errors are outages."""
        held = await self._connection()
        run = getattr(held.driver_connection, "_execute", None)
        if run is None:  # pragma: no cover - aiosqlite has always had it
            return None
        try:
            outcome: dict[str, tuple[int, int]] | str = await run(
                self._transaction, held.driver_connection, updates, now
            )
        except _REFUSALS as error:
            raise WriteRejected(_REFUSED) from error
        except BaseException:
            await self._let_go(held, invalidate=True)  # broken, or cancelled mid-way
            raise
        if isinstance(outcome, str):
            raise WriteFenced(f"room {outcome!r} was deleted; the write is refused")
        return outcome

    async def close(self) -> None:
        """Give the connection back to the pool (before the pool is disposed of)."""
        if self._held is not None:
            await self._let_go(self._held, invalidate=False)

    async def _connection(self) -> PoolProxiedConnection:
        async with self._taking:
            if self._held is None:
                self._held = await self._engine.raw_connection()
            return self._held

    async def _let_go(self, held: PoolProxiedConnection, *, invalidate: bool) -> None:
        if self._held is held:
            self._held = None
        with contextlib.suppress(Exception):
            await greenlet_spawn(held.invalidate if invalidate else held.close)

    def _transaction(
        self, driver: Any, updates: Sequence[NewUpdate], now: datetime
    ) -> dict[str, tuple[int, int]] | str:
        """In aiosqlite's thread: the whole append, committed; or the name of a fenced room
        (nothing written)."""
        db: sqlite3.Connection = driver._conn
        per_room: dict[str, list[NewUpdate]] = {}
        for update in updates:
            per_room.setdefault(update.room, []).append(update)
        if db.in_transaction:  # pragma: no cover - nothing else uses this connection
            db.rollback()
        db.execute("BEGIN IMMEDIATE")  # the write lock first: what follows only writes
        try:
            seqs: dict[str, tuple[int, int]] = {}
            for room in sorted(per_room):  # rooms locked in name order, as `roomlog.advance`
                added = per_room[room]
                values: dict[str, Any] = {
                    "b_room": room,
                    "b_epoch": added[-1].epoch,
                    "b_rows": len(added),
                    "b_bytes": sum(len(u.data) for u in added),
                    "b_now": now,
                }
                row = db.execute(self._advance.sql, self._advance.parameters(values)).fetchone()
                if row is None:
                    db.rollback()
                    return room
                last = int(row[0])
                seqs[room] = (last - len(added) + 1, last)
            rows = []
            authors: set[tuple[str, str]] = set()
            next_seq = {room: first for room, (first, _) in seqs.items()}
            for update in updates:  # in the batch's order, as `roomlog.numbered_rows`
                row_values: dict[str, Any] = {
                    "room": update.room,
                    "seq": next_seq[update.room],
                    "data": update.data,
                    "author": update.author,
                    "created_at": now,
                }
                rows.append(self._insert.parameters(row_values))
                next_seq[update.room] += 1
                if update.author:
                    authors.add((update.room, update.author))
            db.executemany(self._insert.sql, rows)
            if authors:
                db.executemany(
                    self._authors.sql,
                    [self._authors.parameters({"room": r, "author": a}) for r, a in authors],
                )
            db.commit()
        except BaseException:
            db.rollback()
            raise
        return seqs
