"""Structs yrs holds back (pending), and the updates that must not meet them.

An update whose structs depend on others the document lacks (an origin never received, or a
run of a client's structs starting past the clock the document holds of it) is kept aside by
yrs until they arrive. Honest clients rarely cause that; a faulty or hostile one can. yrs then
mishandles a second gap: an update starting past a client's clock while structs are pending
gets part of its items integrated at once, out of order, and the document holds a list its own
encoding cannot reproduce. Peers that were connected then keep one text and every newcomer
(whose sync is that encoding) another.

So a room tracks which clients' structs are pending and refuses, before yrs sees it, an update
that would open a gap while any are (`GapBesidePending`, an InvalidUpdate: the sender's
connection closes with 1007, and a client that reconnects sends what it holds in order).

One gap is not a second one: a run that starts exactly where its own client's waiting structs
end continues them. An honest client makes that every time it reconnects after typing offline:
it sends its SyncStep1 and goes on typing, and the keystrokes of that round trip (each one
after the last, all after the offline ones) reach the room before its SyncStep2 brings the
offline ones. Refusing them closed the connection of anyone typing through a reconnect, once
or several times in a row."""

from __future__ import annotations

from collab.errors import InvalidUpdate
from collab.protocol.yupdate import ParsedUpdate


class GapBesidePending(InvalidUpdate):
    """An update that skips clocks of a client while the document holds pending structs."""


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
        """Refuse `update` if it opens a gap (a run of structs starting past `state`, the
        document's state vector, other than where its client's pending structs end) while the
        document holds pending structs."""
        if not self._ends:
            return
        for client, clock in update.runs:
            held = state.get(client, 0)
            if clock > held and clock != self._ends.get(client):
                raise GapBesidePending(
                    f"the update's structs of client {client} start at clock {clock}, but the "
                    f"document holds that client's only up to {held} and has structs waiting "
                    "for missing ones; reconnect to send what you hold in order"
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
