"""Who wrote what (blame, issue 26): for each run of a Yjs client's clocks, the author of the
update that inserted it and when it was stored.

The log rows say it already (each has its update, its author and its time); a compaction folds
them away, so it first records the ranges of the rows it folds in `blame_ranges`, in its own
transaction (`ranges_of`, `record`). Blame then reads the log first and the table second: a
compaction committing between the two reads moves rows into the table, where the second read
finds them (a range read twice is harmless), never out of both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collab.protocol.yupdate import DEFAULT_MAX_DEPTH, UpdateRefused, parse_update
from collab.store.catalog import utc
from collab.store.models import BlameRangeRow, UpdateRow

_ranges = cast(Table, BlameRangeRow.__table__)
_updates = cast(Table, UpdateRow.__table__)
# Contiguous clocks of one client by one author stored this close together are kept as one
# range, dated by the later write: typing a sentence is one range, not one per keystroke.
_JOIN_WITHIN = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Authored:
    """Clocks [start, end) of Yjs client `client`: written by `author` (None: unknown) at `at`."""

    client: int
    start: int
    end: int
    author: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class LogRow:
    """What blame needs of one log row: its update, author and time."""

    data: bytes
    author: str | None
    at: datetime


def ranges_of(rows: Iterable[LogRow], max_depth: int = DEFAULT_MAX_DEPTH) -> list[Authored]:
    """The clock ranges each row's update inserts, with its author and time, in log order;
    contiguous ranges of one client and author written within `_JOIN_WITHIN` joined. A row
    whose update does not parse (it was checked when it arrived) is left out."""
    found: list[Authored] = []
    last: dict[int, int] = {}  # client -> index in `found` of its latest range
    for row in rows:
        try:
            items = parse_update(row.data, max_depth).items
        except UpdateRefused:
            continue
        for item in items:
            end = item.clock + item.length
            spot = last.get(item.client)
            previous = found[spot] if spot is not None else None
            if spot is not None and previous is not None and _joins(previous, item.clock, row):
                found[spot] = Authored(item.client, previous.start, end, row.author, row.at)
                continue
            last[item.client] = len(found)
            found.append(Authored(item.client, item.clock, end, row.author, row.at))
    return found


def _joins(previous: Authored, clock: int, row: LogRow) -> bool:
    return (
        previous.end == clock
        and previous.author == row.author
        and row.at - previous.at <= _JOIN_WITHIN
    )


async def record(conn: AsyncConnection, room: str, ranges: Sequence[Authored]) -> None:
    """Store `ranges` of `room` (inside the compaction's transaction)."""
    rows = [
        {
            "room": room,
            "client": r.client,
            "clock_start": r.start,
            "clock_end": r.end,
            "author": r.author,
            "at": r.at,
        }
        for r in ranges
    ]
    for start in range(0, len(rows), 500):
        await conn.execute(_ranges.insert(), rows[start : start + 500])


async def forget_room(conn: AsyncConnection, room: str) -> None:
    """Delete a room's ranges (inside the transaction that deletes the room)."""
    await conn.execute(delete(_ranges).where(_ranges.c.room == room))


class SqlBlame:
    """Blame's reads: a room's log rows not folded yet, then its recorded ranges."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def sources(self, room: str) -> tuple[list[Authored], list[LogRow]]:
        """The recorded ranges of `room`, oldest first, and its log rows (to be parsed off the
        event loop with `ranges_of`). The log is read first (see the module's docstring)."""
        async with self.engine.connect() as conn:
            log = await conn.execute(
                select(_updates.c.data, _updates.c.author, _updates.c.created_at)
                .where(_updates.c.room == room)
                .order_by(_updates.c.seq)
            )
            rows = [LogRow(r.data, r.author, utc(r.created_at)) for r in log]
            recorded = await conn.execute(
                select(_ranges).where(_ranges.c.room == room).order_by(_ranges.c.id)
            )
            ranges = [_authored(r) for r in recorded]
        return ranges, rows

    async def carry(self, source: str, target: str) -> None:
        """Record in `target` (a copy of `source`, holding its items under the same ids) who
        wrote what in `source`: before the copy's own row, so they keep their authors."""
        ranges = await carried(self, source)
        async with self.engine.begin() as conn:
            await record(conn, target, ranges)


async def carried(store: SqlBlame, source: str) -> list[Authored]:
    """Every range `source` knows, recorded or in its log: what a copy of it records first."""
    recorded, log = await store.sources(source)
    return [*recorded, *await asyncio.to_thread(ranges_of, log)]


def _authored(row: Any) -> Authored:
    return Authored(
        int(row.client), int(row.clock_start), int(row.clock_end), row.author, utc(row.at)
    )
