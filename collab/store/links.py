"""SQL for share links: create, list, find and revoke rows of `share_links`.

A link belongs to its room as it stood when the link was made (the room's epoch then): every
read joins the room and keeps only links of its current epoch, so deleting a room (a tombstone
with a new epoch) ends its links, even if a room of that name is made again.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Select, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collab.errors import RoomNotFound
from collab.store.base import ShareLink
from collab.store.models import RoomRow, ShareLinkRow
from collab.store.outage import translates_outages

_links = cast(Table, ShareLinkRow.__table__)
_rooms = cast(Table, RoomRow.__table__)
_CHUNK = 500


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _maybe_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


def _current() -> Select[Any]:
    """Links of their room's current epoch (a deleted room has none)."""
    joined = _links.join(
        _rooms, (_rooms.c.name == _links.c.room) & (_rooms.c.epoch == _links.c.epoch)
    )
    return select(_links).select_from(joined).where(_rooms.c.deleted_at.is_(None))


def _link(row: Any) -> ShareLink:
    return ShareLink(
        row.id,
        row.room,
        row.role,
        row.label,
        row.created_by,
        _utc(row.created_at),
        _maybe_utc(row.expires_at),
        _maybe_utc(row.revoked_at),
    )


@translates_outages
class SqlLinks:
    """The LinkStore of SqlStore, on its engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create_link(
        self,
        room: str,
        role: str,
        *,
        created_by: str,
        expires_at: datetime | None,
        label: str | None,
    ) -> ShareLink:
        """Store a new link with a random id; RoomNotFound unless the room exists."""
        async with self._engine.begin() as conn:
            epoch = await conn.scalar(
                select(_rooms.c.epoch).where(_rooms.c.name == room, _rooms.c.deleted_at.is_(None))
            )
            if epoch is None:
                raise RoomNotFound(f"room {room!r} does not exist")
            link = ShareLink(
                secrets.token_urlsafe(16),
                room,
                role,
                label,
                created_by,
                datetime.now(UTC),
                expires_at,
                None,
            )
            fields = {name: getattr(link, name) for name in ShareLink.__slots__}
            await conn.execute(_links.insert().values(epoch=epoch, **fields))
        return link

    async def list_links(self, room: str) -> list[ShareLink]:
        """The room's links, newest first, revoked and expired ones included."""
        query = _current().where(_links.c.room == room)
        query = query.order_by(_links.c.created_at.desc(), _links.c.id)
        async with self._engine.connect() as conn:
            return [_link(row) for row in await conn.execute(query)]

    async def find_links(self, ids: Collection[str]) -> dict[str, ShareLink]:
        """The links with these ids, by id (unknown ones, and a deleted room's, left out)."""
        wanted = sorted(set(ids))
        found: dict[str, ShareLink] = {}
        async with self._engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                rows = await conn.execute(_current().where(_links.c.id.in_(chunk)))
                found.update((row.id, _link(row)) for row in rows)
        return found

    async def revoke_link(self, room: str, link: str, now: datetime) -> ShareLink | None:
        """Mark the room's link revoked at `now` (kept as it is if it already was); None if
        the room has no such link."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(_links)
                .where(_links.c.id == link, _links.c.room == room, _links.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return await _one(conn, room, link)


async def _one(conn: AsyncConnection, room: str, link: str) -> ShareLink | None:
    query = _current().where(_links.c.id == link, _links.c.room == room)
    row = (await conn.execute(query)).first()
    return _link(row) if row is not None else None
