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

from sqlalchemy import Select, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from collab.store import roomlog
from collab.store.base import RoomHead, VersionInfo
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


async def set_marks(conn: AsyncConnection, moved: dict[str, Mark]) -> None:
    """Move these rooms' marks (locked by `lock_marks`)."""
    if not moved:
        return
    statement = (
        update(marks)
        .where(marks.c.room == bindparam("b_room"))
        .values(seq=bindparam("b_seq"), epoch=bindparam("b_epoch"), version_id=bindparam("b_id"))
    )
    rows = [
        {"b_room": room, "b_seq": m.seq, "b_epoch": m.epoch, "b_id": m.version_id}
        for room, m in moved.items()
    ]
    await conn.execute(statement, rows)


async def committed_since(conn: AsyncConnection, found: dict[str, Mark]) -> dict[str, Committed]:
    """What each room committed past its mark (rooms never stored are left out). Versions are
    read first, then the heads and authors in one statement: the changes announced with the
    versions reach at least as far as any of them holds. Authors are those of the rows still in
    the log: a compaction folds rows, and their authors with them."""
    rooms = sorted(found)
    versions: dict[str, list[VersionInfo]] = {}
    heads: dict[str, RoomHead] = {}
    authors: dict[str, list[str]] = {}
    for at in range(0, len(rooms), _CHUNK):
        chunk = rooms[at : at + _CHUNK]
        for row in await conn.execute(_versions_since(chunk)):
            versions.setdefault(row.room, []).append(info_from_row(row))
        for row in await conn.execute(_heads_and_authors(chunk)):
            heads[row.name] = RoomHead(int(row.seq), int(row.epoch), row.deleted_at is not None)
            if row.author is not None:
                authors.setdefault(row.name, []).append(row.author)
    return {
        room: Committed(head, authors.get(room, []), versions.get(room, []))
        for room, head in heads.items()
    }


def _versions_since(rooms: list[str]) -> Select[Any]:
    columns = [c for c in _versions.c if c.name not in ("state", "fingerprint")]
    return (
        select(*columns)
        .join_from(_versions, marks, marks.c.room == _versions.c.room)
        .where(_versions.c.room.in_(rooms), _versions.c.id > marks.c.version_id)
        .order_by(_versions.c.room, _versions.c.id)
    )


def _heads_and_authors(rooms: list[str]) -> Select[Any]:
    """Each room's head, with the authors of its rows past its mark (first seen first); a
    room none of whose rows has an author comes once, author NULL."""
    u = _updates.c
    past_mark = and_(
        u.room == _rooms.c.name,
        u.seq > marks.c.seq,
        u.seq <= _rooms.c.seq,
        u.author.is_not(None),
    )
    first = func.min(u.seq).label("first")
    head = (_rooms.c.name, _rooms.c.seq, _rooms.c.epoch, _rooms.c.deleted_at)
    return (
        select(*head, u.author, first)
        .select_from(
            _rooms.join(marks, marks.c.room == _rooms.c.name).outerjoin(_updates, past_mark)
        )
        .where(_rooms.c.name.in_(rooms))
        .group_by(*head, u.author)
        .order_by(_rooms.c.name, first, u.author)
    )


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
    """What queuing did: how many events merged into one waiting, and which waiting events
    were dropped from full queues (room, URL, type, key)."""

    merged: int
    dropped: list[tuple[str, str, str, str]]


@dataclass(frozen=True, slots=True)
class _Tail:
    """The last event of a queue, and how many events it holds."""

    id: int
    event: str
    attempts: int
    body: str
    count: int


async def queue(
    conn: AsyncConnection, made: Sequence[Event], urls: Sequence[str], queue_max: int, now: datetime
) -> Queued:
    """Queue these events (in order) for every URL. A room's first event, a document.changed,
    merges into a document.changed waiting never attempted at the tail of its queue; past
    `queue_max` events a queue drops its oldest never attempted."""
    tails = await _tails(conn, sorted({event.room for event in made}), urls)
    counts = {queue: tail.count for queue, tail in tails.items()}
    rows, merged = [], 0
    for url in urls:
        for event in made:
            tail = tails.pop((url, event.room), None)  # only a room's first event merges
            if tail is not None and event.type == CHANGED and await _merge(conn, tail, event):
                merged += 1
                continue
            rows.append(_row(url, event, now))
            counts[url, event.room] = counts.get((url, event.room), 0) + 1
    if rows:
        await conn.execute(insert(events), rows)
    dropped = []
    for (url, room), count in counts.items():
        if count > queue_max:
            dropped += await _drop_oldest(conn, url, room, count - queue_max)
    return Queued(merged, dropped)


