"""Which agent sessions were announced started in which room, and whether ended since
(`agent_session_marks`, migration 0021): agent.session.started and .ended are queued in the
transaction that moves the mark, so each is queued once whichever process sees the session."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from collab.store.models import AgentSessionMarkRow

_marks = cast(Table, AgentSessionMarkRow.__table__)


def _insert(conn: AsyncConnection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(_marks)


async def start(conn: AsyncConnection, room: str, session: str, at: datetime) -> bool:
    """Mark the session started in `room`; whether it was not (never, or ended since)."""
    values = {"room": room, "session": session, "started_at": at, "ended_at": None}
    made = await conn.execute(_insert(conn).values(values).on_conflict_do_nothing())
    if made.rowcount == 1:
        return True
    again = await conn.execute(
        update(_marks)
        .where(_marks.c.room == room, _marks.c.session == session, _marks.c.ended_at.is_not(None))
        .values(started_at=at, ended_at=None)
    )
    return bool(again.rowcount == 1)


async def end(conn: AsyncConnection, room: str, session: str, at: datetime) -> bool:
    """Mark the session ended in `room`; whether it was started and not ended."""
    ended = await conn.execute(
        update(_marks)
        .where(_marks.c.room == room, _marks.c.session == session, _marks.c.ended_at.is_(None))
        .values(ended_at=at)
    )
    return bool(ended.rowcount == 1)


async def forget_room(conn: AsyncConnection, room: str) -> None:
    """Delete the room's marks (it is erased)."""
    await conn.execute(delete(_marks).where(_marks.c.room == room))
