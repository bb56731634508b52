"""A room's awareness changes to its peers: at once when the room was quiet, coalesced when busy.

Stock y-websocket clients renew their state every 15 s, move cursors on every keystroke and send
every state they receive back to the server, so a room of n people relays each change to n
peers and reads n - 1 echoes of it. While changes keep coming, the relay holds them for at most
`window` seconds and sends one message with the latest entry per client id: a burst of k changes
(people joining, everyone typing) then costs one frame per peer and one echo per peer instead of
k of each. The first change after a quiet window goes out at once, so a lone cursor move is never
delayed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from collab.protocol.awareness import AwarenessEntry, encode_awareness_entries
from collab.protocol.messages import encode_awareness

# The longest a change waits for others to share its message (seconds).
DEFAULT_WINDOW = 0.05


class AwarenessRelay:
    """Sends awareness entries to a room's peers through its `broadcast` (one frame for all).
    Holds on to `broadcast`, and so to the room, only while something is pending: an idle relay
    ties nothing together, so an unloaded room is freed without the cyclic collector."""

    __slots__ = ("_broadcast", "_last_sent", "_pending", "_timer", "window")

    def __init__(self, window: float = DEFAULT_WINDOW) -> None:
        self._broadcast: Callable[[bytes], None] | None = None
        self.window = window
        self._pending: dict[int, AwarenessEntry] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._last_sent = -window

    def relay(self, entries: list[AwarenessEntry], broadcast: Callable[[bytes], None]) -> None:
        """Send `entries` now if nothing went out within the window, else with the next flush."""
        if not entries:
            return
        self._broadcast = broadcast
        for entry in entries:
            self._pending[entry.client_id] = entry  # the newest (clocks only grow)
        if self._timer is not None:
            return
        wait = self._last_sent + self.window - time.monotonic()
        if wait <= 0 or self.window <= 0:
            self.flush()
        else:
            self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.flush()

    def flush(self) -> None:
        """Send everything pending, in one message."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        broadcast, self._broadcast = self._broadcast, None
        if not self._pending or broadcast is None:
            return
        entries = list(self._pending.values())
        self._pending.clear()
        self._last_sent = time.monotonic()
        broadcast(encode_awareness(encode_awareness_entries(entries)))

    def cancel(self) -> None:
        """Drop what is pending (the room is gone)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._broadcast = None
        self._pending.clear()
