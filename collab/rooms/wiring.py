"""The RoomListener the manager gives every room it loads: each event to the part acting on it."""

from __future__ import annotations

from collections.abc import Callable

from collab.protocol.awareness import AwarenessEntry
from collab.rooms.cluster.replication import Cluster
from collab.rooms.room import Room
from collab.rooms.upkeep.work import RoomUpkeep


class RoomWiring:
    """Commits and new rows to upkeep (compaction, automatic versions), presence to the other
    processes of a cluster, a refused write to the manager (which drops the room)."""

    def __init__(
        self, upkeep: RoomUpkeep, cluster: Cluster | None, rejected: Callable[[Room], None]
    ) -> None:
        self._upkeep = upkeep
        self._presence = None if cluster is None else cluster.presence
        self._rejected = rejected

    def committed(self, room: Room, *, edited: bool) -> None:
        """Upkeep counts the edit and compacts the log if it grew enough."""
        self._upkeep.committed(room, edited=edited)

    def rows_added(self, room: Room) -> None:
        """Upkeep tracks rows committed here or on another process."""
        self._upkeep.rows_added(room)

    def rejected(self, room: Room) -> None:
        """The manager drops the room once its other writes are committed."""
        self._rejected(room)

    def versioning(self, room: Room) -> None:
        """Upkeep starts its count towards the next automatic version afresh."""
        self._upkeep.versioning(room)

    def idle(self, room: Room) -> None:
        """Upkeep records a version now if anything changed."""
        self._upkeep.idle(room)

    def presence_changed(self, room: Room, entries: list[AwarenessEntry]) -> None:
        """The other processes of a cluster are told (nothing to do alone)."""
        if self._presence is not None:
            self._presence.changed(room, entries)
