"""The Bus protocol: one channel per room, plus one the whole cluster shares, and a liveness
mark per process (a key that expires unless renewed), by which the others tell a dead process.

A bus is allowed to lose messages (the cluster repairs every loss from the database's log), so
publishing never waits and never fails: a message that cannot go is dropped and counted.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Protocol

# Where a message arrived: a room's channel (the room's name), or None for the cluster's.
Deliver = Callable[[str | None, bytes], None]


class Bus(Protocol):
    """Carries encoded messages (pubsub/wire.py) between the processes of one cluster."""

    # False while the bus is known to be down (messages are being lost).
    connected: bool
    # Messages dropped on the way out (queue full, or the bus down).
    dropped: int

    async def start(self, deliver: Deliver, on_reconnect: Callable[[], None]) -> None:
        """Begin receiving: `deliver` gets every message published by others on the cluster
        channel and on subscribed rooms' channels; `on_reconnect` is called after each
        reconnect (whatever was published meanwhile is lost)."""
        ...

    async def subscribe(self, room: str) -> None:
        """Receive the room's channel from now on."""
        ...

    async def unsubscribe(self, room: str) -> None:
        """Stop receiving the room's channel."""
        ...

    def publish(self, room: str | None, payload: bytes) -> None:
        """Send to a room's channel (None: the cluster's). Never blocks; may drop."""
        ...

    async def heartbeat(self, node: str, ttl: float) -> None:
        """Mark `node` alive for the next `ttl` seconds (renewed well before they pass). Never
        raises: a bus that is down misses the beat."""
        ...

    async def alive(self, nodes: Collection[str]) -> set[str] | None:
        """Which of `nodes` are marked alive; None when the bus cannot tell (it is down), and
        then nobody may be taken for dead."""
        ...

    async def close(self) -> None:
        """Stop receiving and sending; flushes what is queued, briefly."""
        ...
