"""Webhooks: turns this process's commits and deletes into events, debounced per room.

`committed` is a writer observer and `deleted` is called after a delete: both only queue (no
awaits), so a commit never waits on a receiver. Delivery runs in tasks (outbox.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from collab.config import Settings
from collab.store.base import Appended, NewUpdate, NewVersion
from collab.webhooks import events
from collab.webhooks.events import ChangeWindow
from collab.webhooks.outbox import Counts, Deliveries, Policy

# Seconds shutdown waits for queued events to be delivered before cancelling them.
FLUSH_TIMEOUT = 5.0


class Webhooks:
    """The webhook events of one process. `state_vector(room)`: the live room's, or None."""

    def __init__(self, settings: Settings, state_vector: Callable[[str], bytes | None]) -> None:
        assert settings.webhook_secret is not None  # Settings.check
        self._debounce = settings.webhook_debounce
        self._state_vector = state_vector
        self._client = httpx.AsyncClient(timeout=settings.webhook_timeout)
        policy = Policy(
            settings.webhook_secret,
            attempts=settings.webhook_attempts,
            backoff=settings.webhook_backoff,
            queue_max=settings.webhook_queue_max,
        )
        self._deliveries = Deliveries(settings.webhook_url_list(), policy, self._client)
        self._windows: dict[str, ChangeWindow] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    @property
    def counts(self) -> Counts:
        """Delivered, failed, dropped and merged events so far."""
        return self._deliveries.counts

    def committed(self, rows: list[NewUpdate | NewVersion], appended: Appended) -> None:
        """Writer observer: open or extend the change window of every room with new updates,
        then announce the versions (each after the changes it holds)."""
        authors: dict[str, list[str]] = {}
        for row in rows:
            if isinstance(row, NewUpdate):
                names = authors.setdefault(row.room, [])
                if row.author is not None and row.author not in names:
                    names.append(row.author)
        for room, names in authors.items():
            seqs = appended.seqs.get(room)
            if seqs is not None:
                self._changed(room, seqs, names)
        versions = iter(appended.versions)
        for row in rows:
            if not isinstance(row, NewVersion):
                continue
            result = next(versions, None)
            if result is not None and (result.created or row.kind == "named"):
                self._flush(row.room)
                self._deliveries.put(events.version_recorded(result.info, created=result.created))

    def deleted(self, room: str) -> None:
        """A delete of `room` ran on this process."""
        self._flush(room)
        self._deliveries.put(events.room_deleted(room))

    async def close(self) -> None:
        """Announce open change windows, deliver what is queued (briefly), stop."""
        for room in list(self._windows):
            self._flush(room)
        try:
            await self._deliveries.close(FLUSH_TIMEOUT)
        finally:
            await self._client.aclose()

    def _changed(self, room: str, seqs: tuple[int, int], authors: list[str]) -> None:
        window = self._windows.get(room)
        if window is not None:
            window.add(seqs[0], seqs[1], authors)
            return
        self._windows[room] = ChangeWindow(seqs[0], seqs[1], list(authors))
        loop = asyncio.get_running_loop()
        self._timers[room] = loop.call_later(self._debounce, self._flush, room)

    def _flush(self, room: str) -> None:
        """Announce the room's open change window, if any, now."""
        timer = self._timers.pop(room, None)
        if timer is not None:
            timer.cancel()
        window = self._windows.pop(room, None)
        if window is not None:
            self._deliveries.put(events.changed(room, window, self._state_vector(room)))
