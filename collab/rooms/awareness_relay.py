"""A room's awareness changes to its peers: at once while the room is calm, coalesced under load.

Stock y-websocket clients renew their state every 15 s, move cursors on every keystroke and send
every state they receive back to the server, so a room of n people relays each change to n
peers and reads n - 1 echoes of it. The relay counts the frames it sent (one per peer per
message) in the current window: while they stay within the room's budget, every change goes out
at once, so a caret in a calm room is never delayed. Past the budget (people joining a big room,
everyone typing in one), it holds changes until the window ends and sends one message with the
latest entry per client id: a burst of k changes then costs one frame per peer and one echo per
peer instead of k of each.

Renewals go another way. A stock client sends its unchanged state again every 15 s (a newer
clock, the same JSON) so that peers, which drop a state not heard of for 30 s, keep it. Nobody
sees a renewal, so the relay gathers a room's renewals for up to `renew_window` (2 s) and sends
them in one message: with 10,000 people in rooms of 50, renewals alone were 33,000 frames a
second out and as many echoes in, and the process fell behind everything else. A change of a
client supersedes its waiting renewal; a renewal of a client whose change waits joins that.
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
# The longest a renewal waits for the room's others (seconds): far within the 30 s after which
# y-protocols clients drop a state they have not heard of (renewed every 15 s, checked every 3).
DEFAULT_RENEW_WINDOW = 2.0


class AwarenessRelay:
    """Sends awareness entries to a room's peers through its `broadcast` (one frame for all).
    Holds on to `broadcast`, and so to the room, only while something is pending: an idle relay
    ties nothing together, so an unloaded room is freed without the cyclic collector."""

    __slots__ = (
        "_broadcast",
        "_pending",
        "_renew_broadcast",
        "_renew_timer",
        "_renewals",
        "_spent",
        "_timer",
        "_window_start",
        "clock",
        "frame_budget",
        "renew_window",
        "window",
    )

    def __init__(
        self,
        window: float = DEFAULT_WINDOW,
        frame_budget: int = DEFAULT_FRAME_BUDGET,
        clock: Callable[[], float] = time.monotonic,
        renew_window: float = DEFAULT_RENEW_WINDOW,
    ) -> None:
        self.clock = clock
        self._broadcast: Callable[[bytes], None] | None = None
        self.window = window
        self.frame_budget = frame_budget
        self._pending: dict[int, AwarenessEntry] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._window_start = -window
        self._spent = 0  # frames sent since _window_start
        self.renew_window = renew_window
        self._renewals: dict[int, AwarenessEntry] = {}
        self._renew_timer: asyncio.TimerHandle | None = None
        self._renew_broadcast: Callable[[bytes], None] | None = None

    @property
    def waiting_renewals(self) -> int:
        """Renewals held for the next renewal message."""
        return len(self._renewals)

    def renew(self, entries: list[AwarenessEntry], broadcast: Callable[[bytes], None]) -> None:
        """Send renewals (unchanged states at newer clocks) with the room's others of the next
        `renew_window` seconds, in one message; one of a client whose change waits goes with
        that change instead."""
        if not entries:
            return
        held = False
        for entry in entries:
            if entry.client_id in self._pending:
                self._pending[entry.client_id] = entry
            else:
                self._renewals[entry.client_id] = entry
                held = True
        if not held:
            return
        self._renew_broadcast = broadcast
        if self._renew_timer is None:
            loop = asyncio.get_running_loop()
            self._renew_timer = loop.call_later(self.renew_window, self.flush_renewals)

    def flush_renewals(self) -> None:
        """Send the renewals held, in one message."""
        if self._renew_timer is not None:
            self._renew_timer.cancel()
            self._renew_timer = None
        broadcast, self._renew_broadcast = self._renew_broadcast, None
        _send(self._renewals, broadcast)

    def relay(
        self, entries: list[AwarenessEntry], broadcast: Callable[[bytes], None], peers: int
    ) -> None:
        """Send `entries` to the room's `peers` now if the window's budget allows, else with
        the flush at the window's end."""
        if not entries:
            return
        self._broadcast = broadcast
        renewals = self._renewals
        for entry in entries:
            self._pending[entry.client_id] = entry  # the newest (clocks only grow)
            if renewals:
                renewals.pop(entry.client_id, None)  # superseded by this change
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
        _send(self._pending, broadcast)

    def cancel(self) -> None:
        """Drop what is pending (the room is gone)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._renew_timer is not None:
            self._renew_timer.cancel()
            self._renew_timer = None
        self._broadcast = self._renew_broadcast = None
        self._pending.clear()
        self._renewals.clear()


def _send(held: dict[int, AwarenessEntry], broadcast: Callable[[bytes], None] | None) -> None:
    """Send the entries `held` in one message through `broadcast`, and forget them."""
    if not held or broadcast is None:
        return
    entries = list(held.values())
    held.clear()
    broadcast(encode_awareness(encode_awareness_entries(entries)))
