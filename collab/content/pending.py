"""Structs yrs holds back (pending), and the updates that must not meet them.

An update whose structs depend on others the document lacks (an origin never received, or a
run of a client's structs starting past the clock the document holds of it) is kept aside by
yrs until they arrive. yrs mishandles a client's second gap: a run of its structs starting past
the clock the document holds of it, elsewhere than where structs of that same client already
wait, gets part of its items integrated at once, out of order, and the document holds a list
its own encoding cannot reproduce. Peers that were connected then keep one text and every
newcomer (whose sync is that encoding) another.

So a room tracks, per client, where its pending structs end, and refuses before yrs sees it a
run that starts past the client's clock anywhere but there (`GapBesidePending`, an
InvalidUpdate: the sender's connection closes with 1007, and a client that reconnects sends
what it holds in order).

Honest clients make the runs this lets through every time they reconnect after typing offline:
each sends its SyncStep1 and goes on typing, and the keystrokes of that round trip (each one
after the last, all after the offline ones) reach the room before its SyncStep2 brings the
offline ones. The first opens that client's gap, the next ones continue it where it ends, and
another client reconnecting at the same time opens a gap of its own. Refusing any gap while
anything was pending closed the connection of nearly everyone typing through a server restart,
often several times in a row."""

from __future__ import annotations

from collab.errors import InvalidUpdate
from collab.protocol.yupdate import ParsedUpdate


class GapBesidePending(InvalidUpdate):
    """An update that skips clocks of a client while structs of that client are pending."""


class PendingStructs:
    """The end clock, per client, of structs a document holds but has not integrated."""

    __slots__ = ("_ends",)

    def __init__(self) -> None:
        self._ends: dict[int, int] = {}

    @property
    def held(self) -> bool:
        """Whether the document holds structs it has not integrated."""
        return bool(self._ends)

    def check(self, update: ParsedUpdate, state: dict[int, int]) -> None:
        """Refuse `update` if it opens a second gap of a client: a run of structs starting past
        `state` (the document's state vector) while structs of that client are pending, other
        than where they end."""
        if not self._ends:
            return
        for client, clock in update.runs:
            end, held = self._ends.get(client), state.get(client, 0)
            if end is not None and held < clock != end:
                raise GapBesidePending(
                    f"the update's structs of client {client} start at clock {clock}, but the "
                    f"document holds that client's only up to {held} and has others of its "
                    f"structs, up to {end}, waiting for missing ones; reconnect to send what "
                    "you hold in order"
                )

    def applied(self, update: ParsedUpdate, state: dict[int, int]) -> None:
        """Note what `update`, just applied, left pending, and what the document's new state
        vector `state` shows integrated since."""
        for client, end in update.ends.items():
            if state.get(client, 0) < end:
                self._ends[client] = max(end, self._ends.get(client, 0))
        if self._ends:
            for client, end in list(self._ends.items()):
                if state.get(client, 0) >= end:
                    del self._ends[client]
