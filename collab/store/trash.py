"""SQL for the trash: move a room there, list it, restore it, purge it.

A trashed room is a tombstone that keeps its data: `deleted_at` is set and its epoch bumped as
a delete does (store/sql.py `delete_room`), so every query that leaves deleted rooms out leaves
it out, nothing loads it, and writes loaded before stay fenced on every process; `trashed_at`
says its updates, state, versions, comments, grants and links are still there. Restoring clears
both and carries the links of the epoch it was trashed at to the current one. Purging erases
the rows as a delete does (store/erase.py) and leaves a plain tombstone. Each step is one
conditional UPDATE, so of two processes doing it at once exactly one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from collab.store import erase
from collab.store.base import RoomHead
from collab.store.models import RoomRow, ShareLinkRow
from collab.store.outage import translates_outages

_rooms = cast(Table, RoomRow.__table__)
_links = cast(Table, ShareLinkRow.__table__)
_LISTED = 500


@dataclass(frozen=True, slots=True)
class TrashedRoom:
    """A document in the trash, as the trash lists it."""

    name: str
    title: str | None
    kind: str | None
    owner_id: str | None
    trashed_at: datetime
    trashed_by: str | None
    size_bytes: int


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _trashed(row: Any) -> TrashedRoom:
    return TrashedRoom(
        row.name,
        row.title,
        row.kind,
        row.owner_id,
        _utc(row.trashed_at),
        row.trashed_by,
        int(row.state_bytes + row.log_bytes),
    )


_COLUMNS = (
    _rooms.c.name,
    _rooms.c.title,
    _rooms.c.kind,
    _rooms.c.owner_id,
    _rooms.c.trashed_at,
    _rooms.c.trashed_by,
    _rooms.c.state_bytes,
    _rooms.c.log_bytes,
)


@translates_outages
class SqlTrash:
    """The trash of SqlStore, on its engine; one transaction per call."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def move(self, room: str, by: str | None) -> RoomHead | None:
        """Move an existing room to the trash (a tombstone with a new epoch that keeps its
        data); its head then, or None if there was no such room."""
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_rooms)
                .where(_rooms.c.name == room, _rooms.c.deleted_at.is_(None))
                .values(
                    deleted_at=now,
                    trashed_at=now,
                    trashed_by=by[:256] if by else None,
                    epoch=_rooms.c.epoch + 1,
                )
                .returning(_rooms.c.seq, _rooms.c.epoch)
            )
            row = result.first()
        return None if row is None else RoomHead(int(row.seq), int(row.epoch), deleted=True)

    async def restore(self, room: str) -> bool:
        """Take a room out of the trash as it was, its share links with it; False if it is not
        in the trash."""
        async with self._engine.begin() as conn:
            epoch = await conn.scalar(
                update(_rooms)
                .where(_rooms.c.name == room, _rooms.c.trashed_at.is_not(None))
                .values(deleted_at=None, trashed_at=None, trashed_by=None)
                .returning(_rooms.c.epoch)
            )
            if epoch is None:
                return False
            await conn.execute(
                update(_links)
                .where(_links.c.room == room, _links.c.epoch == int(epoch) - 1)
                .values(epoch=int(epoch))
            )
        return True

    async def purge(self, room: str, *, trashed_before: datetime | None = None) -> bool:
        """Erase a room in the trash (trashed before `trashed_before`, when given) as a delete
        does, leaving a plain tombstone; False if it is not (or no longer) there."""
        condition = [_rooms.c.name == room, _rooms.c.trashed_at.is_not(None)]
        if trashed_before is not None:
            condition.append(_rooms.c.trashed_at <= trashed_before)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_rooms)
                .where(*condition)
                .values(**erase.tombstone_values(room))
                .returning(_rooms.c.name)
            )
            if result.first() is None:
                return False
            await erase.erase_rows(conn, room)
        return True

    async def due(self, trashed_before: datetime, limit: int = 100) -> list[str]:
        """Rooms trashed before `trashed_before`, oldest first (what a purge takes next)."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(_rooms.c.name)
                .where(_rooms.c.trashed_at.is_not(None), _rooms.c.trashed_at <= trashed_before)
                .order_by(_rooms.c.trashed_at, _rooms.c.name)
                .limit(limit)
            )
            return [row.name for row in rows]

    async def list(self, owner_id: str | None = None) -> list[TrashedRoom]:
        """Rooms in the trash (`owner_id`'s only, when given), most recently trashed first;
        at most 500."""
        query = select(*_COLUMNS).where(_rooms.c.trashed_at.is_not(None))
        if owner_id is not None:
            query = query.where(_rooms.c.owner_id == owner_id)
        query = query.order_by(_rooms.c.trashed_at.desc(), _rooms.c.name).limit(_LISTED)
        async with self._engine.connect() as conn:
            return [_trashed(row) for row in await conn.execute(query)]

    async def find(self, room: str) -> TrashedRoom | None:
        """The room, if it is in the trash."""
        query = select(*_COLUMNS).where(_rooms.c.name == room, _rooms.c.trashed_at.is_not(None))
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _trashed(row)
