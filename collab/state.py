"""What one collab app owns while it runs; lives on `app.state.collab`, never in globals."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from collab.admission import Admission
from collab.auth import Authenticator
from collab.config import Settings
from collab.connection import Connection
from collab.documents.service import Documents
from collab.documents.trash import Trash
from collab.documents.versions import Versions
from collab.hooks import HookRunner
from collab.limits import SendBudget, SharedBuckets
from collab.metrics import Metrics
from collab.people.access import PersonAccess
from collab.people.sessions import Sessions
from collab.people.throttle import SignInThrottle
from collab.recheck import AccessWatch
from collab.rooms.agent_presence import AgentPresence
from collab.rooms.manager import RoomManager
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
    trash: Trash
    auth: Authenticator
    # Process-wide bounds: bytes queued for sending, and full-state work per user and address.
    send_budget: SendBudget
    state_work_by_user: SharedBuckets
    state_work_by_address: SharedBuckets
    metrics: Metrics = field(default_factory=Metrics)
    connections: set[Connection] = field(default_factory=set)
    # False once shutdown began: /readyz answers 503 from then on.
    ready: bool = True
    # The host's hooks, and the open connections whose access they re-check.
    hooks: HookRunner = field(default_factory=HookRunner)
    access: AccessWatch = field(default_factory=lambda: AccessWatch(HookRunner(), 0.0))
    # People who sign in (a server with a secret): their sessions, their roles on documents,
    # and the throttle of failed sign-ins; None in development mode.
    sessions: Sessions | None = None
    people: PersonAccess | None = None
    throttle: SignInThrottle = field(default_factory=SignInThrottle)
    # Comment writes per identity (COLLAB_COMMENTS_PER_MINUTE), set by create_app.
    comment_rate: SharedBuckets = field(default_factory=lambda: SharedBuckets(1.0, 60.0))
    # Presence the server holds for agents (PUT /api/rooms/{room}/presence), made on first use.
    agent_presence: AgentPresence | None = None
    # Told (room, agent session, who) when an agent session is reverted (webhooks listen).
    reverted_observers: list[Callable[[str, str, str], None]] = field(default_factory=list)
    # Told (room, agent session, agent's name, "presence", its ttl) whenever an agent sets its
    # presence in a room, and (room, session, name, "cleared" or "expired") when that goes.
    agent_active_observers: list[Callable[[str, str, str, str, float], None]] = field(
        default_factory=list
    )
    agent_ended_observers: list[Callable[[str, str, str, str], None]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def recheck_access(self, *, room: str | None = None, user_id: str | None = None) -> int:
        """Ask the host's on_authorize hook again, now, about the open connections to `room`
        and/or of `user_id` (every one when both are None); those refused are closed with 4403.
        How many were closed."""
        return await self.access.recheck(room=room, user_id=user_id)

    @property
    def admission(self) -> Admission:
        """Who is asking and which role they hold, through the host's hooks (as set now)."""
        return Admission(
            self.auth,
            self.hooks,
            self.store.links,
            self.sessions,
            self.people,
            cookie_origins=self.settings.allowed_origins,
        )

    def next_connection_id(self) -> int:
        """A process-unique id for a new connection."""
        return next(self._ids)
