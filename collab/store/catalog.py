"""SQL for the catalog of rooms: listing (filtered, searched, sorted, paginated), titles and who
edited each room lately."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from collab.store.base import RoomCursor, RoomInfo, RoomSort, title_key
from collab.store.models import RoomAuthorRow, RoomMemberRow, RoomRow, RoomVisitRow, VersionRow

rooms = cast(Table, RoomRow.__table__)
_authors = cast(Table, RoomAuthorRow.__table__)
_versions = cast(Table, VersionRow.__table__)
_members = cast(Table, RoomMemberRow.__table__)
_visits = cast(Table, RoomVisitRow.__table__)
# What a person's listing holds (`people_scope`).
SCOPES = ("all", "mine", "shared", "recent")
# The most people a listing names as a room's editors.
MAX_EDITORS = 5
# Authors the server itself writes (the update of a copy, an import made in development mode
# or by the CLI): not people, so not editors.
SERVER_AUTHORS = frozenset({"copy", "import"})


def utc(moment: datetime) -> datetime:
    """A database moment as UTC (SQLite gives them back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def starts_with(prefix: str) -> ColumnElement[bool]:
    """Names starting with `prefix`, case-sensitively (not LIKE: SQLite's ignores ASCII case)."""
    if not prefix:
        return true()
    return func.substr(rooms.c.name, 1, len(prefix)) == prefix


def room_info_query() -> Select[Any]:
    """The listing's columns, deleted rooms left out."""
    size = rooms.c.state_bytes + rooms.c.log_bytes
    columns = (rooms.c.name, rooms.c.created_at, rooms.c.updated_at, size.label("size"))
    return select(*columns, rooms.c.kind, rooms.c.title, rooms.c.owner_id).where(
        rooms.c.deleted_at.is_(None)
    )


def room_info(row: Any) -> RoomInfo:
    """A listing row as a RoomInfo."""
    created, updated = utc(row.created_at), utc(row.updated_at)
    return RoomInfo(row.name, created, updated, int(row.size), row.kind, row.title, row.owner_id)


def _sort_column(sort: RoomSort) -> Any:
    return {"edited": rooms.c.updated_at, "created": rooms.c.created_at}.get(
        sort, rooms.c.title_key
    )


def _contains(text: str) -> ColumnElement[bool]:
    """Title (or name) holding `text`, ignoring case: LIKE over keys folded in Python."""
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        rooms.c.title_key.like(pattern, escape="\\"),
        func.lower(rooms.c.name).like(pattern, escape="\\"),
    )


def _granted(patterns: Sequence[str]) -> ColumnElement[bool]:
    grants = (starts_with(p[:-1]) if p.endswith("*") else rooms.c.name == p for p in patterns)
    return or_(false(), *grants)


def people_scope(person_id: str, scope: str) -> ColumnElement[bool]:
    """The rooms a person may open that a listing `scope` shows: "mine" (they own), "shared"
    (with them), "recent" (opened lately and still theirs to open), "all" (each of those)."""
    owned = rooms.c.owner_id == person_id
    shared = (
        select(_members.c.room)
        .where(_members.c.room == rooms.c.name, _members.c.person_id == person_id)
        .exists()
    )
    visited = (
        select(_visits.c.room)
        .where(_visits.c.room == rooms.c.name, _visits.c.person_id == person_id)
        .exists()
    )
    reachable = or_(owned, shared, rooms.c.org_role.is_not(None))
    chosen = {
        "mine": owned,
        "shared": and_(shared, or_(rooms.c.owner_id.is_(None), rooms.c.owner_id != person_id)),
        "recent": and_(visited, reachable),
        "all": or_(owned, shared, and_(visited, rooms.c.org_role.is_not(None))),
    }
    return chosen[scope]


def _after(cursor: RoomCursor, sort: RoomSort) -> ColumnElement[bool]:
    column = _sort_column(sort)
    beyond = column > cursor.key if sort == "title" else column < cursor.key
    return or_(beyond, and_(column == cursor.key, rooms.c.name > cursor.name))


async def list_rooms(
    conn: AsyncConnection,
    limit: int,
    after: RoomCursor | None,
    filters: tuple[str, Sequence[str] | None, str],
    sort: RoomSort,
    person: tuple[str, str] | None = None,
) -> list[RoomInfo]:
    """A page of the listing; `filters`: (name prefix, grant patterns or None, search text);
    `person`: (their id, a scope of SCOPES) to list only what that person may open."""
    prefix, patterns, search = filters
    column = _sort_column(sort)
    order = column.asc() if sort == "title" else column.desc()
    query = room_info_query().order_by(order, rooms.c.name).limit(limit)
    if prefix:
        query = query.where(starts_with(prefix))
    if patterns is not None:
        query = query.where(_granted(patterns))
    if search:
        query = query.where(_contains(search))
    if person is not None:
        query = query.where(people_scope(*person))
    if after is not None:
        query = query.where(_after(after, sort))
    return [room_info(row) for row in (await conn.execute(query)).all()]


async def editors(conn: AsyncConnection, names: Sequence[str]) -> dict[str, list[str]]:
    """Who edited each room lately: authors of edits no version holds yet (by name), then the
    authors of its latest version; at most MAX_EDITORS each."""
    found: dict[str, list[str]] = {}
    pending = select(_authors.c.room, _authors.c.author).where(_authors.c.room.in_(names))
    for row in await conn.execute(pending.order_by(_authors.c.room, _authors.c.author)):
        found.setdefault(row.room, []).append(row.author)
    latest = (
        select(func.max(_versions.c.id))
        .where(_versions.c.room.in_(names))
        .group_by(_versions.c.room)
    )
    recorded = select(_versions.c.room, _versions.c.authors).where(_versions.c.id.in_(latest))
    for row in await conn.execute(recorded):
        people = found.setdefault(row.room, [])
        people += [a for a in json.loads(row.authors or "[]") if a not in people]
    named = {room: [p for p in people if p not in SERVER_AUTHORS] for room, people in found.items()}
    return {room: people[:MAX_EDITORS] for room, people in named.items() if people}


async def set_title(conn: AsyncConnection, room: str, title: str | None) -> bool:
    """Give an existing room `title`; False if no such room."""
    result = await conn.execute(
        rooms.update()
        .where(rooms.c.name == room, rooms.c.deleted_at.is_(None))
        .values(title=title, title_key=title_key(title, room))
    )
    return bool(result.rowcount == 1)
