"""Writer observer: the names agents' edits are credited to ("Scribe (for Ada)") are recorded
as agents' (store/agent_sessions.py), so history shows them as agents, with the person they
act for, after the log rows that carried their session are compacted away. Each name is
written once per process, in the background; the update path never waits for it."""

from __future__ import annotations

import asyncio
import logging

from collab.store.agent_sessions import REVERTED, AgentAuthor, SqlAgentSessions, agent_author
from collab.store.base import Appended, NewUpdate, NewVersion

log = logging.getLogger(__name__)

# Names this process remembers having recorded (past it, the database's conflict rule tells).
_KEPT = 10_000


class AgentAuthors:
    """Records agents' credited names as their edits commit."""

    def __init__(self, sessions: SqlAgentSessions) -> None:
        self._sessions = sessions
        self._seen: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, rows: list[NewUpdate | NewVersion], appended: Appended) -> None:
        found = {
            row.author
            for row in rows
            if isinstance(row, NewUpdate)
            and row.session is not None
            and not row.session.startswith(REVERTED)
            and row.author is not None
            and row.author not in self._seen
        }
        if not found:
            return
        if len(self._seen) + len(found) > _KEPT:
            self._seen.clear()
        self._seen |= found
        task = asyncio.create_task(self._record([agent_author(name) for name in sorted(found)]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Let the records under way finish (the server stops)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _record(self, authors: list[AgentAuthor]) -> None:
        try:
            await self._sessions.remember_authors(authors)
        except Exception as failure:  # the database: recorded at the agent's next edit
            self._seen.difference_update(a.name for a in authors)
            log.warning("agents' names could not be recorded (%s)", failure)
