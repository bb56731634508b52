"""SQL for the webhook outbox: each room's mark, and the events waiting for delivery.

Events are made from committed state, never from memory alone: a room's mark says how far its
log, deletes and versions are announced, and announcing locks the mark, reads what was
committed past it, queues the events and moves the mark, in one transaction. Whoever announces
(the process that committed, or the one catching up after a crash) announces each change once.
The update path never writes here.

Events wait in `webhook_events`, one row per URL, and are delivered in `id` order per room and
URL. A delivery first claims its row (counts the attempt), so an event is never changed once a
request may have carried it: a new document.changed merges only into one not yet attempted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from collab.store import roomlog
from collab.store.catalog import utc
from collab.store.models import UpdateRow, VersionRow, WebhookEventRow, WebhookMarkRow
from collab.store.versions import info_from_row
from collab.webhooks.events import CHANGED, Committed, Event, Mark, merge_changed

marks = cast(Table, WebhookMarkRow.__table__)
events = cast(Table, WebhookEventRow.__table__)
_updates = cast(Table, UpdateRow.__table__)
_versions = cast(Table, VersionRow.__table__)
_rooms = roomlog.rooms
# The mark that says the outbox began (no room has this name).
BEGUN = "*"
_CHUNK = 500


def _dialect(conn: AsyncConnection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


async def begin(conn: AsyncConnection) -> int:
    """Mark every stored room where it stands, once per database (the first time webhooks
    run on it); how many rooms were marked."""
    row = {"room": BEGUN, "seq": 0, "epoch": 0, "version_id": 0}
    began = await conn.execute(_dialect(conn).insert(marks).values(row).on_conflict_do_nothing())
    if began.rowcount != 1:
        return 0
    last_version = (
        select(func.coalesce(func.max(_versions.c.id), 0))
        .where(_versions.c.room == _rooms.c.name)
        .scalar_subquery()
    )
    unmarked = ~select(marks.c.room).where(marks.c.room == _rooms.c.name).exists()
    query = select(_rooms.c.name, _rooms.c.seq, _rooms.c.epoch, last_version).where(unmarked)
    statement = _dialect(conn).insert(marks).from_select(list(marks.c.keys()), query)
    result = await conn.execute(statement.on_conflict_do_nothing())
    return max(result.rowcount, 0)


async def lock_marks(conn: AsyncConnection, rooms: Sequence[str]) -> dict[str, Mark]:
    """The marks of these rooms (a room never announced is marked at its start), locked until
    the transaction ends, in name order so that two announcers cannot deadlock."""
    names = sorted(set(rooms))
    start = Mark()
    rows = [{"room": r, "seq": start.seq, "epoch": start.epoch, "version_id": 0} for r in names]
    found: dict[str, Mark] = {}
    for at in range(0, len(rows), _CHUNK):
        chunk = rows[at : at + _CHUNK]
        await conn.execute(_dialect(conn).insert(marks).values(chunk).on_conflict_do_nothing())
        query = select(marks).where(marks.c.room.in_(names[at : at + _CHUNK]))
        if conn.dialect.name == "postgresql":
            query = query.order_by(marks.c.room).with_for_update()
        for row in await conn.execute(query):
            found[row.room] = Mark(int(row.seq), int(row.epoch), int(row.version_id))
    return found


async def set_mark(conn: AsyncConnection, room: str, mark: Mark) -> None:
    """Move a room's mark (locked by `lock_marks`)."""
    await conn.execute(
        update(marks)
        .where(marks.c.room == room)
        .values(seq=mark.seq, epoch=mark.epoch, version_id=mark.version_id)
    )


async def committed_since(conn: AsyncConnection, room: str, mark: Mark) -> Committed | None:
    """What the room committed past `mark` (None for a room never stored). Authors are those
    of the rows still in the log: a compaction folds rows, and their authors with them."""
    head = (await roomlog.heads(conn, [room])).get(room)
    if head is None:
        return None
    authors: list[str] = []
    if head.seq > mark.seq:
        first = func.min(_updates.c.seq)
        rows = await conn.execute(
            select(_updates.c.author, first)
            .where(
                _updates.c.room == room,
                _updates.c.seq > mark.seq,
                _updates.c.seq <= head.seq,
                _updates.c.author.is_not(None),
            )
            .group_by(_updates.c.author)
            .order_by(first, _updates.c.author)
        )
        authors = [row.author for row in rows]
    columns = [c for c in _versions.c if c.name not in ("state", "fingerprint")]
    found = await conn.execute(
        select(*columns)
        .where(_versions.c.room == room, _versions.c.id > mark.version_id)
        .order_by(_versions.c.id)
    )
    return Committed(head, authors, [info_from_row(row) for row in found])


async def rooms_behind(
    conn: AsyncConnection, after: str, settled: datetime, limit: int
) -> list[str]:
    """Rooms (named after `after`, in name order) with changes committed past their mark and
    none since `settled` (the process that committed them announces those itself)."""
    mark = marks.alias("mark")
    newer_version = (
        select(_versions.c.id)
        .where(
            _versions.c.room == _rooms.c.name,
            _versions.c.id > func.coalesce(mark.c.version_id, 0),
        )
        .exists()
    )
    query = (
        select(_rooms.c.name)
        .select_from(_rooms.outerjoin(mark, mark.c.room == _rooms.c.name))
        .where(
            _rooms.c.name > after,
            or_(_rooms.c.updated_at <= settled, _rooms.c.deleted_at.is_not(None)),
            or_(
                _rooms.c.seq > func.coalesce(mark.c.seq, 0),
                _rooms.c.epoch > func.coalesce(mark.c.epoch, 1),
                newer_version,
            ),
        )
        .order_by(_rooms.c.name)
        .limit(limit)
    )
    return [row.name for row in await conn.execute(query)]


