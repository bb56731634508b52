"""What a room needs from a connected client."""

from __future__ import annotations

from typing import Protocol

from collab.errors import CollabError
from collab.types import PeerOrigin


class Peer(Protocol):
    """One connected client as its room sees it. `send` never blocks: it queues or drops."""

    @property
    def origin(self) -> PeerOrigin:
        """Identity of updates this peer sends."""
        ...

    @property
    def wants_ack(self) -> bool:
        """Whether the peer asked for DURABLE acknowledgements."""
        ...

    @property
    def wants_echo(self) -> bool:
        """Whether the peer asked to receive its own updates back once they are committed
        (?echo=1: how @y/websocket 4 learns that its changes are confirmed)."""
        ...

    @property
    def wants_events(self) -> bool:
        """Whether the peer asked for EVENT messages (docs/protocol.md, Events)."""
        ...

    @property
    def can_write(self) -> bool:
        """False for viewers: their writes are refused."""
        ...

    def allow_awareness(self) -> bool:
        """Whether this awareness message fits the peer's rate (excess is dropped)."""
        ...

    def rename(self, name: str) -> None:
        """The person behind the peer now goes by `name` (their awareness state says so):
        attribute what they send from now on to it, unless their token names them."""
        ...

    def send(self, frame: bytes) -> None:
        """Queue a frame for the peer."""
        ...

    def charge_state_work(self, size: int) -> None:
        """Count `size` bytes of full-state work done for the peer against its allowance; the
        peer's next message waits until the allowance allows it."""
        ...

    def fail(self, error: CollabError) -> None:
        """Close the peer's connection with the error's code and reason."""
        ...
