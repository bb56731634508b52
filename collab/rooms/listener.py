"""What a live room tells the rest of its process: one listener, given to the Room when it is made.

The room calls it at each step of its life that another part acts on (upkeep compacts and
versions, the cluster carries presence, the manager drops a room whose write was refused);
`rooms/wiring.py` is the one the manager gives every room.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from collab.protocol.awareness import AwarenessEntry

# The room told of (rooms/room.py's Room); a parameter, so this module needs nothing of it.
Room = TypeVar("Room", contravariant=True)


class RoomListener(Protocol[Room]):
    """The events of one live room that other parts of the process act on."""

    def committed(self, room: Room, *, edited: bool) -> None:
        """A batch of the room's writes committed; `edited` when it held updates."""

    def rows_added(self, room: Room) -> None:
        """Log rows the room's copy did not hold were added: its own commits, or others'."""

    def rejected(self, room: Room) -> None:
        """The database refused one of the room's writes for good (its clients are closed)."""

    def versioning(self, room: Room) -> None:
        """A version is being recorded from the room's current state."""

    def idle(self, room: Room) -> None:
        """The room's last peer left."""

    def presence_changed(self, room: Room, entries: list[AwarenessEntry]) -> None:
        """Presence of the room's own connections was accepted or removed."""


class Unheard:
    """The listener of a room nobody listens to any more (it left the live set)."""

    def committed(self, room: object, *, edited: bool) -> None:
        """Nothing to do."""

    def rows_added(self, room: object) -> None:
        """Nothing to do."""

    def rejected(self, room: object) -> None:
        """Nothing to do."""

    def versioning(self, room: object) -> None:
        """Nothing to do."""

    def idle(self, room: object) -> None:
        """Nothing to do."""

    def presence_changed(self, room: object, entries: list[AwarenessEntry]) -> None:
        """Nothing to do."""


UNHEARD = Unheard()