@dataclass(frozen=True, slots=True)
class Queued:
    """What queuing one event for one URL did: merged it into the one waiting at the tail of
    its queue, and which waiting events it pushed out of a full queue (type, key)."""

    merged: bool
    dropped: list[tuple[str, str]]


async def enqueue(
    conn: AsyncConnection, url: str, event: Event, queue_max: int, now: datetime
) -> Queued:
    """Queue `event` for `url`: a document.changed merges into a document.changed waiting
    unattempted at the tail of the room's queue; past `queue_max` events the oldest waiting
    ones (never attempted) are dropped."""
    if event.type == CHANGED and await _merge_into_tail(conn, url, event):
        return Queued(True, [])
    row = {
        "url": url,
        "room": event.room,
        "event": event.type,
        "key": event.key,
        "body": json.dumps(event.fields, separators=(",", ":"), ensure_ascii=False),
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }
    await conn.execute(insert(events).values(row))
    return Queued(False, await _bound(conn, url, event.room, queue_max))


def _queue(url: str, room: str) -> Any:
    return and_(events.c.url == url, events.c.room == room)


async def _merge_into_tail(conn: AsyncConnection, url: str, event: Event) -> bool:
    tail = (
        await conn.execute(
            select(events.c.id, events.c.event, events.c.attempts, events.c.body)
            .where(_queue(url, event.room))
            .order_by(events.c.id.desc())
            .limit(1)
        )
    ).first()
    if tail is None or tail.event != CHANGED or tail.attempts != 0:
        return False
    fields = merge_changed(json.loads(tail.body), event.fields)
    body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    # Claimed meanwhile (a request may carry it now): not changed, the event queues after it.
    merged = await conn.execute(
        update(events).where(events.c.id == tail.id, events.c.attempts == 0).values(body=body)
    )
    return bool(merged.rowcount == 1)


async def _bound(
    conn: AsyncConnection, url: str, room: str, queue_max: int
) -> list[tuple[str, str]]:
    count = await conn.scalar(select(func.count()).select_from(events).where(_queue(url, room)))
    over = int(count or 0) - queue_max
    if over <= 0:
        return []
    oldest = (
        await conn.execute(
            select(events.c.id, events.c.event, events.c.key)
            .where(_queue(url, room), events.c.attempts == 0)
            .order_by(events.c.id)
            .limit(over)
        )
    ).all()
    ids = [row.id for row in oldest]
    await conn.execute(delete(events).where(events.c.id.in_(ids), events.c.attempts == 0))
    return [(row.event, row.key) for row in oldest]


@dataclass(frozen=True, slots=True)
class Head:
    """The first event waiting in a queue (a room and a URL), and when it may be sent."""

    id: int
    url: str
    room: str
    due: datetime


async def heads(conn: AsyncConnection, urls: Sequence[str], limit: int) -> list[Head]:
    """The first event of each queue of these URLs, soonest due first, at most `limit`."""
    firsts = (
        select(func.min(events.c.id))
        .where(events.c.url.in_(urls))
        .group_by(events.c.url, events.c.room)
    )
    rows = await conn.execute(
        select(events.c.id, events.c.url, events.c.room, events.c.next_attempt_at)
        .where(events.c.id.in_(firsts))
        .order_by(events.c.next_attempt_at, events.c.id)
        .limit(limit)
    )
    return [Head(int(r.id), r.url, r.room, utc(r.next_attempt_at)) for r in rows]


@dataclass(frozen=True, slots=True)
class Claimed:
    """An event claimed for one more attempt: its row, and the attempt's number."""

    id: int
    url: str
    event: Event
    attempt: int


async def claim(conn: AsyncConnection, event_id: int) -> Claimed | None:
    """Count one more attempt of the event and return it as it stands from now on (None if it
    is gone: dropped from a full queue)."""
    row = (
        await conn.execute(
            update(events)
            .where(events.c.id == event_id)
            .values(attempts=events.c.attempts + 1)
            .returning(
                events.c.url,
                events.c.room,
                events.c.event,
                events.c.key,
                events.c.body,
                events.c.attempts,
            )
        )
    ).first()
    if row is None:
        return None
    event = Event(row.event, row.room, json.loads(row.body), row.key)
    return Claimed(event_id, row.url, event, int(row.attempts))


async def forget(conn: AsyncConnection, event_id: int) -> None:
    """Delete a delivered (or given up) event."""
    await conn.execute(delete(events).where(events.c.id == event_id))


async def retry_at(conn: AsyncConnection, event_id: int, when: datetime) -> None:
    """Hold the event (and its queue) until `when`."""
    await conn.execute(update(events).where(events.c.id == event_id).values(next_attempt_at=when))


async def drop_other_urls(conn: AsyncConnection, urls: Sequence[str]) -> int:
    """Delete the events waiting for URLs no longer configured; how many."""
    result = await conn.execute(delete(events).where(events.c.url.not_in(list(urls))))
    return max(result.rowcount, 0)
