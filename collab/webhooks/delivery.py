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
import functools
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from collab.webhooks import outbox
from collab.webhooks.leader import Leadership, LeadershipLost
from collab.webhooks.outbox import Claimed, Head
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


class Deliverer:
    """Sends the outbox's events while this process holds the leadership."""

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
        self._flying: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._stopping = False

    def wake(self) -> None:
        """Events were queued: read the outbox now."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stopped (then what is due and in flight is finished first) or until
        the leadership is lost (LeadershipLost)."""
        try:
            while True:
                self._wake.clear()
                heads = await self._heads()
                wait = self._start(heads)
                if self._stopping and not self._flying and not self._due(heads):
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

    async def _heads(self) -> list[Head]:
        async with self._leadership.transaction() as conn:
            return await outbox.heads(conn, self._urls, 2 * _IN_FLIGHT)

    def _due(self, heads: list[Head]) -> list[Head]:
        now = datetime.now(UTC)
        return [h for h in heads if h.due <= now and (h.url, h.room) not in self._flying]

    def _start(self, heads: list[Head]) -> float:
        """Send the due heads of queues not in flight; seconds until the next one is due."""
        for head in self._due(heads):
            if len(self._flying) >= _IN_FLIGHT:
                break
            queue = (head.url, head.room)
            task = asyncio.create_task(self._send(head.id), name=f"collab webhook {head.room}")
            self._flying[queue] = task
            task.add_done_callback(functools.partial(self._landed, queue))
        waiting = [h.due for h in heads if (h.url, h.room) not in self._flying]
        if not waiting:
            return POLL
        return min(POLL, max(0.0, (min(waiting) - datetime.now(UTC)).total_seconds()))

    def _landed(self, queue: tuple[str, str], task: asyncio.Task[None]) -> None:
        if self._flying.get(queue) is task:
            del self._flying[queue]
        self._wake.set()

    async def _send(self, event_id: int) -> None:
        """Claim the event, send it once, and record what happened."""
        try:
            async with self._leadership.transaction() as conn:
                claimed = await outbox.claim(conn, event_id)
            if claimed is not None:
                error = await self._post(claimed)
                await self._settle(claimed, error)
        except LeadershipLost:
            self._wake.set()  # run() finds out on its next read
        except Exception as failure:  # the database: the event stays, and is tried again
            log.warning("webhook delivery could not be recorded (%s); retrying", failure)
            await asyncio.sleep(POLL)

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

    async def _settle(self, claimed: Claimed, error: str | None) -> None:
        event = claimed.event
        if error is None or claimed.attempt >= self._policy.attempts:
            async with self._leadership.transaction() as conn:
                await outbox.forget(conn, claimed.id)
            if error is not None:
                log.error(
                    "webhook %s %s of room %s to %s given up after %d attempts (%s): dropped",
                    *(event.type, event.key, event.room, claimed.url, claimed.attempt, error),
                )
            return
        delay = self._policy.delay(claimed.attempt)
        async with self._leadership.transaction() as conn:
            await outbox.retry_at(conn, claimed.id, datetime.now(UTC) + timedelta(seconds=delay))
        log.warning(
            "webhook %s %s of room %s to %s failed (%s); attempt %d in %.1fs",
            *(event.type, event.key, event.room, claimed.url, error, claimed.attempt + 1, delay),
        )

    async def _cancel_flying(self) -> None:
        tasks = list(self._flying.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._flying.clear()
