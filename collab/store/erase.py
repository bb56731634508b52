"""SQL that removes what is stored for a room, leaving its row as a tombstone: one code for a
delete (at once) and for a purge of the trash (store/trash.py), so both free the same rows. A
table of per-room data added later is erased here (its foreign key's ON DELETE CASCADE does
not fire: the room row stays)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from collab.store import agent_marks, blame, versions
from collab.store.access import forget_room
from collab.store.comments import forget_room as forget_comments
from collab.store.images import forget_room as forget_images
from collab.store.models import RoomRow, RoomStateRow, UpdateRow

_rooms = cast(Table, RoomRow.__table__)
_states = cast(Table, RoomStateRow.__table__)
_updates = cast(Table, UpdateRow.__table__)


def tombstone_values(room: str) -> dict[str, Any]:
    """The columns of a room row once its data is gone (its name and epoch stay)."""
    return {
        "compacted_seq": _rooms.c.seq,
        "state_bytes": 0,
        "log_count": 0,
        "log_bytes": 0,
        "kind": None,
        "title": None,
        "title_key": room.casefold(),
        "quarantined": None,
        "quarantined_at": None,
        "owner_id": None,
        "org_role": None,
        "trashed_at": None,
        "trashed_by": None,
    }


async def erase_rows(conn: AsyncConnection, room: str) -> None:
    """Delete the room's log, state, versions, grants, visits, comments, images, blame
    ranges and agent sessions' marks (inside the transaction that makes its row a tombstone)."""
    await conn.execute(delete(_updates).where(_updates.c.room == room))
    await conn.execute(delete(_states).where(_states.c.room == room))
    await conn.execute(
        delete(versions.versions_table).where(versions.versions_table.c.room == room)
    )
    await conn.execute(delete(versions.authors_table).where(versions.authors_table.c.room == room))
    await forget_room(conn, room)
    await forget_comments(conn, room)
    await forget_images(conn, room)
    await blame.forget_room(conn, room)
    await agent_marks.forget_room(conn, room)
