"""What one collab app owns while it runs; lives on `app.state.collab`, never in globals."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from collab.auth import Authenticator
from collab.config import Settings
from collab.connection import Connection
from collab.limits import SendBudget, SharedBuckets
from collab.rooms.documents import Documents
from collab.rooms.manager import RoomManager
from collab.rooms.versions import Versions
from collab.rooms.writer import UpdateWriter
from collab.store.base import Store


@dataclass(slots=True)
class CollabState:
    """The store, writer, rooms and open connections of one app."""

    settings: Settings
    store: Store
    writer: UpdateWriter
    rooms: RoomManager
    documents: Documents
    versions: Versions
    auth: Authenticator
    # Process-wide bounds: bytes queued for sending, and full-state work per user and address.
    send_budget: SendBudget
    state_work_by_user: SharedBuckets
    state_work_by_address: SharedBuckets
    connections: set[Connection] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_connection_id(self) -> int:
        """A process-unique id for a new connection."""
        return next(self._ids)
