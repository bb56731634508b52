"""Delivery: one queue per (room, URL), sent one event at a time, retried with backoff.

A failing delivery holds the later events of its room for its URL until it succeeds or is
given up; other rooms and URLs are not held. Queues are bounded: a document.changed queued
behind another merges into it, and past `queue_max` events the oldest waiting one is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import deque
from dataclasses import dataclass

import httpx

from collab.webhooks.events import CHANGED, Event, merge_changed
from collab.webhooks.signing import signature

log = logging.getLogger(__name__)


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


@dataclass(slots=True)
class Counts:
    """What happened to events, for logs and status."""

    delivered: int = 0
    failed: int = 0  # given up after the last attempt
    dropped: int = 0  # dropped from a full queue before any attempt
    merged: int = 0  # document.changed merged into the one queued before it


class _Outbox:
    """The events of one room for one URL."""

    def __init__(self) -> None:
        self.waiting: deque[Event] = deque()
        self.task: asyncio.Task[None] | None = None


class Deliveries:
    """Every outbox of one process, and the tasks sending them."""

    def __init__(self, urls: list[str], policy: Policy, client: httpx.AsyncClient) -> None:
        self._urls = urls
        self._policy = policy
        self._client = client
        self._outboxes: dict[tuple[str, str], _Outbox] = {}
        self.counts = Counts()

    def put(self, event: Event) -> None:
        """Queue an event for every URL (never waits)."""
        for url in self._urls:
            key = (event.room, url)
            outbox = self._outboxes.get(key)
            if outbox is None:
                outbox = self._outboxes[key] = _Outbox()
            self._queue(outbox, event, url)
            if outbox.task is None:
                outbox.task = asyncio.create_task(
                    self._send(key, outbox), name=f"collab webhook {event.room}"
                )

    def pending(self) -> int:
        """Events waiting, over every outbox (not counting those in flight)."""
        return sum(len(outbox.waiting) for outbox in self._outboxes.values())

    async def close(self, flush_timeout: float) -> None:
        """Wait up to `flush_timeout` seconds for queued events to be sent, then cancel."""
        tasks = {outbox.task for outbox in self._outboxes.values() if outbox.task is not None}
        if tasks:
            _, left = await asyncio.wait(tasks, timeout=flush_timeout)
            for task in left:
                task.cancel()
            for task in left:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if left:
                log.warning("shutdown: webhook events of %d rooms were not delivered", len(left))

    def _queue(self, outbox: _Outbox, event: Event, url: str) -> None:
        waiting = outbox.waiting
        if event.type == CHANGED and waiting and waiting[-1].type == CHANGED:
            waiting[-1] = merge_changed(waiting[-1], event)
            self.counts.merged += 1
            return
        if len(waiting) >= self._policy.queue_max:
            dropped = waiting.popleft()
            self.counts.dropped += 1
            log.error(
                "webhook queue of room %s for %s is full: dropped %s %s",
                event.room,
                url,
                dropped.type,
                dropped.id,
            )
        waiting.append(event)

    async def _send(self, key: tuple[str, str], outbox: _Outbox) -> None:
        try:
            while outbox.waiting:
                await self._deliver(key[1], outbox.waiting.popleft())
        finally:
            # No await between the loop's last check and here: nothing is queued unseen.
            outbox.task = None
            if not outbox.waiting:
                del self._outboxes[key]

    async def _deliver(self, url: str, event: Event) -> None:
        body = json.dumps(event.body(), separators=(",", ":"), ensure_ascii=False).encode()
        policy = self._policy
        error = ""
        for attempt in range(1, policy.attempts + 1):
            timestamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "collab-webhooks",
                "Collab-Event": event.type,
                "Collab-Delivery": event.id,
                "Collab-Attempt": str(attempt),
                "Collab-Timestamp": str(timestamp),
                "Collab-Signature": signature(policy.secret, timestamp, body),
            }
            try:
                response = await self._client.post(url, content=body, headers=headers)
                if 200 <= response.status_code < 300:
                    self.counts.delivered += 1
                    return
                error = f"HTTP {response.status_code}"
            except httpx.HTTPError as failure:
                error = f"{type(failure).__name__}: {failure}"
            if attempt == policy.attempts:
                break
            delay = min(policy.backoff * 2 ** (attempt - 1), policy.backoff_max)
            delay *= random.uniform(0.5, 1.0)
            log.warning(
                "webhook %s %s of room %s to %s failed (%s); attempt %d in %.1fs",
                event.type,
                event.id,
                event.room,
                url,
                error,
                attempt + 1,
                delay,
            )
            await asyncio.sleep(delay)
        self.counts.failed += 1
        log.error(
            "webhook %s %s of room %s to %s given up after %d attempts (%s): dropped",
            event.type,
            event.id,
            event.room,
            url,
            policy.attempts,
            error,
        )
