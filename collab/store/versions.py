"""SQL for versions: record (deduplicated, with attribution), list, fetch, thin."""

from __future__ import annotations

import asyncio
import json
import zlib
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from collab.store.base import NewVersion, RetentionPolicy, VersionInfo, VersionResult
from collab.store.models import RoomAuthorRow, VersionRow

versions_table = cast(Table, VersionRow.__table__)
authors_table = cast(Table, RoomAuthorRow.__table__)
_v = versions_table.c
_INFO_COLUMNS = (
    _v.id,
    _v.room,
    _v.created_at,
    _v.kind,
    _v.label,
    _v.author,
    _v.authors,
    _v.size_bytes,
)


def info_from_row(row: Any) -> VersionInfo:
    """A VersionInfo from a selected row."""
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return VersionInfo(
        row.id,
        row.room,
        created,
        row.kind,
        row.label,
        row.author,
        json.loads(row.authors),
        row.size_bytes,
    )


async def record(
    conn: AsyncConnection, item: NewVersion, batch_authors: set[str], now: datetime
) -> tuple[VersionResult, bool]:
    """Record `item` unless the latest version holds the same state. Returns the result and
    whether `batch_authors` (and the room's pending authors) were consumed by a new version."""
    latest = (
        await conn.execute(
            select(*_INFO_COLUMNS, _v.fingerprint)
            .where(_v.room == item.room)
            .order_by(_v.id.desc())
            .limit(1)
        )
    ).first()
    if latest is not None and latest.fingerprint == item.fingerprint:
        return VersionResult(await _promote(conn, latest, item), created=False), False
    pending = await conn.execute(
        delete(authors_table)
        .where(authors_table.c.room == item.room)
        .returning(authors_table.c.author)
    )
    authors = sorted({row[0] for row in pending} | batch_authors)
    state = await asyncio.to_thread(zlib.compress, item.state, 6)  # off the event loop
    values = {
        "room": item.room,
        "created_at": now,
        "kind": item.kind,
        "label": item.label,
        "author": item.author,
        "authors": json.dumps(authors),
        "fingerprint": item.fingerprint,
        "state": state,
        "size_bytes": len(state),
    }
    new_id = (
        await conn.execute(insert(versions_table).values(values).returning(_v.id))
    ).scalar_one()
    info = VersionInfo(
        new_id, item.room, now, item.kind, item.label, item.author, authors, len(state)
    )
    return VersionResult(info, created=True), True


async def _promote(conn: AsyncConnection, latest: Any, item: NewVersion) -> VersionInfo:
    """Saving a named version of a state an auto version already holds names that version."""
    info = info_from_row(latest)
    if item.kind != "named" or latest.kind != "auto":
        return info
    await conn.execute(
        update(versions_table)
        .where(_v.id == latest.id)
        .values(kind="named", label=item.label, author=item.author)
    )
    return VersionInfo(
        info.id,
        info.room,
        info.created_at,
        "named",
        item.label,
        item.author,
        info.authors,
        info.size_bytes,
    )


async def list_versions(
    conn: AsyncConnection, room: str, limit: int, before: int | None
) -> list[VersionInfo]:
    """Newest first, ids below `before`."""
    query = select(*_INFO_COLUMNS).where(_v.room == room).order_by(_v.id.desc()).limit(limit)
    if before is not None:
        query = query.where(_v.id < before)
    return [info_from_row(row) for row in await conn.execute(query)]


async def get_version(
    conn: AsyncConnection, room: str, version_id: int
) -> tuple[VersionInfo, bytes] | None:
    """One version with its decompressed state."""
    row = (
        await conn.execute(
            select(*_INFO_COLUMNS, _v.state).where(_v.room == room, _v.id == version_id)
        )
    ).first()
    if row is None:
        return None
    return info_from_row(row), zlib.decompress(row.state)


async def thin(conn: AsyncConnection, room: str, policy: RetentionPolicy, now: datetime) -> int:
    """Delete unlabelled auto versions the retention policy no longer keeps (the newest per
    bucket stays). Named, restore and labelled versions (such as the safety copy a restore
    saves first) are never deleted. The authors of a deleted version pass to the next one
    kept, so each version still lists everyone since the previous one."""
    rows = (
        await conn.execute(
            select(_v.id, _v.created_at, _v.kind, _v.label, _v.authors)
            .where(_v.room == room)
            .order_by(_v.id.desc())
        )
    ).all()
    seen: set[tuple[str, int]] = set()
    doomed: set[int] = set()
    for row in rows:
        if row.kind != "auto" or row.label is not None:
            continue
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        bucket = _bucket(now - created, created, policy)
        if bucket is None:
            continue
        if bucket in seen:
            doomed.add(row.id)
        seen.add(bucket)
    if not doomed:
        return 0
    carried: set[str] = set()
    for row in reversed(rows):  # oldest first
        if row.id in doomed:
            carried |= set(json.loads(row.authors))
        elif carried:
            merged = sorted(carried | set(json.loads(row.authors)))
            await conn.execute(
                update(versions_table).where(_v.id == row.id).values(authors=json.dumps(merged))
            )
            carried = set()
    await conn.execute(delete(versions_table).where(_v.id.in_(doomed)))
    return len(doomed)


def _bucket(age: Any, created: datetime, policy: RetentionPolicy) -> tuple[str, int] | None:
    if age < policy.keep_all:
        return None
    seconds = int(created.timestamp())
    if age < policy.hourly_until:
        return ("hour", seconds // 3600)
    return ("day", seconds // 86400)
