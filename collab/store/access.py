"""SQL for who may open a document as a person: its owner (`rooms.owner_id`), the people it is
shared with (`room_members`), the role everyone signed in gets with its link (`rooms.org_role`),
and each person's recently opened documents (`room_visits`). A deleted room keeps none of them
(SqlStore.delete_room clears them in its transaction)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collab.errors import RoomNotFound
from collab.store import roomlog
from collab.store.models import PersonRow, RoomMemberRow, RoomRow, RoomVisitRow
from collab.store.outage import translates_outages
from collab.store.people import Person, matching, person_of

_rooms = cast(Table, RoomRow.__table__)
_members = cast(Table, RoomMemberRow.__table__)
_visits = cast(Table, RoomVisitRow.__table__)
_people = cast(Table, PersonRow.__table__)


@dataclass(frozen=True, slots=True)
class RoomAccess:
    """What decides a person's role on one room: whether it exists, its owner, the role of
    everyone signed in, and the person's own (None: none)."""

    exists: bool
    owner_id: str | None
    org_role: str | None
    member_role: str | None


@dataclass(frozen=True, slots=True)
class Member:
    """A person with access to a room, and how: "owner", or the role it was shared with."""

    person_id: str
    role: str
    added_at: datetime | None


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _upsert(conn: AsyncConnection, table: Table) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


async def forget_room(conn: AsyncConnection, room: str) -> None:
    """A room's owner, sharing and visits, cleared as it is deleted (inside that transaction)."""
    await conn.execute(delete(_members).where(_members.c.room == room))
    await conn.execute(delete(_visits).where(_visits.c.room == room))


async def _head(conn: AsyncConnection, room: str) -> Any:
    """The live room's owner and organisation role (None when there is no such room)."""
    found = await conn.execute(
        select(_rooms.c.owner_id, _rooms.c.org_role).where(
            _rooms.c.name == room, _rooms.c.deleted_at.is_(None)
        )
    )
    return found.first()


