"""SQL for a room's place in the cluster: its sequence numbers, epoch and tombstone.

Every append takes the room row's lock first, with one fenced `UPDATE rooms ... RETURNING seq`
that assigns the new rows' sequence numbers: per room, sequence order is commit order, across
every process on the database. Rooms are locked in name order, so two processes' multi-room
batches cannot deadlock. A room is created (or, after a delete, created again with the
tombstone's new epoch) when it is loaded, never by an append that names an epoch.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Insert,
    String,
    Table,
    bindparam,
    case,
    column,
    func,
    literal,
    select,
    update,
    values,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from collab.errors import RoomTrashed, WriteFenced
from collab.store.base import CatchUp, NewUpdate, NewVersion, RoomHead, title_key
from collab.store.models import RoomRow, RoomStateRow, UpdateRow

rooms = cast(Table, RoomRow.__table__)
states = cast(Table, RoomStateRow.__table__)
updates = cast(Table, UpdateRow.__table__)
_HEAD = (rooms.c.seq, rooms.c.epoch, rooms.c.deleted_at)


# A room's new rows numbered in one statement, built once (SQLAlchemy then compiles it once).
# `b_now` is the moment of the edit, or None for a batch holding none of the room's updates (a
# version only): recording a version is not an edit, so it leaves `updated_at` ("last edit",
# the listing's "edited" order) as it was.
ADVANCE = (
    update(rooms)
    .where(rooms.c.name == bindparam("b_room"), rooms.c.deleted_at.is_(None))
    .values(
        seq=rooms.c.seq + bindparam("b_rows"),
        updated_at=func.coalesce(
            bindparam("b_now", type_=rooms.c.updated_at.type), rooms.c.updated_at
        ),
        log_count=rooms.c.log_count + bindparam("b_rows"),
        log_bytes=rooms.c.log_bytes + bindparam("b_bytes"),
    )
    .returning(rooms.c.seq)
)
ADVANCE_FENCED = ADVANCE.where(rooms.c.epoch == bindparam("b_epoch"))


def advance_values(
    room: str, added: Sequence[NewUpdate], now: datetime, epoch: int | None = None
) -> dict[str, Any]:
    """ADVANCE's values for `added`, the room's new rows (and, with `epoch`, ADVANCE_FENCED's)."""
    values: dict[str, Any] = {
        "b_room": room,
        "b_rows": len(added),
        "b_bytes": sum(len(u.data) for u in added),
        "b_now": now if added else None,
    }
    if epoch is not None:
        values["b_epoch"] = epoch
    return values


def _head(row: Any) -> RoomHead:
    return RoomHead(int(row.seq), int(row.epoch), row.deleted_at is not None)


def _dialect(conn: AsyncConnection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


async def head(conn: AsyncConnection, room: str) -> RoomHead | None:
    """The room's head, tombstones included; None if it was never stored."""
    row = (await conn.execute(select(*_HEAD).where(rooms.c.name == room))).first()
    return None if row is None else _head(row)


async def lock(conn: AsyncConnection, room: str) -> None:
    """Take the room row's lock, as an append does, before checking a lease (store/leases.py):
    FOR UPDATE on PostgreSQL; on SQLite a write that changes nothing, which starts the write
    transaction (locking the database), so the lease is read inside it."""
    if conn.dialect.name == "postgresql":
        await conn.execute(select(rooms.c.name).where(rooms.c.name == room).with_for_update())
    else:
        await conn.execute(update(rooms).where(rooms.c.name == room).values(name=rooms.c.name))


async def open_room(
    conn: AsyncConnection,
    room: str,
    now: datetime,
    kind: str | None = None,
    title: str | None = None,
) -> tuple[RoomHead, bool]:
    """Create the room if it does not exist, or again if it was deleted (its tombstone's epoch
    stays, so writes loaded before the delete stay fenced); its head, and whether it was made.
    RoomTrashed if it is in the trash (it is neither opened nor made again)."""
    named = {"kind": kind, "title": title, "title_key": title_key(title, room)}
    row = {"name": room, "created_at": now, "updated_at": now, **named}
    inserted = await conn.execute(_dialect(conn).insert(rooms).values(row).on_conflict_do_nothing())
    made = inserted.rowcount == 1
    if not made:
        revived = await conn.execute(
            update(rooms)
            .where(
                rooms.c.name == room,
                rooms.c.deleted_at.is_not(None),
                rooms.c.trashed_at.is_(None),
            )
            .values(deleted_at=None, created_at=now, updated_at=now, **named)
        )
        made = revived.rowcount == 1
    found = await head(conn, room)
    if found is None:  # pragma: no cover - the row was just written in this transaction
        raise RuntimeError(f"room {room} vanished while it was created")
    if found.deleted:  # a tombstone left as it is: the room is in the trash
        raise RoomTrashed(f"room {room!r} is in the trash")
    return found, made


# Rooms opened per statement by `open_rooms` (six values each, within SQLite's limit).
_OPEN_CHUNK = 500


@functools.cache
def _creations(dialect: str) -> Insert:
    """INSERT of new rooms, ignoring those that exist, returning the names it made: one
    statement per dialect, executed with many parameter sets, so SQLAlchemy compiles it once
    (a VALUES list of 256 rooms compiled afresh took 35 ms)."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement: Insert = module.insert(rooms).on_conflict_do_nothing().returning(rooms.c.name)
    return statement


async def open_rooms(
    conn: AsyncConnection, names: Sequence[str], now: datetime
) -> dict[str, tuple[RoomHead, bool] | RoomTrashed]:
    """`open_room` for many rooms: the missing ones created by one multi-row insert per chunk,
    the rest (deleted ones to make again, or made meanwhile) one by one as `open_room` does.
    Each one's head and whether it was made, or RoomTrashed for one in the trash."""
    opened: dict[str, tuple[RoomHead, bool] | RoomTrashed] = {}
    made: set[str] = set()
    for start in range(0, len(names), _OPEN_CHUNK):
        chunk = names[start : start + _OPEN_CHUNK]
        rows = [
            {"name": n, "created_at": now, "updated_at": now, "kind": None, "title": None}
            | {"title_key": title_key(None, n)}
            for n in chunk
        ]
        made.update((await conn.execute(_creations(conn.dialect.name), rows)).scalars())
    found = await heads(conn, [n for n in names if n in made])
    for name in names:
        if name in made:
            opened[name] = (found[name], True)
            continue
        try:
            opened[name] = await open_room(conn, name, now)
        except RoomTrashed as error:
            opened[name] = error
    return opened


async def advance(
    conn: AsyncConnection, items: Sequence[NewUpdate | NewVersion], now: datetime
) -> dict[str, tuple[int, int]]:
    """Lock each room of the batch (in name order), fenced by its epoch, and give its new log
    rows their sequence numbers: per room, (first, last). Raises WriteFenced for a room deleted
    since the epoch its writes name."""
    per_room: dict[str, list[NewUpdate]] = {item.room: [] for item in items}
    epochs: dict[str, int | None] = {}
    for item in items:
        if isinstance(item, NewUpdate):
            per_room[item.room].append(item)
        if item.epoch is not None or item.room not in epochs:
            epochs[item.room] = item.epoch
    fenced = sorted(room for room in per_room if epochs[room] is not None)
    seqs: dict[str, tuple[int, int]] = {}
    if conn.dialect.name == "postgresql" and len(fenced) > 1:
        seqs = await _advance_together(conn, {room: per_room[room] for room in fenced}, epochs, now)
    for room in sorted(per_room):
        if room in seqs:
            continue
        added = per_room[room]
        epoch = epochs[room]
        if epoch is None:
            await open_room(conn, room, now)
        params = advance_values(room, added, now, epoch)
        last = await conn.scalar(ADVANCE if epoch is None else ADVANCE_FENCED, params)
        if last is None:
            raise WriteFenced(f"room {room!r} was deleted; the write is refused")
        seqs[room] = (int(last) - len(added) + 1, int(last))
    return seqs


async def _advance_together(
    conn: AsyncConnection,
    per_room: dict[str, list[NewUpdate]],
    epochs: dict[str, int | None],
    now: datetime,
) -> dict[str, tuple[int, int]]:
    """`advance` for many rooms in two statements instead of one per room: lock their rows in
    name order (FOR UPDATE locks after ORDER BY), then update them all from a VALUES list."""
    names = sorted(per_room)
    await conn.execute(
        select(rooms.c.name).where(rooms.c.name.in_(names)).order_by(rooms.c.name).with_for_update()
    )
    rows = [
        (room, epochs[room], len(added), sum(len(u.data) for u in added))
        for room, added in per_room.items()
    ]
    batch = values(
        column("name", String),
        column("epoch", BigInteger),
        column("n", BigInteger),
        column("size", BigInteger),
        name="batch",
    ).data(rows)
    result = await conn.execute(
        update(rooms)
        .where(
            rooms.c.name == batch.c.name,
            rooms.c.epoch == batch.c.epoch,
            rooms.c.deleted_at.is_(None),
        )
        .values(
            seq=rooms.c.seq + batch.c.n,
            updated_at=case(
                (batch.c.n > 0, literal(now, rooms.c.updated_at.type)), else_=rooms.c.updated_at
            ),
            log_count=rooms.c.log_count + batch.c.n,
            log_bytes=rooms.c.log_bytes + batch.c.size,
        )
        .returning(rooms.c.name, rooms.c.seq)
    )
    last = {row.name: int(row.seq) for row in result}
    for room in names:
        if room not in last:
            raise WriteFenced(f"room {room!r} was deleted; the write is refused")
    return {room: (last[room] - len(per_room[room]) + 1, last[room]) for room in names}


def numbered_rows(
    updates_: Sequence[NewUpdate], seqs: dict[str, tuple[int, int]], now: datetime
) -> list[dict[str, Any]]:
    """The log rows to insert, each with its sequence number."""
    next_seq = {room: first for room, (first, _) in seqs.items()}
    rows = []
    for u in updates_:
        rows.append(
            {
                "room": u.room,
                "seq": next_seq[u.room],
                "data": u.data,
                "author": u.author,
                "agent_session": u.session,
                "created_at": now,
            }
        )
        next_seq[u.room] += 1
    return rows


async def heads(conn: AsyncConnection, names: Sequence[str]) -> dict[str, RoomHead]:
    """The heads of these rooms, tombstones included."""
    found: dict[str, RoomHead] = {}
    for start in range(0, len(names), 500):
        chunk = list(names[start : start + 500])
        rows = await conn.execute(select(rooms.c.name, *_HEAD).where(rooms.c.name.in_(chunk)))
        found.update((row.name, _head(row)) for row in rows)
    return found


async def read_since(conn: AsyncConnection, room: str, seq: int) -> CatchUp:
    """The rows after `seq`, and the compacted state as well when some of the rows a copy at
    `seq` lacks were folded into it. The head is read first and the state last, so a compaction
    committing meanwhile can only make the parts overlap."""
    row = (
        await conn.execute(select(*_HEAD, rooms.c.compacted_seq).where(rooms.c.name == room))
    ).first()
    if row is None:
        return CatchUp(RoomHead(0, 0, deleted=True), None, [])
    found = _head(row)
    log = (
        await conn.execute(
            select(updates.c.seq, updates.c.data)
            .where(updates.c.room == room, updates.c.seq > seq)
            .order_by(updates.c.seq)
        )
    ).all()
    last = max([found.seq, *(int(r.seq) for r in log)])
    state = None
    folded = int(row.compacted_seq) > seq or (log and int(log[0].seq) != seq + 1)
    if folded or (not log and last > seq):
        state = await conn.scalar(select(states.c.state).where(states.c.room == room))
    return CatchUp(RoomHead(last, found.epoch, found.deleted), state, [r.data for r in log])
