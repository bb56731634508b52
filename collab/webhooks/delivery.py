"""Delivery of the outbox: the first event of each queue (a room and a URL), one request at a
time per queue, retried with backoff, deleted once delivered or given up.

A failing event holds the later events of its room for its URL until it succeeds or is given
up; other rooms and URLs are not held. Each attempt is counted in its row before the request
goes out, so after a crash the next attempt carries the next number and the same key. Memory is
bounded: at most `_IN_FLIGHT` requests, and one page of queue heads read at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from collab.webhooks import outbox
from collab.webhooks.leader import Leadership
from collab.webhooks.outbox import Claimed
from collab.webhooks.signing import signature

log = logging.getLogger(__name__)

# Requests in flight at once (each to a different queue), and how often the outbox is read
# when nothing wakes the deliverer (events queued by other processes of a cluster).
_IN_FLIGHT = 32
POLL = 1.0


@dataclass(frozen=True, slots=True)
class Policy:
    """How deliveries are signed, retried and bounded."""

    secret: str
    attempts: int = 8
    # Seconds before the first retry, doubled after each failure up to `backoff_max`; each
    # wait is drawn between half and all of that (jitter).
    backoff: float = 1.0
    backoff_max: float = 60.0
    queue_max: int = 100

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt`."""
        ceiling: float = min(self.backoff * 2 ** (attempt - 1), self.backoff_max)
        return ceiling * random.uniform(0.5, 1.0)


def headers(policy: Policy, claimed: Claimed, body: bytes) -> dict[str, str]:
    """The headers of one attempt, signed now."""
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "collab-webhooks",
        "Collab-Event": claimed.event.type,
        "Collab-Delivery": claimed.event.key,
        "Idempotency-Key": claimed.event.key,
        "Collab-Attempt": str(claimed.attempt),
        "Collab-Timestamp": str(timestamp),
        "Collab-Signature": signature(policy.secret, timestamp, body),
    }


@dataclass(frozen=True, slots=True)
class Landed:
    """An attempt whose request is over: None on success, else what went wrong."""

    claimed: Claimed
    error: str | None


class Deliverer:
    """Sends the outbox's events while this process holds the leadership, in rounds: one
    transaction records the attempts that landed, reads the queue heads and claims those due,
    then their requests go out at once (one per queue)."""

    def __init__(
        self,
        leadership: Leadership,
        urls: list[str],
        policy: Policy,
        client: httpx.AsyncClient,
    ) -> None:
        self._leadership = leadership
        self._urls = urls
        self._policy = policy
        self._client = client
        self._wake = asyncio.Event()
        # Queues with an attempt claimed and not yet recorded, and attempts over, to record.
        self._flying: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._landed: list[Landed] = []
        self._stopping = False

    def wake(self) -> None:
        """Events were queued: read the outbox now."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stopped (then what is due and in flight is finished and recorded
        first) or until the leadership is lost (LeadershipLost)."""
        try:
            while True:
                self._wake.clear()
                wait, idle = await self._round()
                if self._stopping and idle:
                    return
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
        finally:
            await self._cancel_flying()

    def stop(self) -> None:
        """Finish what is due and in flight, then return from `run`."""
        self._stopping = True
        self._wake.set()

    async def _round(self) -> tuple[float, bool]:
        """Record what landed, claim the due heads of queues not in flight, send them. Seconds
        until the next head not yet due is, and whether nothing is due, flying or landed."""
        landed, self._landed = self._landed, []
        try:
            async with self._leadership.transaction() as conn:
                await self._record(conn, landed)
                heads = await outbox.heads(conn, self._urls, 2 * _IN_FLIGHT)
                now = datetime.now(UTC)
                due = [h for h in heads if h.due <= now and (h.url, h.room) not in self._flying]
                room = max(0, _IN_FLIGHT - len(self._flying))
                claimed = await outbox.claim(conn, [head.id for head in due[:room]])
        except BaseException:
            self._landed[:0] = landed  # recorded next round (or by the next process)
            raise
        for attempt in claimed:
            queue = (attempt.url, attempt.event.room)
            self._flying[queue] = asyncio.create_task(self._send(attempt), name="collab webhook")
        later = [h.due for h in heads if h.due > now]
        wait = min(POLL, (min(later) - now).total_seconds()) if later else POLL
        return wait, not (due or self._flying or self._landed)

    async def _record(self, conn: AsyncConnection, landed: list[Landed]) -> None:
        """Delete the events delivered or given up, schedule the others' next attempt."""
        over, retries = [], []
        for attempt in landed:
            self._flying.pop((attempt.claimed.url, attempt.claimed.event.room), None)
            if attempt.error is None or attempt.claimed.attempt >= self._policy.attempts:
                over.append(attempt.claimed.id)
            else:
                retries.append((attempt.claimed.id, self._policy.delay(attempt.claimed.attempt)))
        now = datetime.now(UTC)
        await outbox.forget(conn, over)
        await outbox.retry_at(conn, [(i, now + timedelta(seconds=d)) for i, d in retries])
        for attempt in landed:
            _log(attempt, dict(retries))

    async def _send(self, claimed: Claimed) -> None:
        """Send one attempt, and leave its outcome for the next round to record."""
        try:
            error = await self._post(claimed)
        except Exception as failure:  # never expected: recorded as a failed attempt
            error = f"{type(failure).__name__}: {failure}"
        self._landed.append(Landed(claimed, error))
        self._wake.set()

    async def _post(self, claimed: Claimed) -> str | None:
        """Send one attempt; None on success, else what went wrong."""
        body = json.dumps(claimed.event.body(), separators=(",", ":"), ensure_ascii=False)
        data = body.encode()
        try:
            response = await self._client.post(
                claimed.url, content=data, headers=headers(self._policy, claimed, data)
            )
        except httpx.HTTPError as failure:
            return f"{type(failure).__name__}: {failure}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    async def _cancel_flying(self) -> None:
        tasks = list(self._flying.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._flying.clear()


def _log(attempt: Landed, delays: dict[int, float]) -> None:
    """One line per failed attempt: when it is tried again, or that it was given up."""
    claimed, error = attempt.claimed, attempt.error
    if error is None:
        return
    event = claimed.event
    what = f"webhook {event.type} {event.key} of room {event.room} to {claimed.url}"
    delay = delays.get(claimed.id)
    if delay is None:
        log.error("%s given up after %d attempts (%s): dropped", what, claimed.attempt, error)
    else:
        log.warning("%s failed (%s); attempt %d in %.1fs", what, error, claimed.attempt + 1, delay)
