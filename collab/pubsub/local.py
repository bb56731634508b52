"""The in-process bus: the single-process default, where there is nobody to tell; several apps
in one process share a LocalHub to form a cluster (tests, embedding)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection

from collab.pubsub.base import Deliver


class LocalHub:
    """Channels shared by the LocalBus endpoints attached to it."""

    def __init__(self) -> None:
        self.endpoints: list[LocalBus] = []
        self.alive_until: dict[str, float] = {}  # node -> time.monotonic() its mark expires


class LocalBus:
    """A Bus endpoint on a LocalHub (a hub of its own by default: nothing leaves the process)."""

    def __init__(self, hub: LocalHub | None = None) -> None:
        self._hub = hub or LocalHub()
        self._deliver: Deliver | None = None
        self._rooms: set[str] = set()
        self.connected = True
        self.dropped = 0

    async def start(self, deliver: Deliver, on_reconnect: Callable[[], None]) -> None:
        """Attach to the hub."""
        self._deliver = deliver
        self._hub.endpoints.append(self)

    async def subscribe(self, room: str) -> None:
        """Receive the room's channel."""
        self._rooms.add(room)

    async def unsubscribe(self, room: str) -> None:
        """Stop receiving the room's channel."""
        self._rooms.discard(room)

    def publish(self, room: str | None, payload: bytes) -> None:
        """Deliver to the other endpoints on a later turn of the event loop, as a network would."""
        loop = asyncio.get_running_loop()
        for endpoint in self._hub.endpoints:
            if endpoint is not self and (room is None or room in endpoint._rooms):
                loop.call_soon(endpoint._receive, room, payload)

    def _receive(self, room: str | None, payload: bytes) -> None:
        if self._deliver is not None and (room is None or room in self._rooms):
            self._deliver(room, payload)

    async def heartbeat(self, node: str, ttl: float) -> None:
        """Mark the node alive on the hub for `ttl` seconds."""
        self._hub.alive_until[node] = time.monotonic() + ttl

    async def alive(self, nodes: Collection[str]) -> set[str]:
        """The nodes whose mark on the hub has not expired."""
        now = time.monotonic()
        return {node for node in nodes if self._hub.alive_until.get(node, 0.0) > now}

    async def close(self) -> None:
        """Leave the hub."""
        if self in self._hub.endpoints:
            self._hub.endpoints.remove(self)
        self._deliver = None
