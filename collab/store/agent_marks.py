"""Which agent sessions were announced started in which room, and whether ended since
(`agent_session_marks`, migrations 0021 and 0022): agent.session.started and .ended are queued
in the transaction that moves the mark, so each is queued once whichever process sees the
session. A started mark holds `active_until`, moved forward by the session's edits and
presence; past it the session is idle and ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from collab.store.models import AgentSessionMarkRow

_marks = cast(Table, AgentSessionMarkRow.__table__)


@dataclass(frozen=True, slots=True)
class IdleSession:
    """A session ended for being idle: its room, id and the agent's credited name."""

    room: str
    session: str
    agent: str


def _insert(conn: AsyncConnection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(_marks)


async def start(
    conn: AsyncConnection, room: str, session: str, agent: str, at: datetime, until: datetime
) -> bool:
    """Mark the session started in `room` and active until `until` at least; whether it was
    not started (never, or ended since)."""
    values = {
        "room": room,
        "session": session,
        "started_at": at,
        "ended_at": None,
        "agent": agent,
        "active_until": until,
    }
    made = await conn.execute(_insert(conn).values(values).on_conflict_do_nothing())
    if made.rowcount == 1:
        return True
    mark = (_marks.c.room == room, _marks.c.session == session)
    again = await conn.execute(
        update(_marks)
        .where(*mark, _marks.c.ended_at.is_not(None))
        .values(started_at=at, ended_at=None, agent=agent, active_until=until)
    )
    if again.rowcount == 1:
        return True
    later = case(
        (_marks.c.active_until.is_(None), until),
        (_marks.c.active_until < until, until),
        else_=_marks.c.active_until,
    )
    await conn.execute(update(_marks).where(*mark).values(active_until=later, agent=agent))
    return False


async def end(conn: AsyncConnection, room: str, session: str, at: datetime) -> bool:
    """Mark the session ended in `room`; whether it was started and not ended."""
    ended = await conn.execute(
        update(_marks)
        .where(_marks.c.room == room, _marks.c.session == session, _marks.c.ended_at.is_(None))
        .values(ended_at=at)
    )
    return bool(ended.rowcount == 1)


async def end_idle(conn: AsyncConnection, at: datetime) -> list[IdleSession]:
    """Mark ended every started session whose `active_until` passed before `at`; those."""
    ended = await conn.execute(
        update(_marks)
        .where(_marks.c.ended_at.is_(None), _marks.c.active_until < at)
        .values(ended_at=at)
        .returning(_marks.c.room, _marks.c.session, _marks.c.agent)
    )
    return [IdleSession(room, session, agent or "agent") for room, session, agent in ended]


async def forget_room(conn: AsyncConnection, room: str) -> None:
    """Delete the room's marks (it is erased)."""
    await conn.execute(delete(_marks).where(_marks.c.room == room))
