"""Appending updates to PostgreSQL in one statement, one round trip.

Through SQLAlchemy's general path an append of updates is a conversation: the pool's pre-ping
on checkout (BEGIN, an empty query, ROLLBACK on asyncpg), BEGIN, the fenced `UPDATE rooms ...
RETURNING seq` that numbers the rows, the INSERT of the rows, the INSERT of the room's pending
authors, the INSERT of the batch's key in the ledger (collab/store/batches.py) and COMMIT: each
a round trip to the server, most of a commit's time when the database itself has little to do.

Here the same writes are one statement, its parts data-modifying CTEs: the fenced UPDATE
(`roomlog.ADVANCE_FENCED` itself), and INSERTs of the rows, the pending authors and the ledger's
row that each select from its RETURNING, so that a fenced room (no row returned) writes nothing
at all. A single statement is atomic in PostgreSQL, so it runs in autocommit: no BEGIN, no
COMMIT. It is compiled once by SQLAlchemy for the engine's dialect and run on a connection this
path keeps (no checkout, so no pre-ping, per append). On that connection asyncpg prepares each
of the statement's forms the first time (a round trip; the first also has asyncpg look up the
bytea[] and varchar[] types, once per connection), and from then on an append is one
Bind/Execute/Sync exchange. A connection found closed (the server restarted, say) is let go
before it is used, and one that failed is let go after: the next append takes a new one from
the engine's pool. The kept connection is one of the pool's (5 by default, and 10 more on
demand) for as long as the store is open. No private name of asyncpg or SQLAlchemy.

Only for the common batch: updates to one room, each naming the epoch it was loaded at, and,
when the batch has a key, its first attempt (a retry looks its key up first). A batch of many
rooms is not: one of them fenced, the others' writes would have to be undone, which takes a
transaction. Those, versions, offline tools and retries take `SqlStore`'s SQLAlchemy path.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    LargeBinary,
    Select,
    String,
    Text,
    bindparam,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collab.errors import WriteFenced
from collab.store import roomlog, versions
from collab.store.base import NewUpdate
from collab.store.batches import BatchLedger, batches, result_parts, swept_before
from collab.store.compiled import CompiledStatement

_ROOM = bindparam("b_room", type_=String)
_NOW = bindparam("b_now", type_=DateTime(timezone=True))
_ROWS = bindparam("b_rows", type_=BigInteger)  # ADVANCE_FENCED's, its count of new rows


def _statement(ledger: bool, sweep: bool) -> Select[Any]:
    """The append as one statement: its result is the room's last sequence number, or no row
    when the room is fenced (deleted, or loaded at another epoch), and then nothing is written.
    With `ledger`, the batch's key is recorded with its result (`BatchLedger.record`'s text);
    with `sweep` too, the ledger's old keys are deleted."""
    advanced = roomlog.ADVANCE_FENCED.cte("advanced")
    batch = (
        func.unnest(
            bindparam("b_datas", type_=postgresql.ARRAY(LargeBinary)),
            bindparam("b_authors", type_=postgresql.ARRAY(String)),
            bindparam("b_sessions", type_=postgresql.ARRAY(String)),
        )
        .table_valued(
            column("data", LargeBinary),
            column("author", String),
            column("agent_session", String),
            with_ordinality="ord",
        )
        .render_derived("batch")
    )
    updates = roomlog.updates
    rows = (
        select(
            _ROOM,
            advanced.c.seq - _ROWS + batch.c.ord,
            batch.c.data,
            batch.c.author,
            batch.c.agent_session,
            _NOW,
        )
        .select_from(advanced)
        .join(batch, true())
        .order_by(batch.c.ord)  # ids in the batch's order, as the general path's rows get them
    )
    logged = insert(updates).from_select(
        ["room", "seq", "data", "author", "agent_session", "created_at"], rows
    )
    pending = select(
        _ROOM, func.unnest(bindparam("b_pending", type_=postgresql.ARRAY(String)))
    ).select_from(advanced)
    authors = (
        postgresql.insert(versions.authors_table)
        .from_select(["room", "author"], pending)
        .on_conflict_do_nothing()
    )
    parts = [logged.cte("logged"), authors.cte("authors")]
    if ledger:
        text = (
            bindparam("b_head", type_=Text)
            + cast(advanced.c.seq - _ROWS + literal_column("1"), Text)
            + bindparam("b_middle", type_=Text)
            + cast(advanced.c.seq, Text)
            + bindparam("b_tail", type_=Text)
        )
        recorded = insert(batches).from_select(
            ["id", "created_at", "result"],
            select(bindparam("b_key", type_=String), _NOW, text).select_from(advanced),
        )
        parts.append(recorded.cte("recorded"))
    if sweep:
        swept = delete(batches).where(
            batches.c.created_at < bindparam("b_swept_before", type_=DateTime(timezone=True)),
            exists(select(advanced.c.seq)),
        )
        parts.append(swept.cte("swept"))
    return select(advanced.c.seq).add_cte(*parts)


