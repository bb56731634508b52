"""Announcing: turns committed changes into queued webhook events, one transaction per batch of
rooms (outbox.py), after the commits they report.

This process's commits open a window per room (`committed`, a writer observer, and `deleted`
only note them: no awaits, so a commit never waits on webhooks); `debounce` seconds after a
room's first commit its window closes and the room is announced: one document.changed for all
its commits. A version recorded or a room deleted closes the window at once, so the changes
before it are announced first. What the window knew is a hint only (authors of rows compacted
since, the live state vector): the events are made from what the database holds past the
room's mark, so a window lost in a crash is announced by `sweep` all the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collab.store.base import Appended, NewUpdate, NewVersion, VersionInfo
from collab.webhooks import events, outbox
from collab.webhooks.events import Committed, Event, Mark

log = logging.getLogger(__name__)

# Rooms announced in one transaction, and seconds before announcing again after a failure.
_BATCH = 100
_RETRY = 1.0


@dataclass(slots=True)
class Window:
    """What this process committed to a room since it last announced it: who wrote (and the
    last sequence number each wrote), and existing versions it named (no row records those)."""

    authors: dict[str, int] = field(default_factory=dict)
    named: list[VersionInfo] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None

    def join(self, other: Window) -> None:
        """Take in an older window (announcing it failed)."""
        for author, seq in other.authors.items():
            self.authors[author] = max(seq, self.authors.get(author, 0))
        self.named[:0] = other.named


class Announcer:
    """Announces this process's commits, and whatever a sweep finds unannounced."""

    def __init__(
        self,
        engine: AsyncEngine,
        urls: list[str],
        *,
        queue_max: int,
        debounce: float,
        state_vector: Callable[[str], bytes | None],
        queued: Callable[[], None],
    ) -> None:
        self._engine = engine
        self._urls = urls
        self._queue_max = queue_max
        self._debounce = debounce
        self._state_vector = state_vector
        self._queued = queued  # events were queued: wake the deliverer
        self._windows: dict[str, Window] = {}
        self._due: set[str] = set()
        self._wake = asyncio.Event()
        self._begun = False

    def committed(self, rows: list[NewUpdate | NewVersion], appended: Appended) -> None:
        """Writer observer: open or extend the window of every room with new rows; announce at
        once the rooms that recorded (or named) a version."""
        for row in rows:
            if isinstance(row, NewUpdate) and (seqs := appended.seqs.get(row.room)):
                window = self._window(row.room)
                if row.author is not None:
                    window.authors[row.author] = seqs[1]
        versions = iter(appended.versions)
        for row in rows:
            if not isinstance(row, NewVersion):
                continue
            result = next(versions, None)
            if result is None:
                continue
            if not result.created and row.kind == "named":
                self._window(row.room).named.append(result.info)
            if result.created or row.kind == "named":
                self._close(row.room)

    def deleted(self, room: str) -> None:
        """A delete of `room` committed on this process: announce it now."""
        self._window(room)
        self._close(room)

    async def begin(self) -> None:
        """Mark where every stored room stands, the first time webhooks run on this database
        (so the history before is not announced); once per process."""
        if self._begun:
            return
        async with self._engine.begin() as conn:
            marked = await outbox.begin(conn)
        if marked:
            log.info("webhooks begin: %d stored rooms marked where they stand", marked)
        self._begun = True

    async def run(self) -> None:
        """Announce the rooms whose window closed, for as long as the process runs."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            rooms, self._due = sorted(self._due), set()
            try:
                await self.begin()
                await self.announce(rooms)
            except asyncio.CancelledError:
                self._due.update(rooms)  # for `close` (announcing twice queues nothing twice)
                raise
            except Exception as failure:  # the database: the rooms wait and are tried again
                log.warning("webhook events could not be queued (%s); retrying", failure)
                self._due.update(rooms)
                await asyncio.sleep(_RETRY)
                self._wake.set()

    async def announce(self, rooms: Sequence[str]) -> None:
        """Queue the events of what these rooms committed past their marks (their windows'
        hints taken in, given back if the transaction fails)."""
        for at in range(0, len(rooms), _BATCH):
            batch = rooms[at : at + _BATCH]
            taken = {room: self._take(room) for room in batch}
            try:
                async with self._engine.begin() as conn:
                    queued = await self._announce(conn, batch, taken)
            except BaseException:
                self._give_back(taken)
                raise
            if queued:
                self._queued()

    async def sweep(self, settled_for: float) -> int:
        """Announce every room with changes committed past its mark and none for `settled_for`
        seconds (windows a crash lost, here or on another process); how many rooms."""
        settled = datetime.now(UTC) - timedelta(seconds=settled_for)
        after, swept = "", 0
        while True:
            async with self._engine.connect() as conn:
                rooms = await outbox.rooms_behind(conn, after, settled, _BATCH)
            if not rooms:
                return swept
            await self.announce(rooms)
            swept += len(rooms)
            after = rooms[-1]

    async def close(self) -> None:
        """Announce every open window now (after the last commits)."""
        rooms = sorted(set(self._windows) | self._due)
        for room in rooms:
            self._close(room)
        self._due.clear()
        if rooms:
            await self.begin()
            await self.announce(rooms)

    def _window(self, room: str) -> Window:
        window = self._windows.get(room)
        if window is None:
            window = self._windows[room] = Window()
            loop = asyncio.get_running_loop()
            window.timer = loop.call_later(self._debounce, self._close, room)
        return window

    def _close(self, room: str) -> None:
        """The room's window closed: announce it."""
        window = self._windows.get(room)
        if window is not None and window.timer is not None:
            window.timer.cancel()
            window.timer = None
        self._due.add(room)
        self._wake.set()

    def _take(self, room: str) -> Window:
        window = self._windows.pop(room, None) or Window()
        if window.timer is not None:
            window.timer.cancel()
        return window

    def _give_back(self, taken: dict[str, Window]) -> None:
        for room, window in taken.items():
            if window.authors or window.named:
                self._window(room).join(window)

    async def _announce(
        self, conn: AsyncConnection, rooms: Sequence[str], windows: dict[str, Window]
    ) -> int:
        """Lock the rooms' marks, queue the events of what they committed past them, move the
        marks: one transaction. How many events were queued."""
        marks = await outbox.lock_marks(conn, rooms)
        made: list[Event] = []
        moved: dict[str, Mark] = {}
        for room, committed in sorted((await outbox.committed_since(conn, marks)).items()):
            mark, window = marks[room], windows.get(room) or Window()
            committed = _with_hints(committed, mark, window)
            made += events.room_events(room, mark, committed, self._state_vector(room))
            made += [events.version_recorded(info, created=False) for info in window.named]
            if (moved_to := events.announced(mark, committed)) != mark:
                moved[room] = moved_to
        queued = await outbox.queue(conn, made, self._urls, self._queue_max, datetime.now(UTC))
        await outbox.set_marks(conn, moved)
        for room, url, kind, key in queued.dropped:
            log.error(
                "webhook queue of room %s for %s is full: dropped %s %s", room, url, kind, key
            )
        return len(made)


def _with_hints(committed: Committed, mark: Mark, window: Window) -> Committed:
    """The authors the database still names, then those of this process's window who wrote
    rows in the range announced (their rows may be compacted since)."""
    authors = list(committed.authors)
    for author, seq in window.authors.items():
        if mark.seq < seq <= committed.head.seq and author not in authors:
            authors.append(author)
    return Committed(committed.head, authors, committed.versions)
