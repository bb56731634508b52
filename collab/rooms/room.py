"""A live room: its Doc, presence and peers, and the path of one update through it.

decode (connection) -> apply to the Doc -> queue for group commit -> commit -> broadcast + ack.
No peer sees an update before its transaction commits: broadcasts happen in `on_committed`, and
a SyncStep2 reply waits until everything it contains is committed. docs/protocol.md has the wire
contract.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Text

from collab.errors import InvalidUpdate
from collab.protocol.awareness import AwarenessEntry, decode_awareness, encode_awareness_entries
from collab.protocol.messages import (
    AwarenessUpdate,
    Message,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    Update,
    encode_awareness,
    encode_durable,
    encode_sync_step1,
    encode_sync_step2,
    encode_update,
    is_empty_update,
)
from collab.rooms.peer import Peer
from collab.rooms.presence import Presence
from collab.rooms.writer import PendingWrite, UpdateWriter
from collab.types import Origin

log = logging.getLogger(__name__)

CONTENT = "content"
_SYSTEM_EXCEPTIONS = (KeyboardInterrupt, SystemExit, asyncio.CancelledError, GeneratorExit)


@dataclass(slots=True)
class PeerState:
    """What the room tracks per peer: updates received from it, for acknowledgements."""

    received: int = 0


@dataclass(slots=True)
class LogSize:
    """Uncompacted updates of this room in storage."""

    count: int = 0
    bytes: int = 0


class Room:
    """One document and the clients editing it."""

    def __init__(self, name: str, doc: Doc[Any], writer: UpdateWriter, log_size: LogSize) -> None:
        self.name = name
        self.doc = doc
        self.content = doc.get(CONTENT, type=Text)
        self.presence = Presence()
        self.peers: dict[Peer, PeerState] = {}
        self.holders = 0
        self.log_size = log_size
        self._writer = writer
        self._applied = 0
        self._committed = 0
        self._commit_event = asyncio.Event()
        self.after_commit: Callable[[Room], None] | None = None

    # -- membership ------------------------------------------------------------------------

    def add_peer(self, peer: Peer) -> None:
        """Register a peer and start the handshake: our SyncStep1, then everyone's presence."""
        self.peers[peer] = PeerState()
        peer.send(encode_sync_step1(self.doc.get_state()))
        if states := self.presence.states():
            peer.send(encode_awareness(encode_awareness_entries(states)))

    def remove_peer(self, peer: Peer) -> None:
        """Forget a peer and tell the others its presence is gone."""
        if self.peers.pop(peer, None) is None:
            return
        removals = self.presence.remove_connection(peer.origin.connection_id)
        if removals:
            self.broadcast(encode_awareness(encode_awareness_entries(removals)))

    def broadcast(self, frame: bytes, *, exclude: Peer | None = None) -> None:
        """Send one encoded frame to every peer but `exclude`."""
        for peer in list(self.peers):
            if peer is not exclude:
                peer.send(frame)

    # -- incoming messages -----------------------------------------------------------------

    async def handle(self, peer: Peer, message: Message) -> None:
        """Dispatch one decoded message from `peer`."""
        match message:
            case SyncStep1(state_vector):
                await self._on_sync_step1(peer, state_vector)
            case SyncStep2(update) | Update(update):
                await self.receive_update(update, peer.origin, peer)
            case AwarenessUpdate(payload):
                self._on_awareness(peer, payload)
            case QueryAwareness():
                self._on_query_awareness(peer)

    async def _on_sync_step1(self, peer: Peer, state_vector: bytes) -> None:
        try:
            missing = self.doc.get_update(state_vector)
        except BaseException as error:
            _reraise_system(error)
            raise InvalidUpdate(f"state vector rejected: {error}") from None
        await self.wait_committed(self._applied)
        peer.send(encode_sync_step2(missing))

    def _on_awareness(self, peer: Peer, payload: bytes) -> None:
        accepted = self.presence.apply(peer.origin.connection_id, decode_awareness(payload))
        if accepted:
            self.broadcast(encode_awareness(encode_awareness_entries(accepted)))

    def _on_query_awareness(self, peer: Peer) -> None:
        states: list[AwarenessEntry] = self.presence.states()
        if states:
            peer.send(encode_awareness(encode_awareness_entries(states)))

    # -- the update path -------------------------------------------------------------------

    async def receive_update(self, update: bytes, origin: Origin, peer: Peer | None = None) -> int:
        """Apply an update and queue it for commit; return its sequence number in this room.
        A rejected update raises InvalidUpdate and is neither stored nor relayed."""
        await self._writer.wait_for_space()
        state = self.peers.get(peer) if peer is not None else None
        if state is not None:
            state.received += 1
        if is_empty_update(update):
            data = None
        else:
            self._apply(update)
            data = update
        self._applied += 1
        self._writer.put(
            PendingWrite(
                room=self.name,
                data=data,
                origin=origin,
                listener=self,
                seq=self._applied,
                ack_count=state.received if state else 0,
                peer=peer,
            )
        )
        return self._applied

    def _apply(self, update: bytes) -> None:
        try:
            self.doc.apply_update(update)
        except BaseException as error:  # pyo3 PanicException derives from BaseException
            _reraise_system(error)
            raise InvalidUpdate(f"update rejected: {type(error).__name__}: {error}") from None

    def on_committed(self, writes: list[PendingWrite]) -> None:
        """Broadcast committed updates (each encoded once) and acknowledge their senders."""
        acks: dict[Peer, int] = {}
        for write in writes:
            if write.data is not None:
                self.broadcast(encode_update(write.data), exclude=write.peer)
                self.log_size.count += 1
                self.log_size.bytes += len(write.data)
            if write.peer is not None:
                acks[write.peer] = write.ack_count
        for peer, count in acks.items():
            if peer in self.peers and peer.wants_ack:
                peer.send(encode_durable(count))
        self._committed = writes[-1].seq
        self._commit_event.set()
        if self.after_commit is not None:
            self.after_commit(self)

    async def wait_committed(self, seq: int) -> None:
        """Wait until every update up to `seq` is committed."""
        while self._committed < seq:
            self._commit_event.clear()
            await self._commit_event.wait()

    @property
    def flushed(self) -> bool:
        """True when nothing applied here waits for its commit."""
        return self._committed == self._applied

    async def wait_flushed(self) -> None:
        """Wait until every update applied so far is committed."""
        await self.wait_committed(self._applied)


def _reraise_system(error: BaseException) -> None:
    if isinstance(error, _SYSTEM_EXCEPTIONS):
        raise error
