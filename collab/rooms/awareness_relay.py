"""A room's awareness changes to its peers: at once while the room is calm, coalesced under load.

Stock y-websocket clients renew their state every 15 s, move cursors on every keystroke and send
every state they receive back to the server, so a room of n people relays each change to n
peers and reads n - 1 echoes of it. The relay counts the frames it sent (one per peer per
message) in the current window: while they stay within the room's budget, every change goes out
at once, so a caret in a calm room is never delayed. Past the budget (people joining a big room,
everyone typing in one), it holds changes until the window ends and sends one message with the
latest entry per client id: a burst of k changes then costs one frame per peer and one echo per
peer instead of k of each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from collab.protocol.awareness import AwarenessEntry, encode_awareness_entries
from collab.protocol.messages import encode_awareness

# The longest a change waits for others to share its message (seconds).
DEFAULT_WINDOW = 0.05
# The frames (one per peer per message) a room sends at once within one window; past it, the
# window's changes are coalesced. 256 per 50 ms: a room of 8 typing people never waits, one of
# 500 joining people coalesces from its first change.
DEFAULT_FRAME_BUDGET = 256


class AwarenessRelay:
    """Sends awareness entries to a room's peers through its `broadcast` (one frame for all).
    Holds on to `broadcast`, and so to the room, only while something is pending: an idle relay
    ties nothing together, so an unloaded room is freed without the cyclic collector."""

    __slots__ = (
        "_broadcast",
        "_pending",
        "_spent",
        "_timer",
        "_window_start",
        "clock",
        "frame_budget",
        "window",
    )

    def __init__(
        self,
        window: float = DEFAULT_WINDOW,
        frame_budget: int = DEFAULT_FRAME_BUDGET,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self._broadcast: Callable[[bytes], None] | None = None
        self.window = window
        self.frame_budget = frame_budget
        self._pending: dict[int, AwarenessEntry] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._window_start = -window
        self._spent = 0  # frames sent since _window_start

    def relay(
        self, entries: list[AwarenessEntry], broadcast: Callable[[bytes], None], peers: int
    ) -> None:
        """Send `entries` to the room's `peers` now if the window's budget allows, else with
        the flush at the window's end."""
        if not entries:
            return
        self._broadcast = broadcast
        for entry in entries:
            self._pending[entry.client_id] = entry  # the newest (clocks only grow)
        if self._timer is not None:
            return
        now = self.clock()
        if self.window <= 0 or now - self._window_start >= self.window:
            self._window_start, self._spent = now, 0
        if self._spent == 0 or self._spent + peers <= self.frame_budget:
            self._spent += peers
            self.flush()
        else:
            wait = self._window_start + self.window - now
            self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        # The coalesced message opens the next window and is its first spending.
        self._window_start, self._spent = self.clock(), self.frame_budget
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
        broadcast(encode_awareness(encode_awareness_entries(entries)))

    def cancel(self) -> None:
        """Drop what is pending (the room is gone)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._broadcast = None
        self._pending.clear()