@translates_outages
class SqlAccess:
    """Owners, members, the organisation's role and visits; one transaction per call."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def head(self, room: str) -> RoomAccess:
        """Whether `room` exists, its owner and the organisation's role (no person's own)."""
        async with self._engine.connect() as conn:
            row = await _head(conn, room)
        if row is None:
            return RoomAccess(False, None, None, None)
        return RoomAccess(True, row.owner_id, row.org_role, None)

    async def access(self, room: str, person_id: str) -> RoomAccess:
        """What decides `person_id`'s role on `room`."""
        async with self._engine.connect() as conn:
            head = await _head(conn, room)
            if head is None:
                return RoomAccess(False, None, None, None)
            role = await conn.scalar(
                select(_members.c.role).where(
                    _members.c.room == room, _members.c.person_id == person_id
                )
            )
        return RoomAccess(True, head.owner_id, head.org_role, role)

    async def accesses(self, rooms: list[str], person_id: str) -> dict[str, RoomAccess]:
        """`access` for each of these existing rooms, in two queries."""
        if not rooms:
            return {}
        async with self._engine.connect() as conn:
            heads = await conn.execute(
                select(_rooms.c.name, _rooms.c.owner_id, _rooms.c.org_role).where(
                    _rooms.c.name.in_(rooms), _rooms.c.deleted_at.is_(None)
                )
            )
            found = {row.name: (row.owner_id, row.org_role) for row in heads}
            shared = await conn.execute(
                select(_members.c.room, _members.c.role).where(
                    _members.c.room.in_(list(found)), _members.c.person_id == person_id
                )
            )
            roles = {row.room: row.role for row in shared}
        return {
            name: RoomAccess(True, owner, org, roles.get(name))
            for name, (owner, org) in found.items()
        }

    async def readers(
        self, room: str, *, text: str = "", ids: Collection[str] | None = None, limit: int = 20
    ) -> list[Person]:
        """Active people who may read `room` as people (its owner, those it is shared with,
        server admins, and everyone when the organisation has a role on it), by name: those
        whose name or email holds `text`, of `ids` when given; at most `limit`."""
        async with self._engine.connect() as conn:
            head = await _head(conn, room)
            if head is None:
                return []
            shared = select(_members.c.person_id).where(_members.c.room == room)
            who = (
                true()
                if head.org_role is not None
                else or_(
                    _people.c.is_admin.is_(True),
                    _people.c.id == head.owner_id,
                    _people.c.id.in_(shared),
                )
            )
            query = matching(select(_people).where(_people.c.active.is_(True), who), text).order_by(
                func.lower(_people.c.name), _people.c.email
            )
            if ids is not None:
                query = query.where(_people.c.id.in_(sorted(set(ids))))
            rows = await conn.execute(query.limit(limit))
            return [person_of(row) for row in rows]

    async def claim(self, room: str, person_id: str) -> bool:
        """Make `person_id` the owner of `room`, creating it empty if it does not exist; True
        if they own it now (False: someone else already did)."""
        async with self._engine.begin() as conn:
            await roomlog.open_room(conn, room, datetime.now(UTC))
            await conn.execute(
                update(_rooms)
                .where(_rooms.c.name == room, _rooms.c.owner_id.is_(None))
                .values(owner_id=person_id)
            )
            owner = await conn.scalar(select(_rooms.c.owner_id).where(_rooms.c.name == room))
        return owner == person_id

    async def set_owner(self, room: str, person_id: str) -> str | None:
        """Give `room` to `person_id`; the previous owner stays an editor. The previous owner's
        id (None: there was none); RoomNotFound if no such room."""
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            await roomlog.lock(conn, room)
            previous = (
                await conn.execute(
                    select(_rooms.c.owner_id).where(
                        _rooms.c.name == room, _rooms.c.deleted_at.is_(None)
                    )
                )
            ).first()
            if previous is None:
                raise RoomNotFound(f"room {room!r} does not exist")
            await conn.execute(
                update(_rooms).where(_rooms.c.name == room).values(owner_id=person_id)
            )
            await conn.execute(
                delete(_members).where(_members.c.room == room, _members.c.person_id == person_id)
            )
            old = previous.owner_id
            if old is not None and old != person_id:
                await self._put_member(conn, room, old, "editor", now)
        return cast(str | None, old)

    async def members(self, room: str) -> list[Member]:
        """The room's owner first, then the people it is shared with, by when."""
        async with self._engine.connect() as conn:
            owner = await conn.scalar(
                select(_rooms.c.owner_id).where(
                    _rooms.c.name == room, _rooms.c.deleted_at.is_(None)
                )
            )
            rows = await conn.execute(
                select(_members)
                .where(_members.c.room == room)
                .order_by(_members.c.added_at, _members.c.person_id)
            )
            shared = [Member(r.person_id, r.role, _utc(r.added_at)) for r in rows]
        found = [Member(owner, "owner", None)] if owner is not None else []
        return found + [m for m in shared if m.person_id != owner]

    async def set_member(self, room: str, person_id: str, role: str) -> None:
        """Share `room` with `person_id` as `role` (or change their role); RoomNotFound if no
        such room."""
        async with self._engine.begin() as conn:
            await roomlog.lock(conn, room)  # a delete cannot slip in before the insert
            exists = await conn.scalar(
                select(_rooms.c.name).where(_rooms.c.name == room, _rooms.c.deleted_at.is_(None))
            )
            if exists is None:
                raise RoomNotFound(f"room {room!r} does not exist")
            await self._put_member(conn, room, person_id, role, datetime.now(UTC))

    async def _put_member(
        self, conn: AsyncConnection, room: str, person_id: str, role: str, now: datetime
    ) -> None:
        insert = _upsert(conn, _members).values(
            room=room, person_id=person_id, role=role, added_at=now
        )
        await conn.execute(
            insert.on_conflict_do_update(
                index_elements=[_members.c.room, _members.c.person_id], set_={"role": role}
            )
        )

    async def remove_member(self, room: str, person_id: str) -> bool:
        """Stop sharing `room` with `person_id`; False if it was not shared with them."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(_members).where(_members.c.room == room, _members.c.person_id == person_id)
            )
        return bool(result.rowcount == 1)

    async def set_org_role(self, room: str, role: str | None) -> bool:
        """The role everyone signed in gets with the link (None: none); False if no room."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_rooms)
                .where(_rooms.c.name == room, _rooms.c.deleted_at.is_(None))
                .values(org_role=role)
            )
        return bool(result.rowcount == 1)

    async def visit(self, room: str, person_id: str) -> None:
        """Record that `person_id` opened `room` now (a room not stored yet is skipped)."""
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            exists = await conn.scalar(
                select(_rooms.c.name).where(_rooms.c.name == room, _rooms.c.deleted_at.is_(None))
            )
            if exists is None:
                return
            insert = _upsert(conn, _visits).values(person_id=person_id, room=room, visited_at=now)
            await conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[_visits.c.person_id, _visits.c.room],
                    set_={"visited_at": now},
                )
            )