class OneStatementAppend:
    """`SqlStore.append` for batches of updates to one room, on PostgreSQL: each batch one
    statement in autocommit, on a connection of this path's own (taken from the engine's pool
    by the first append, given back by `close`)."""

    def __init__(self, engine: AsyncEngine, ledger: BatchLedger) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._ledger = ledger
        self._statements: dict[tuple[bool, bool], CompiledStatement] = {}
        self._kept: AsyncConnection | None = None
        self._using = asyncio.Lock()
        self._closed = False

    @staticmethod
    def applies(items: Sequence[object], key: str | None, fresh: bool) -> bool:
        """Whether `items` is a batch this path takes: updates to one room, each naming its
        epoch; with a key, only on its first attempt (`fresh`)."""
        if key is not None and not fresh:
            return False
        rooms = set()
        for item in items:
            if not isinstance(item, NewUpdate) or item.epoch is None:
                return False
            rooms.add(item.room)
        return len(rooms) == 1

    async def append(
        self, updates: Sequence[NewUpdate], now: datetime, key: str | None
    ) -> tuple[int, int]:
        """Number and insert the updates, record their pending authors and (with `key`) the
        batch in the ledger, in one statement; the sequence numbers the rows got (first,
        last). Raises WriteFenced if the room was deleted since its epoch; the database's
        errors are raised as they are (`SqlStore.append` sorts refusals from outages)."""
        room = updates[0].room
        sweep = key is not None and self._ledger.sweeps_next()
        statement = self._compiled(key is not None, sweep)
        values = roomlog.advance_values(room, updates, now, updates[-1].epoch)
        values |= {
            "b_datas": [u.data for u in updates],
            "b_authors": [u.author for u in updates],
            "b_sessions": [u.session for u in updates],
            "b_pending": sorted({u.author for u in updates if u.author}),
        }
        if key is not None:
            head, middle, tail = result_parts(room)
            values |= {"b_key": key, "b_head": head, "b_middle": middle, "b_tail": tail}
        if sweep:
            values["b_swept_before"] = swept_before(now)
        last = await self._run(statement, statement.parameters(values))
        if last is None:
            raise WriteFenced(f"room {room!r} was deleted; the write is refused")
        if key is not None:
            self._ledger.counted()
        return last - len(updates) + 1, last

    async def close(self) -> None:
        """Wait for the append under way, then give the connection back to the pool."""
        self._closed = True  # appends after this take the pool's connections
        async with self._using:
            conn, self._kept = self._kept, None
            if conn is not None:
                await conn.close()

    def _compiled(self, ledger: bool, sweep: bool) -> CompiledStatement:
        found = self._statements.get((ledger, sweep))
        if found is None:
            found = CompiledStatement(_statement(ledger, sweep), self._engine.dialect)
            self._statements[(ledger, sweep)] = found
        return found

    async def _run(self, statement: CompiledStatement, parameters: tuple[Any, ...]) -> int | None:
        """The statement's one value, on this path's connection; on one of the pool's if
        another append is using that one (a checkout, a pre-ping, then the statement)."""
        if self._using.locked() or self._closed:
            async with self._engine.connect() as conn:
                return await _last_seq(conn, statement, parameters)
        async with self._using:
            conn = await self._connection()
            try:
                return await _last_seq(conn, statement, parameters)
            except DBAPIError:
                if conn.invalidated:  # lost: the next append takes a new connection
                    self._kept = None
                    await _discard(conn)
                else:  # the server answered (a refusal, a lock timeout): the statement was
                    await conn.rollback()  # undone; autocommit: nothing is sent
                raise
            except BaseException:
                # Cancelled mid-way, or failed on the way to the server: the connection may be
                # half-way through an exchange. Let it go; the next append takes a new one.
                self._kept = None
                await _discard(conn)
                raise

    async def _connection(self) -> AsyncConnection:
        """This path's connection: a new one from the pool (pinged on checkout) if there is none
        yet or the one kept was closed meanwhile (the server restarted or ended the session)."""
        conn = self._kept
        if conn is not None and not conn.invalidated:
            driver = (await conn.get_raw_connection()).driver_connection
            if driver is not None and not driver.is_closed():
                return conn
        self._kept = None
        if conn is not None:
            await _discard(conn)
        self._kept = conn = await self._engine.connect()
        return conn


async def _last_seq(
    conn: AsyncConnection, statement: CompiledStatement, parameters: tuple[Any, ...]
) -> int | None:
    result = await conn.exec_driver_sql(statement.sql, parameters)
    last = result.scalar()
    await conn.commit()  # ends SQLAlchemy's transaction; autocommit: nothing is sent
    return None if last is None else int(last)


async def _discard(conn: AsyncConnection) -> None:
    """Close the connection for good (not back into the pool as it is). It is being thrown
    away after a failure, which is what its caller reports: a failure to close it is not."""
    with contextlib.suppress(Exception):
        if not conn.invalidated:
            await conn.invalidate()
        await conn.close()
