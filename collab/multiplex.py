"""One document of a multiplexed socket (a Hocuspocus provider's), as its room sees it.

A `DocumentPeer` is an ordinary peer of its room (rooms/peer.py): its own connection id (so the
awareness client ids it announces are owned by it alone), its own role, awareness allowance,
full-state allowance, acknowledgements and close. What the room sends it is turned into
Hocuspocus frames (protocol/hocuspocus.py) and queued on the socket's `Connection`, which owns
the send queue, the send budget and the socket's close: collab's y-websocket frames get the
document name in front, DURABLE becomes one SyncStatus per committed update, EVENT becomes a
Stateless message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

from collab.connection import Connection, ConnectionLimits
from collab.errors import CollabError
from collab.limits import TokenBucket
from collab.metrics import Metrics
from collab.protocol import hocuspocus
from collab.protocol.encoding import Reader
from collab.protocol.messages import MessageType
from collab.types import PeerOrigin

log = logging.getLogger(__name__)


class DocumentPeer:
    """One document on a shared socket. Implements rooms.peer.Peer."""

    # Slots: a socket holds many documents, a process thousands of these.
    __slots__ = (
        "_acked",
        "_awareness",
        "_can_write",
        "_greeting",
        "_head",
        "_live_name",
        "_metrics",
        "_on_fail",
        "_origin",
        "expires_at",
        "failure",
        "key",
        "provider_version",
        "role",
        "socket",
        "state_buckets",
    )

    def __init__(
        self,
        socket: Connection,
        key: str,
        origin: PeerOrigin,
        *,
        can_write: bool,
        live_name: bool,
        limits: ConnectionLimits,
        shared_state_buckets: tuple[TokenBucket, ...] = (),
        metrics: Metrics | None = None,
        on_fail: Callable[[DocumentPeer, CollabError], None],
    ) -> None:
        self.socket = socket
        # The document name as the provider sent it (answers carry it back unchanged), and as
        # it goes before each room frame sent on the socket.
        self.key = key
        self._head = hocuspocus.document_prefix(key)
        self._origin = origin
        self._can_write = can_write
        self._live_name = live_name
        self._metrics = metrics
        self._awareness = TokenBucket(limits.awareness_per_second, limits.awareness_per_second * 2)
        own = TokenBucket(limits.state_bytes_per_second, limits.state_byte_burst)
        self.state_buckets = (own, *shared_state_buckets)
        self._on_fail = on_fail
        # Sent before the first frame of the room (our SyncStep1): "Authenticated" with its
        # scope, once the room has taken the peer in.
        self._greeting: bytes | None = hocuspocus.authenticated(key, read_only=not can_write)
        self._acked = 0
        self.failure: CollabError | None = None
        self.role = "editor" if can_write else "viewer"
        self.expires_at: float | None = None
        self.provider_version: str | None = None

    @property
    def origin(self) -> PeerOrigin:
        """Identity of this document's updates."""
        return self._origin

    @property
    def wants_ack(self) -> bool:
        """Always: a provider counts its unsynced changes down with SyncStatus."""
        return True

    @property
    def wants_echo(self) -> bool:
        """Never: SyncStatus tells a provider its changes are stored."""
        return False

    @property
    def wants_events(self) -> bool:
        """Always: events go to the provider as Stateless messages."""
        return True

    @property
    def can_write(self) -> bool:
        """False for viewers (scope "readonly")."""
        return self._can_write

    @property
    def open(self) -> bool:
        """Whether the document is still served on the socket."""
        return self.failure is None

    def rename(self, name: str) -> None:
        """As Connection.rename: attribute later updates to `name` unless a token named us."""
        if self._live_name and name != self._origin.user:
            self._origin = replace(self._origin, user=name)

    def allow_awareness(self) -> bool:
        """Spend one awareness message of this document's allowance."""
        return self._awareness.take()

    def charge_state_work(self, size: int) -> None:
        """Count full-state work for this document against its allowances (its own, its
        socket's, its user's and its address's)."""
        for bucket in self.state_buckets:
            bucket.charge(size)

    def send(self, frame: bytes) -> None:
        """Queue what the room sends, as Hocuspocus frames, on the socket."""
        if self.failure is not None or not frame:
            return
        kind = frame[0]
        head = b""
        if hocuspocus.is_room_frame(frame):
            head, out = self._head, [frame]  # after the document's name, not copied behind it
        elif kind == MessageType.DURABLE:
            out = self._acknowledgements(frame)
        elif kind == MessageType.EVENT:
            reader = Reader(frame)
            reader.read_uint8()
            out = [hocuspocus.stateless(self.key, reader.read_var_string())]
        else:  # nothing else is sent to peers; a new kind must be mapped here first
            log.warning("document %r: no Hocuspocus form for message type %d", self.key, kind)
            return
        if self._metrics is not None:
            self._metrics.sent(frame)
        if self._greeting is not None:
            self.socket.send(self._greeting)
            self._greeting = None
        for item in out:
            self.socket.send(item, head=head)

    def _acknowledgements(self, frame: bytes) -> list[bytes]:
        """DURABLE(n): the first n updates of this peer are committed; a provider counts one
        SyncStatus(1) per update, so one goes out per update newly committed."""
        reader = Reader(frame)
        reader.read_uint8()
        count = reader.read_var_uint()
        newly, self._acked = max(0, count - self._acked), max(count, self._acked)
        return [hocuspocus.sync_status(self.key, applied=True)] * newly

    def refuse_write(self) -> None:
        """A viewer's update that would change the document: not applied, answered
        SyncStatus(0) in-band; the document and the socket stay open."""
        if self.failure is None:
            self.socket.send(hocuspocus.sync_status(self.key, applied=False))

    def request_token(self) -> None:
        """Ask the provider for a fresh token (its token function runs again)."""
        if self.failure is None:
            self.socket.send(hocuspocus.token_request(self.key))

    def send_stateless(self, payload: str) -> None:
        """An application message for the provider (a hook's reply)."""
        if self.failure is None:
            self.socket.send(hocuspocus.stateless(self.key, payload))

    def fail(self, error: CollabError) -> None:
        """Close this document only (the socket's owner decides how to tell the provider);
        the rest happens on the next turn of the loop, outside the room's own call."""
        if self.failure is None:
            self.failure = error
            asyncio.get_running_loop().call_soon(self._on_fail, self, error)

    def detach(self) -> None:
        """The provider detached: close quietly."""
        self.fail(Detached("the provider detached from the document"))


class Detached(CollabError):
    """A provider sent CLOSE for its document (Hocuspocus' `provider_initiated`)."""

    close_code = 1000
