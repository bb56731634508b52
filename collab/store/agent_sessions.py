"""What reverting an agent session reads: the updates the session made (rows of the log that
carry its id, migration 0019) and the log before its first one. Both must still be rows of
the log: once compaction folds them into the room's state they can no longer be told apart."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from collab.store.base import RevertHold
from collab.store.catalog import utc
from collab.store.models import AgentAuthorRow, RoomRow, RoomStateRow, UpdateRow
from collab.store.outage import translates_outages

_authors = cast(Table, AgentAuthorRow.__table__)
_rooms = cast(Table, RoomRow.__table__)
_states = cast(Table, RoomStateRow.__table__)
_updates = cast(Table, UpdateRow.__table__)


@dataclass(frozen=True, slots=True)
class SessionLog:
    """An agent session's updates in order, what to apply to rebuild the document as it
    stood before the first, and whether compaction folded any of that away (then neither
    is whole)."""

    updates: list[bytes]
    before: list[bytes]
    compacted: bool
    # A revert of the session was stored already (its update carries `reverted_mark`).
    reverted: bool = False
    # Everyone else's updates since the session's first, in order (a rich-text revert replays
    # them without the session's).
    others: list[bytes] = field(default_factory=list)
    # Every update since the session's first, its own included, in order: `before` and these
    # rebuild the document as committed when this was read.
    after: list[bytes] = field(default_factory=list)


def held_from(
    rows: Sequence[tuple[int, str | None, datetime]], now: datetime, hold: RevertHold
) -> int | None:
    """The first sequence number compaction must leave in the log so that every agent session
    edited within `hold.window` and not reverted can still be reverted (its rows and the log
    after its first one); None when none needs it, or when that would keep more than
    `hold.most_rows` rows. `rows`: the log's (seq, agent session, stored at), in order."""
    first: dict[str, int] = {}
    last: dict[str, datetime] = {}
    reverted: set[str] = set()
    for seq, session, at in rows:
        if session is None:
            continue
        if session.startswith(REVERTED):
            reverted.add(session[len(REVERTED) :])
            continue
        first.setdefault(session, seq)
        last[session] = at
    since = now - hold.window
    starts = [seq for s, seq in first.items() if s not in reverted and last[s] >= since]
    if not starts:
        return None
    boundary = min(starts)
    kept = sum(1 for seq, _, _ in rows if seq >= boundary)
    return boundary if kept <= hold.most_rows else None


def reverted_mark(session: str) -> str:
    """What a revert's update records as its session: the reverted session, marked."""
    return f"{REVERTED}{session}"


REVERTED = "r:"


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """An agent session's edits of a room as its log holds them: who (the name they are
    credited to), how many rows, when the first and last were stored, whether a revert of it
    was stored, and whether compaction folded any of them (then it cannot be reverted)."""

    session: str
    author: str
    edits: int
    first_at: datetime
    last_at: datetime
    reverted: bool
    compacted: bool


@dataclass(frozen=True, slots=True)
class AgentAuthor:
    """A name edits are credited to that is an agent's, and whose agent it is."""

    name: str
    agent: str
    person: str


def agent_author(author: str) -> AgentAuthor:
    """An agent's credited name ("AGENT (for PERSON)", auth.agent_display) read back."""
    agent, found, person = author.rpartition(" (for ")
    if not found:
        return AgentAuthor(author, author, "")
    return AgentAuthor(author, agent, person.removesuffix(")"))


@translates_outages
class SqlAgentSessions:
    """Reads agent sessions' updates from the log."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def remember_authors(self, authors: list[AgentAuthor]) -> None:
        """Record these names as agents' (once each)."""
        if not authors:
            return
        async with self._engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            rows = [{"author": a.name, "agent": a.agent, "person": a.person} for a in authors]
            await conn.execute(dialect.insert(_authors).values(rows).on_conflict_do_nothing())

    async def agent_authors(self, room: str, names: Collection[str]) -> dict[str, AgentAuthor]:
        """Which of these names are agents': as recorded, or as `room`'s log says (its rows
        carry the session of an agent's edit, before the record is written)."""
        wanted = sorted(set(names))
        if not wanted:
            return {}
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(_authors.c.author, _authors.c.agent, _authors.c.person).where(
                    _authors.c.author.in_(wanted)
                )
            )
            found = {row.author: AgentAuthor(row.author, row.agent, row.person) for row in rows}
            rest = [name for name in wanted if name not in found]
            if rest:
                logged = await conn.execute(
                    select(_updates.c.author)
                    .where(
                        _updates.c.room == room,
                        _updates.c.author.in_(rest),
                        _updates.c.agent_session.is_not(None),
                        ~_updates.c.agent_session.startswith(REVERTED),
                    )
                    .distinct()
                )
                found.update((name, agent_author(name)) for name in logged.scalars())
        return found

    async def sessions(self, room: str) -> list[SessionSummary]:
        """The agent sessions whose edits the room's log holds, most recently active first."""
        seq = _updates.c.seq
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        _updates.c.agent_session,
                        func.max(_updates.c.author),
                        func.count(),
                        func.min(_updates.c.created_at),
                        func.max(_updates.c.created_at),
                        func.min(seq),
                    )
                    .where(_updates.c.room == room, _updates.c.agent_session.is_not(None))
                    .group_by(_updates.c.agent_session)
                )
            ).all()
            head = select(_rooms.c.compacted_seq).where(_rooms.c.name == room)
            compacted_seq = int((await conn.execute(head)).scalar_one_or_none() or 0)
        marks = {row[0][len(REVERTED) :] for row in rows if row[0].startswith(REVERTED)}
        found = [
            SessionSummary(
                row[0],
                row[1] or "",
                int(row[2]),
                utc(row[3]),
                utc(row[4]),
                row[0] in marks,
                compacted_seq >= int(row[5]),
            )
            for row in rows
            if not row[0].startswith(REVERTED)
        ]
        found.sort(key=lambda s: s.last_at, reverse=True)
        return found

    async def session_log(self, room: str, session: str) -> SessionLog | None:
        """The session's updates in `room` and the document before them; None when the log
        holds none of its updates."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(_updates.c.seq, _updates.c.data)
                    .where(_updates.c.room == room, _updates.c.agent_session == session)
                    .order_by(_updates.c.seq)
                )
            ).all()
            if not rows:
                return None
            first = int(rows[0][0])
            head = select(_rooms.c.compacted_seq).where(_rooms.c.name == room)
            compacted_seq = int((await conn.execute(head)).scalar_one())
            state = select(_states.c.state).where(_states.c.room == room)
            stored = (await conn.execute(state)).scalar_one_or_none()
            earlier = (
                await conn.execute(
                    select(_updates.c.data)
                    .where(_updates.c.room == room, _updates.c.seq < first)
                    .order_by(_updates.c.seq)
                )
            ).scalars()
            before = ([bytes(stored)] if stored else []) + [bytes(d) for d in earlier]
            since = (
                await conn.execute(
                    select(_updates.c.data, _updates.c.agent_session)
                    .where(_updates.c.room == room, _updates.c.seq >= first)
                    .order_by(_updates.c.seq)
                )
            ).all()
            after = [bytes(row[0]) for row in since]
            others = [bytes(row[0]) for row in since if row[1] != session]
            mark = select(_updates.c.id).where(
                _updates.c.room == room, _updates.c.agent_session == reverted_mark(session)
            )
            reverted = (await conn.execute(mark.limit(1))).first() is not None
        updates = [bytes(row[1]) for row in rows]
        return SessionLog(updates, before, compacted_seq >= first, reverted, others, after)
