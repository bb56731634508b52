"""SQL for leases on once-per-room work: take or renew, release, and the fence of a final write.

A lease row says which process (`owner`) may do one kind of work on a room until when, by the
database's clock (never a process's, whose clock may differ or whose process may be paused).
Taking is one statement per batch of rooms: insert the row if it is missing, else take it over
if it is the caller's own or has expired, returning the rooms the caller holds. The lease only
saves duplicate work; what makes the work safe is the fence: the transaction of its final write
locks the room row first (as every append and compaction does), then the lease row, and goes on
only if the caller still holds it. A process paused past its lease finds it taken and rolls
back. The lease row is locked in a statement of its own, after the room row: a check inside the
room's UPDATE would, after waiting for that row, still read the lease as its statement first
saw it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, DateTime, Interval, Table, delete, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from collab.store.base import Lease
from collab.store.models import RoomLeaseRow

leases = cast(Table, RoomLeaseRow.__table__)
_CHUNK = 500
# SQLite keeps times as text; this is SQLAlchemy's own layout (microseconds), so the text
# compares in time order and reads back as a datetime.
_SQLITE_LAYOUT = "%Y-%m-%d %H:%M:%f000"


def _postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


def clock(conn: AsyncConnection, plus: float = 0.0) -> ColumnElement[Any]:
    """The database's time now (when the statement runs), `plus` seconds."""
    moment = DateTime(timezone=True)
    if _postgres(conn):
        now = func.clock_timestamp(type_=moment)
        return now + literal(timedelta(seconds=plus), Interval()) if plus else now
    if plus:
        return func.strftime(_SQLITE_LAYOUT, "now", f"{plus:+.6f} seconds", type_=moment)
    return func.strftime(_SQLITE_LAYOUT, "now", type_=moment)


async def take(conn: AsyncConnection, rooms: Sequence[str], lease: Lease, ttl: float) -> set[str]:
    """Take or renew `lease` on each room for `ttl` seconds where it is missing, expired or
    already the owner's; the rooms the owner holds now. Rooms are taken in name order, so two
    processes' batches cannot deadlock."""
    held: set[str] = set()
    names = sorted(set(rooms))
    dialect: Any = postgresql if _postgres(conn) else sqlite
    for start in range(0, len(names), _CHUNK):
        until = clock(conn, ttl)
        rows = [
            {"room": room, "kind": lease.kind, "owner": lease.owner, "until": until}
            for room in names[start : start + _CHUNK]
        ]
        statement = dialect.insert(leases).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[leases.c.room, leases.c.kind],
            set_={"owner": statement.excluded.owner, "until": statement.excluded.until},
            where=or_(leases.c.owner == statement.excluded.owner, leases.c.until < clock(conn)),
        ).returning(leases.c.room)
        held.update(row.room for row in await conn.execute(statement))
    return held


async def release(conn: AsyncConnection, rooms: Sequence[str], lease: Lease) -> None:
    """Give up `lease` on these rooms (those another process holds by now are left alone)."""
    names = sorted(set(rooms))
    for start in range(0, len(names), _CHUNK):
        await conn.execute(
            delete(leases).where(
                leases.c.kind == lease.kind,
                leases.c.owner == lease.owner,
                leases.c.room.in_(names[start : start + _CHUNK]),
            )
        )


async def holds(conn: AsyncConnection, room: str, lease: Lease) -> bool:
    """Whether the owner holds `lease` on the room now. On PostgreSQL the row stays locked
    (shared) until the transaction ends, so nobody takes the lease over before this
    transaction's write commits or rolls back. Call it after locking the room row."""
    found = await conn.scalar(
        select(leases.c.room)
        .where(
            leases.c.room == room,
            leases.c.kind == lease.kind,
            leases.c.owner == lease.owner,
            leases.c.until > clock(conn),
        )
        .with_for_update(read=True)
    )
    return found is not None