def _row(url: str, event: Event, now: datetime) -> dict[str, Any]:
    return {
        "url": url,
        "room": event.room,
        "event": event.type,
        "key": event.key,
        "body": _json(event.fields),
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }


def _json(fields: dict[str, Any]) -> str:
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


async def _tails(
    conn: AsyncConnection, rooms: list[str], urls: Sequence[str]
) -> dict[tuple[str, str], _Tail]:
    found: dict[tuple[str, str], _Tail] = {}
    for at in range(0, len(rooms), _CHUNK):
        last = (
            select(events.c.url, events.c.room, func.max(events.c.id).label("last"))
            .add_columns(func.count().label("n"))
            .where(events.c.room.in_(rooms[at : at + _CHUNK]), events.c.url.in_(urls))
            .group_by(events.c.url, events.c.room)
            .subquery()
        )
        query = select(events, last.c.n).join_from(events, last, events.c.id == last.c.last)
        for row in await conn.execute(query):
            found[row.url, row.room] = _Tail(row.id, row.event, row.attempts, row.body, row.n)
    return found


async def _merge(conn: AsyncConnection, tail: _Tail, event: Event) -> bool:
    if tail.event != CHANGED or tail.attempts != 0:
        return False
    body = _json(merge_changed(json.loads(tail.body), event.fields))
    # Claimed meanwhile (a request may carry it now), or delivered: left as it is.
    merged = await conn.execute(
        update(events).where(events.c.id == tail.id, events.c.attempts == 0).values(body=body)
    )
    return bool(merged.rowcount == 1)


async def _drop_oldest(
    conn: AsyncConnection, url: str, room: str, over: int
) -> list[tuple[str, str, str, str]]:
    oldest = (
        await conn.execute(
            select(events.c.id, events.c.event, events.c.key)
            .where(events.c.url == url, events.c.room == room, events.c.attempts == 0)
            .order_by(events.c.id)
            .limit(over)
        )
    ).all()
    ids = [row.id for row in oldest]
    await conn.execute(delete(events).where(events.c.id.in_(ids), events.c.attempts == 0))
    return [(room, url, row.event, row.key) for row in oldest]


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


async def claim(conn: AsyncConnection, ids: Sequence[int]) -> list[Claimed]:
    """Count one more attempt of each of these events and return them as they stand from now
    on (those gone meanwhile, dropped from a full queue, are left out)."""
    if not ids:
        return []
    rows = await conn.execute(
        update(events)
        .where(events.c.id.in_(list(ids)))
        .values(attempts=events.c.attempts + 1)
        .returning(
            events.c.id,
            events.c.url,
            events.c.room,
            events.c.event,
            events.c.key,
            events.c.body,
            events.c.attempts,
        )
    )
    return [
        Claimed(int(r.id), r.url, Event(r.event, r.room, json.loads(r.body), r.key), r.attempts)
        for r in rows
    ]


async def forget(conn: AsyncConnection, ids: Sequence[int]) -> None:
    """Delete events delivered (or given up)."""
    if ids:
        await conn.execute(delete(events).where(events.c.id.in_(list(ids))))


async def retry_at(conn: AsyncConnection, when: Sequence[tuple[int, datetime]]) -> None:
    """Hold each event (and its queue) until its time."""
    if when:
        statement = (
            update(events)
            .where(events.c.id == bindparam("b_id"))
            .values(next_attempt_at=bindparam("b_when"))
        )
        await conn.execute(statement, [{"b_id": i, "b_when": moment} for i, moment in when])


async def drop_other_urls(conn: AsyncConnection, urls: Sequence[str]) -> int:
    """Delete the events waiting for URLs no longer configured; how many."""
    result = await conn.execute(delete(events).where(events.c.url.not_in(list(urls))))
    return max(result.rowcount, 0)
