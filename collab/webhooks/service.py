"""Webhooks: this process's part in the durable outbox.

Every process announces its own commits (announce.py); the one process holding the outbox's
lock (leader.py) delivers every process's events (delivery.py) and sweeps up changes whose
announcement a crash lost: when it takes the lock, and every `webhook_sweep_interval` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collab.config import Settings
from collab.store import agent_marks
from collab.store.agent_sessions import REVERTED
from collab.store.base import Appended, NewUpdate, NewVersion
from collab.store.comments import CommentChange
from collab.webhooks import events, outbox
from collab.webhooks.announce import Announcer
from collab.webhooks.delivery import POLL, Deliverer, Policy
from collab.webhooks.leader import Leadership, LeadershipLost

log = logging.getLogger(__name__)

# Seconds shutdown gives deliveries in flight (and events due) before leaving them to the
# next process that delivers.
FLUSH_TIMEOUT = 5.0
# Seconds delivery pauses after the database failed it.
_PAUSE = 5.0
# Agent sessions whose activity this process remembers having stored (past it, it forgets
# them all and stores the next activity of each).
_ACTIVE_KEPT = 10_000

# Whether an event is to be queued, asked inside the transaction that queues it.
_Condition = Callable[[AsyncConnection, datetime], Awaitable[bool]]


class Webhooks:
    """The webhooks of one process. `state_vector(room)`: the live room's, or None."""

    def __init__(
        self, settings: Settings, engine: AsyncEngine, state_vector: Callable[[str], bytes | None]
    ) -> None:
        assert settings.webhook_secret is not None  # Settings.check
        self._client = httpx.AsyncClient(timeout=settings.webhook_timeout)
        urls = settings.webhook_url_list()
        policy = Policy(
            settings.webhook_secret,
            attempts=settings.webhook_attempts,
            backoff=settings.webhook_backoff,
            queue_max=settings.webhook_queue_max,
        )
        self._leadership = Leadership(engine)
        self._deliverer = Deliverer(self._leadership, urls, policy, self._client)
        self._announcer = Announcer(
            engine,
            urls,
            queue_max=policy.queue_max,
            debounce=settings.webhook_debounce,
            state_vector=state_vector,
            queued=self._deliverer.wake,
        )
        self._urls = urls
        self._engine = engine
        self._queueing: set[asyncio.Task[None]] = set()
        self._queue_max = policy.queue_max
        self._debounce = settings.webhook_debounce
        self._sweep_every = settings.webhook_sweep_interval
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._idle_after = settings.agent_idle_timeout
        # Per agent session and room: until when (time.monotonic()) its stored mark keeps it
        # active. Activity is stored again once that moves by a quarter of the idle time.
        self._active_until: dict[tuple[str, str], float] = {}

    def committed(self, rows: list[NewUpdate | NewVersion], appended: Appended) -> None:
        """Writer observer: note the commits (never waits); an agent session's edits keep it
        active in their room, and the first starts it (agent.session.started)."""
        self._announcer.committed(rows, appended)
        for row in rows:
            session = row.session if isinstance(row, NewUpdate) else None
            if session is None or session.startswith(REVERTED):  # a revert's own edit
                continue
            self.agent_session_active(row.room, session, row.author or "agent", "edit")

    def agent_session_active(
        self, room: str, session: str, agent: str, via: str, held_for: float = 0.0
    ) -> None:
        """An agent session edited or showed its presence (held `held_for` seconds) in `room`:
        it stays active for the idle time after that; queue agent.session.started unless it
        was started already (and not ended since)."""
        key = (room, session)
        until = time.monotonic() + held_for + self._idle_after
        stored = self._active_until.get(key)
        if stored is not None and until - stored < self._idle_after / 4:
            return  # its stored mark still keeps it active long enough
        if len(self._active_until) >= _ACTIVE_KEPT:
            self._active_until.clear()
        self._active_until[key] = until
        event = events.agent_session_started(room, session, agent, via)
        hold = timedelta(seconds=held_for + self._idle_after)

        def start(conn: AsyncConnection, at: datetime) -> Awaitable[bool]:
            return agent_marks.start(conn, room, session, agent, at, at + hold)

        self._queue_soon(event, start)

    def agent_session_ended(self, room: str, session: str, agent: str, reason: str) -> None:
        """An agent's presence in `room` was cleared or expired: queue agent.session.ended if
        it was started and not ended yet."""
        self._active_until.pop((room, session), None)
        event = events.agent_session_ended(room, session, agent, reason)
        self._queue_soon(event, lambda conn, at: agent_marks.end(conn, room, session, at))

    def deleted(self, room: str) -> None:
        """A delete of `room` committed on this process (never waits)."""
        self._announcer.deleted(room)

    def restored(self, room: str) -> None:
        """A room came back from the trash on this process: queue room.restored (never waits)."""
        self._queue_soon(events.room_restored(room))

    def agent_session_reverted(self, room: str, session: str, by: str) -> None:
        """An agent session was reverted on this process: queue agent.session.reverted."""
        self._queue_soon(events.agent_session_reverted(room, session, by))

    def purged(self, room: str) -> None:
        """This process erased a room in the trash: queue room.purged (never waits)."""
        self._queue_soon(events.room_purged(room))

    def _queue_soon(self, event: events.Event, when: _Condition | None = None) -> None:
        task = asyncio.create_task(self._queue(event, when), name=f"collab webhook {event.type}")
        self._queueing.add(task)
        task.add_done_callback(self._queueing.discard)

    async def _queue(self, event: events.Event, when: _Condition | None = None) -> None:
        """Queue `event` (if `when`, run in the same transaction, says so)."""
        try:
            async with self._engine.begin() as conn:
                at = datetime.now(UTC)
                if when is not None and not await when(conn, at):
                    return
                await outbox.queue(conn, [event], self._urls, self._queue_max, at)
        except Exception as failure:  # the database: the event is lost, and said so
            log.warning(
                "webhooks: %s of %s could not be queued (%s)", event.type, event.room, failure
            )
            return
        self._deliverer.wake()

    async def comment_changed(self, conn: AsyncConnection, change: CommentChange) -> None:
        """Store observer: queue the comment.* events inside the change's own transaction (they
        are delivered if and only if the change is stored)."""
        made = events.comment_events(change)
        await outbox.queue(conn, made, self._urls, self._queue_max, datetime.now(UTC))
        self._deliverer.wake()  # the leader polls anyway, should this run before the commit

    async def start(self) -> None:
        """Mark the stored rooms if webhooks never ran on this database, then announce and
        (while this process holds the lock) deliver in the background."""
        try:
            await self._announcer.begin()
        except Exception as failure:  # the database: announcing begins once it answers
            log.warning("webhooks: the outbox could not be read (%s); retrying", failure)
        self._tasks = [
            asyncio.create_task(self._announcer.run(), name="collab webhook announcer"),
            asyncio.create_task(self._lead(), name="collab webhook deliverer"),
        ]

    async def close(self) -> None:
        """Queue the events of open windows, give deliveries `FLUSH_TIMEOUT` seconds, stop;
        what is left stays in the outbox for the next process that delivers."""
        announcer, leading = self._tasks or (None, None)
        self._closing = True
        try:
            await asyncio.gather(*self._queueing)  # events of restores and purges just made
            await _stop(announcer)
            try:
                await self._announcer.close()
            except Exception as failure:  # the database: the sweep finds them later
                log.warning("shutdown: webhook events could not be queued (%s)", failure)
            self._deliverer.stop()
            if leading is not None and self._leadership.held:
                done, _ = await asyncio.wait([leading], timeout=FLUSH_TIMEOUT)
                if not done:
                    log.warning("shutdown: webhook events left in the outbox for the next start")
                await _stop(leading)
        finally:
            await self._leadership.release()
            await self._client.aclose()

    async def _lead(self) -> None:
        """Take the lock when it is free, then deliver and sweep until it is lost."""
        said = False  # that this process delivers
        while not self._closing:
            pause = POLL
            try:
                if await self._leadership.acquire():
                    if not said:
                        log.info("webhooks: this process delivers (it holds the outbox's lock)")
                        said = True
                    await self._deliver()
                    return  # stopped
            except LeadershipLost as lost:
                log.warning("webhooks: %s; this process stops delivering", lost)
                said = False
            except Exception as failure:  # the database: try again
                log.warning("webhooks: delivery paused (%s); retrying in %.0fs", failure, _PAUSE)
                await self._leadership.release()
                said, pause = self._leadership.held, _PAUSE
            await asyncio.sleep(pause)

    async def _deliver(self) -> None:
        async with self._leadership.transaction() as conn:
            dropped = await outbox.drop_other_urls(conn, self._urls)
        if dropped:
            log.warning("webhooks: %d events for URLs no longer configured dropped", dropped)
        sweeper = asyncio.create_task(self._sweep(), name="collab webhook sweeper")
        try:
            await self._deliverer.run()
        finally:
            await _stop(sweeper)

    async def _sweep(self) -> None:
        """Announce what nobody announced: everything at first (windows open elsewhere are
        cut short, harmlessly), then what settled since (other processes announce theirs);
        end the agent sessions gone idle."""
        settled_for = 0.0
        while True:
            try:
                await self._end_idle_sessions()
                await self._announcer.begin()
                swept = await self._announcer.sweep(settled_for)
                settled_for = self._debounce + POLL
                if swept:
                    log.info(
                        "webhooks: announced changes of %d rooms no event announced yet", swept
                    )
            except Exception as failure:
                log.warning(
                    "webhooks: sweep failed (%s); next in %.0fs", failure, self._sweep_every
                )
            await asyncio.sleep(self._sweep_every)

    async def _end_idle_sessions(self) -> None:
        """Mark ended the agent sessions no edit or presence kept active, queueing
        agent.session.ended ("idle") for each in the same transaction."""
        async with self._engine.begin() as conn:
            at = datetime.now(UTC)
            idle = await agent_marks.end_idle(conn, at)
            made = [events.agent_session_ended(i.room, i.session, i.agent, "idle") for i in idle]
            if made:
                await outbox.queue(conn, made, self._urls, self._queue_max, at)
        if idle:
            log.info("webhooks: %d idle agent sessions ended", len(idle))
            self._deliverer.wake()


async def _stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
