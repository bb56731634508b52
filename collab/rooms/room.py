"""A live room: its Doc, presence and peers, and the path of one update through it.

decode (connection) -> apply to the Doc -> queue for group commit -> commit -> broadcast + ack.
No peer sees an update before its transaction commits: broadcasts happen in `on_committed`, and
a SyncStep2 reply waits until everything it contains is committed. docs/protocol.md has the wire
contract.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, merge_updates

from collab.config import Settings, from_setting, view_of
from collab.content import crdt
from collab.content.encodings import DocEncodings
from collab.content.fingerprint import fingerprint
from collab.content.pending import PendingStructs
from collab.content.surrogates import SurrogatePairs
from collab.contract import READ_ONLY
from collab.errors import (
    CollabError,
    DocumentTooLarge,
    Forbidden,
    InvalidRequest,
    InvalidUpdate,
    MalformedMessage,
    MessageTooBig,
    RoomDeleted,
    WriteFenced,
    WriteRejected,
)
from collab.protocol.awareness import (
    MAX_ENTRIES_PER_UPDATE,
    AwarenessEntry,
    awareness_clocks,
    check_state,
    decode_awareness,
    encode_awareness_entries,
)
from collab.protocol.messages import (
    AwarenessUpdate,
    Message,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    Update,
    encode_awareness,
    encode_durable,
    encode_event,
    encode_sync_step1,
    encode_sync_step2,
    encode_update,
    is_empty_update,
)
from collab.protocol.nesting import TypeNesting
from collab.protocol.yupdate import ParsedUpdate, parse_state_vector, parse_update
from collab.rooms.awareness_relay import DEFAULT_FRAME_BUDGET as AWARENESS_FRAME_BUDGET
from collab.rooms.awareness_relay import DEFAULT_WINDOW as AWARENESS_WINDOW
from collab.rooms.awareness_relay import AwarenessRelay
from collab.rooms.events import Event, version_events
from collab.rooms.listener import UNHEARD, RoomListener
from collab.rooms.peer import Peer
from collab.rooms.presence import Presence, PresenceLimits, announced_name
from collab.rooms.replica import LogPosition
from collab.rooms.writer import MERGE_MAX_BYTES, PendingWrite, UpdateWriter
from collab.store.base import Lease, NewVersion, VersionResult
from collab.types import LocalOrigin, Origin, origin_user

log = logging.getLogger(__name__)

EMPTY = b"\x00\x00"
Edit = Callable[[Doc[Any]], None]
# The host's on_awareness hook for one room: what of the states a peer announced to keep.
AwarenessFilter = Callable[[Peer, list[AwarenessEntry]], Awaitable[list[AwarenessEntry]]]


@dataclass(slots=True)
class PeerState:
    """What the room tracks per peer: updates received from it, for acknowledgements."""

    received: int = 0


@dataclass(frozen=True, slots=True)
class RoomLimits:
    """Per-room limits: a view of the settings, which hold their defaults and meaning."""

    max_document_bytes: int = from_setting("max_document_bytes")
    max_awareness_bytes: int = from_setting("max_awareness_bytes")
    max_nesting_depth: int = from_setting("max_nesting_depth")
    presence: PresenceLimits = field(default_factory=PresenceLimits)
    # The longest an awareness change waits to share a message (rooms/awareness_relay.py).
    awareness_window: float = AWARENESS_WINDOW
    # The frames a room sends at once per window before it coalesces (rooms/awareness_relay.py).
    awareness_frame_budget: int = AWARENESS_FRAME_BUDGET

    @classmethod
    def from_settings(cls, settings: Settings) -> RoomLimits:
        """The limits `settings` configures."""
        return view_of(cls, settings, presence=PresenceLimits.from_settings(settings))


@dataclass(slots=True)
class LogSize:
    """Uncompacted updates of this room in storage, and the size of its compacted state."""

    count: int = 0
    bytes: int = 0
    state_bytes: int = 0
    # Of those, kept by the last compaction for agent sessions to be reverted (RevertHold).
    held: int = 0
    held_bytes: int = 0

    @property
    def foldable(self) -> tuple[int, int]:
        """Rows and bytes of the log a compaction would fold (those not kept for agents)."""
        return self.count - self.held, self.bytes - self.held_bytes


def only_new_structs(parsed: ParsedUpdate, known: dict[int, int]) -> bool:
    """Whether every struct of the update lies past what the document holds of its client."""
    return all(item.clock >= known.get(item.client, 0) for item in parsed.items) and all(
        clock >= known.get(client, 0) for client, clock, _ in parsed.gc
    )


class Room:
    """One document and the clients editing it."""

    def __init__(
        self,
        name: str,
        doc: Doc[Any],
        writer: UpdateWriter,
        log_size: LogSize,
        limits: RoomLimits | None = None,
        nesting: TypeNesting | None = None,
        *,
        listener: RoomListener[Room],
        awareness_filter: AwarenessFilter | None = None,
        epoch: int | None = None,
        seq: int = 0,
    ) -> None:
        self.name = name
        # What follows the room's commits elsewhere in the process (rooms/listener.py).
        self._listener: RoomListener[Room] = listener
        # The epoch the room was loaded at (its writes are fenced by it), and which of its log
        # rows the document holds (rows committed by other processes arrive over the bus).
        self.epoch = epoch
        self.position = LogPosition(seq)
        self.position.on_rows = self._rows_added
        self.doc = doc
        self.encodings = DocEncodings(doc)
        self.limits = limits or RoomLimits.from_settings(Settings())
        self.presence = Presence(self.limits.presence)
        # The host's on_awareness hook (rooms/hooked.py): what of announced states to keep.
        self.awareness_filter = awareness_filter
        self.peers: dict[Peer, PeerState] = {}
        self.holders = 0
        self.released_at = 0.0
        self.log_size = log_size
        self._writer = writer
        self._applied = 0
        self._committed = 0
        self._commit_event = asyncio.Event()
        # Nesting levels of the document's items, to refuse updates that nest types too deep.
        self.nesting = nesting or TypeNesting(self.limits.max_nesting_depth)
        # Surrogate pairs held whole, to repair before an update splits one.
        self.surrogates = SurrogatePairs(doc, self.limits.max_nesting_depth)
        self.pending = PendingStructs()
        # Bytes of updates the document holds, stored and applied since (an upper bound).
        self.size = log_size.state_bytes + log_size.bytes
        self.awareness_dropped = 0
        # Awareness changes to the peers: at once when quiet, coalesced while busy.
        self.awareness = AwarenessRelay(
            self.limits.awareness_window, self.limits.awareness_frame_budget
        )
        self._closed_by: CollabError | None = None

    # -- membership ------------------------------------------------------------------------

    def add_peer(self, peer: Peer) -> None:
        """Register a peer and start the handshake: our SyncStep1, then everyone's presence."""
        self.peers[peer] = PeerState()
        peer.send(encode_sync_step1(self.doc.get_state()))
        self._send_presence(peer)

    def remove_peer(self, peer: Peer) -> None:
        """Forget a peer and tell the others its presence is gone."""
        if self.peers.pop(peer, None) is None:
            return
        removals = self.presence.remove_connection(peer.origin.connection_id)
        if removals:
            self.relay_awareness(removals)
            self._presence_changed(removals)
        if not self.peers:
            self._listener.idle(self)

    def broadcast(self, frame: bytes, *, exclude: Peer | None = None) -> None:
        """Send one encoded frame to every peer but `exclude`."""
        for peer in list(self.peers):
            if peer is not exclude:
                peer.send(frame)

    def relay_awareness(
        self, entries: list[AwarenessEntry], renewals: frozenset[tuple[int, int]] = frozenset()
    ) -> None:
        """Send awareness changes to every peer: at once while the room is calm, else with the
        others of the next 50 ms; the entries whose (client id, clock) is in `renewals`
        (states sent again unchanged) with the others of the next 2 s
        (rooms/awareness_relay.py)."""
        if renewals:
            renewed = [e for e in entries if (e.client_id, e.clock) in renewals]
            entries = [e for e in entries if (e.client_id, e.clock) not in renewals]
            self.awareness.renew(renewed, self.broadcast)
        self.awareness.relay(entries, self.broadcast, len(self.peers))

    def announce(self, event: Event) -> None:
        """Send an EVENT to every peer that asked for events, behind whatever was sent to it
        before (docs/protocol.md, Events)."""
        listeners = [peer for peer in self.peers if peer.wants_events]
        if listeners:
            frame = encode_event(event)
            for peer in listeners:
                peer.send(frame)

    # -- incoming messages -----------------------------------------------------------------

    async def handle(self, peer: Peer, message: Message) -> None:
        """Dispatch one decoded message from `peer`."""
        match message:
            case SyncStep1(state_vector):
                await self._on_sync_step1(peer, state_vector)
            case SyncStep2(update) | Update(update):
                await self._on_update(peer, update)
            case AwarenessUpdate(payload) if self.awareness_filter is None:
                self._accept_awareness(peer, self._checked_awareness(peer, payload))
            case AwarenessUpdate(payload):
                await self._on_filtered_awareness(peer, payload)
            case QueryAwareness():
                self._send_presence(peer)

    async def _on_sync_step1(self, peer: Peer, state_vector: bytes) -> None:
        """Answer with what the peer lacks. A state vector that knows none of this document's
        clients gets the cached full state (encoded once per change, however often asked).
        Every answer's size is charged to the peer's full-state allowance: even from the
        cache, a large answer costs copies, buffers and bandwidth for each asker."""
        known = parse_state_vector(state_vector)
        ours = self.encodings.state()
        if any(clock and client in ours for client, clock in known.items()):
            frame = encode_sync_step2(crdt.missing_since(self.doc, state_vector))
        else:
            frame = self.encodings.full_state_frame()
        peer.charge_state_work(len(frame))  # before waiting: others asking meanwhile see it
        await self.wait_committed(self._applied)
        peer.send(frame)

    async def _on_update(self, peer: Peer, update: bytes) -> None:
        """An update from a peer. A viewer's is accepted only if it changes nothing (their
        SyncStep2 usually carries only deletions the document has): checked against the state
        vector and the delete set, without copying the document."""
        if is_empty_update(update):
            await self.receive_update(EMPTY, peer.origin, peer)
            return
        parsed = parse_update(update, self.limits.max_nesting_depth)
        if peer.can_write:
            await self.receive_update(update, peer.origin, peer, parsed=parsed)
            return
        before = self.encodings.encoded
        changes = self.encodings.would_change(parsed)
        if self.encodings.encoded > before:
            peer.charge_state_work(self.encodings.encoded - before)
        if changes:
            raise Forbidden(READ_ONLY)
        await self.receive_update(EMPTY, peer.origin, peer)

    async def _on_filtered_awareness(self, peer: Peer, payload: bytes) -> None:
        """Awareness states through the host's filter (which may drop or rewrite them)."""
        entries = self._checked_awareness(peer, payload)
        if entries and self.awareness_filter is not None:
            entries = await self.awareness_filter(peer, entries)
            if peer in self.peers:  # it may have left while the filter ran
                self._accept_awareness(peer, entries)

    def only_echoes(self, connection_id: int, message: bytes) -> bool:
        """Whether `message` is an awareness message holding nothing but others' states echoed
        back (see `_checked_awareness`), told from its client ids and clocks alone: the
        connection may drop it as soon as it is read."""
        most = max(MAX_ENTRIES_PER_UPDATE, self.limits.presence.ids_per_room)
        clocks = awareness_clocks(message, most)
        return clocks is not None and self.presence.all_echoes(connection_id, clocks)

    def _checked_awareness(self, peer: Peer, payload: bytes) -> list[AwarenessEntry]:
        """Others' states echoed back are dropped first, for free; what is left costs one
        message of the peer's awareness allowance, and its states must be JSON. A stock
        y-websocket client echoes the whole presence it was sent on joining in one message, so
        the cap on entries per message applies to what is left, and the message as a whole may
        hold as many entries as the room may hold people."""
        connection_id = peer.origin.connection_id
        most = max(MAX_ENTRIES_PER_UPDATE, self.limits.presence.ids_per_room)
        entries = [
            entry
            for entry in decode_awareness(payload, check_json=False, max_entries=most)
            if not self.presence.is_echo(connection_id, entry)
        ]
        if not entries:
            return []
        if len(entries) > MAX_ENTRIES_PER_UPDATE:
            raise MalformedMessage(
                f"awareness update with {len(entries)} entries that are not echoes "
                f"(limit {MAX_ENTRIES_PER_UPDATE})"
            )
        if not peer.allow_awareness():
            self.awareness_dropped += 1
            return []
        for entry in entries:
            check_state(entry)
            if len(entry.state_json) > self.limits.max_awareness_bytes:
                raise MessageTooBig(
                    f"awareness state of {len(entry.state_json)} bytes exceeds "
                    f"{self.limits.max_awareness_bytes}"
                )
        return entries

    def _accept_awareness(self, peer: Peer, entries: list[AwarenessEntry]) -> None:
        """Store the states and relay what is news."""
        if not entries:
            return
        renewals = frozenset((e.client_id, e.clock) for e in entries if self.presence.renews(e))
        accepted = self.presence.apply(peer.origin.connection_id, entries, peer.origin.principal)
        if accepted:
            self.relay_awareness(accepted, renewals)
            self._presence_changed(accepted)
            if (name := announced_name(accepted)) is not None:
                peer.rename(name)

    def hold_presence(self, holder: int, principal: str, entry: AwarenessEntry) -> bool:
        """Set (or, with a null state, remove) an awareness state the server holds for someone
        with no connection (an agent, api/agents.py), under the same ownership rules and the
        same relay, here and to the cluster, as a connection's; whether it was accepted."""
        accepted = self.presence.apply(holder, [entry], principal)
        if accepted:
            self.relay_awareness(accepted)
            self._presence_changed(accepted)
        return bool(accepted)

    def _presence_changed(self, entries: list[AwarenessEntry]) -> None:
        self._listener.presence_changed(self, entries)

    def _rows_added(self) -> None:
        self._listener.rows_added(self)

    def _send_presence(self, peer: Peer) -> None:
        """Every known awareness state, in one message (on join and on QueryAwareness): this
        process's connections' and, in a cluster, the other processes'."""
        if states := self.presence.states():
            peer.send(encode_awareness(encode_awareness_entries(states)))

    # -- the update path -------------------------------------------------------------------

    async def receive_update(
        self,
        update: bytes,
        origin: Origin,
        peer: Peer | None = None,
        *,
        parsed: ParsedUpdate | None = None,
    ) -> int:
        """Apply an update and queue it for commit; return its sequence number in this room.
        A rejected update raises InvalidUpdate and is neither stored nor relayed: it is walked
        (`parse_update`) and its shared types' nesting checked before yrs decodes it. An update
        splitting a surrogate pair goes after the room's repair of it (content/surrogates.py)."""
        if parsed is None and not is_empty_update(update):
            parsed = parse_update(update, self.limits.max_nesting_depth)
        repairs = await self._reserve(parsed)
        self.ensure_open()
        state = self.peers.get(peer) if peer is not None else None
        if state is not None:
            state.received += 1
        mergeable = True
        if is_empty_update(update):
            data = None
        else:
            if self.size + len(update) > self.limits.max_document_bytes:
                raise DocumentTooLarge(
                    f"the document would exceed {self.limits.max_document_bytes} bytes"
                )
            parsed = parsed or parse_update(update, self.limits.max_nesting_depth)
            levels = self.nesting.admit(parsed)
            known = self.encodings.state()
            self.pending.check(parsed, known)
            self._repair(repairs, origin)
            before = self.encodings.state() if repairs else known
            # Only an update that adds nothing but new structs may be merged with its neighbours
            # (one row, one frame): yrs keeps the first of two structs with one id, and a merge
            # could keep the other (a client re-sending, or forging, structs the room has).
            mergeable = only_new_structs(parsed, before)
            self._apply(update, parsed, before, levels)
            self.size += len(update)
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
                separate=not mergeable,
            )
        )
        return self._applied

    async def _reserve(self, parsed: ParsedUpdate | None) -> list[bytes]:
        """Wait until the write queue has room for an update and for the repairs it needs
        first; return those repairs (none unless it splits a surrogate pair)."""
        if parsed is not None:
            await self.surrogates.ready()
        slots = 1
        while True:
            await self._writer.wait_for_space(slots)
            repairs = self.surrogates.repairs(parsed, self.encodings.state) if parsed else []
            if len(repairs) < slots:
                return repairs
            slots = len(repairs) + 1

    def _apply(
        self, update: bytes, parsed: ParsedUpdate, before: dict[int, int], levels: list[int]
    ) -> None:
        """Apply a checked update (`before`: the state vector it met; `levels`: its items'
        nesting) and keep what the room knows of the document in step: nesting, surrogate
        pairs, encodings, pending structs. InvalidUpdate if yrs refuses it; yrs may have
        applied some of its structs first, so what the document holds is then read from it
        again, not assumed."""
        settled = not self.pending.held
        try:
            crdt.apply_update(self.doc, update)
        except InvalidUpdate:
            self.encodings.changed()
            self.pending.applied(parsed, self.encodings.state())
            raise
        self.nesting.record(parsed, levels)
        self.surrogates.applied(parsed, before)
        self.encodings.applied(parsed, before, settled=settled)
        self.pending.applied(parsed, self.encodings.state())

    def _repair(self, repairs: list[bytes], cause: Origin) -> None:
        """Apply and queue the room's own repairs, before the update that needs them."""
        origin = LocalOrigin("surrogates", origin_user(cause))
        for repair in repairs:
            parsed = parse_update(repair, self.limits.max_nesting_depth)
            crdt.apply_update(self.doc, repair)
            self.nesting.record(parsed, self.nesting.admit(parsed, strict=False))
            self.surrogates.applied(parsed, {})
            self.encodings.changed()
            self.size += len(repair)
            self._applied += 1
            self._writer.put(
                PendingWrite(self.name, repair, origin, self, seq=self._applied, separate=True)
            )

    async def edit(
        self, change: Callable[[Doc[Any]], None], origin: Origin, *, adds_bytes: int = 0
    ) -> int:
        """Change the document in place (a server-side edit) and queue the resulting update.
        `adds_bytes` is how much content the edit may add, checked against the size limit."""
        await self._writer.wait_for_space()
        self.ensure_open()
        if adds_bytes and self.size + adds_bytes > self.limits.max_document_bytes:
            raise DocumentTooLarge(
                f"the document would exceed {self.limits.max_document_bytes} bytes"
            )
        return self._queue_edit(change, origin)

    async def record_version(
        self,
        kind: str,
        *,
        label: str | None = None,
        author: str | None = None,
        lease: Lease | None = None,
        exact: bool = False,
    ) -> VersionResult:
        """Record the current state as a version, in order with the updates before it; with
        `lease` (once-per-room work), refused (LeaseLost) unless this process still holds it;
        `exact`, refused (VersionBehind) if the log holds a row the state lacks (committed by
        another process since this copy last caught up)."""
        await self._writer.wait_for_space()
        self.ensure_open()
        return await self._queue_version(kind, label, author, lease, exact)

    async def checkpoint_then_edit(
        self, plan: Callable[[Doc[Any]], Edit | None], label: str, origin: Origin
    ) -> tuple[VersionResult, int | None]:
        """Record the current state as a version and apply the edit `plan` derives from it in
        one step, so no update can fall between the two (restore uses this)."""
        await self._writer.wait_for_space(2)
        self.ensure_open()
        checkpoint = self._queue_version("auto", label, origin_user(origin))
        change = plan(self.doc)
        seq = self._queue_edit(change, origin) if change is not None else None
        return await checkpoint, seq

    def _queue_edit(self, change: Edit, origin: Origin) -> int:
        """Run `change` and queue what it did. Should it fail half way, the part it did is
        queued all the same, so the live document never holds what the database will not."""
        # The transaction's own update: `get_update(state before)` would carry the document's
        # whole delete set along with every edit.
        captured: list[bytes] = []
        subscription = self.doc.observe(lambda event: captured.append(event.update))
        failure: BaseException | None = None
        try:
            with self.doc.transaction(origin=origin):
                change(self.doc)
        except BaseException as error:
            if isinstance(error, crdt.CONTROL_FLOW):
                raise
            failure = error
        finally:
            self.doc.unobserve(subscription)
        update = merge_updates(*captured) if len(captured) > 1 else (captured or [EMPTY])[0]
        self._applied += 1
        data = None
        if not is_empty_update(update):
            data = update
            self.size += len(update)
            self.encodings.changed()
            self._record_nesting(update)
        self._writer.put(PendingWrite(self.name, data, origin, self, seq=self._applied))
        if failure is not None:
            if isinstance(failure, CollabError):
                raise failure
            raise InvalidRequest(f"edit failed: {type(failure).__name__}: {failure}") from None
        return self._applied

    def _record_nesting(self, update: bytes) -> None:
        """Keep the nesting levels of a server-side edit, so clients can build on its items."""
        try:
            parsed = parse_update(update, self.limits.max_nesting_depth)
        except InvalidUpdate:
            log.exception(
                "room %s: a server-side edit produced an update we cannot walk", self.name
            )
            return
        self.nesting.record(parsed, self.nesting.admit(parsed, strict=False))
        self.surrogates.applied(parsed, {})

    def _queue_version(
        self,
        kind: str,
        label: str | None,
        author: str | None,
        lease: Lease | None = None,
        exact: bool = False,
    ) -> asyncio.Future[VersionResult]:
        update = self.doc.get_update()
        version = NewVersion(
            self.name, update, fingerprint(self.doc, update), kind, label, author, self.epoch, lease
        )
        self._listener.versioning(self)
        result: asyncio.Future[VersionResult] = asyncio.get_running_loop().create_future()
        self._applied += 1
        origin = LocalOrigin("versions", author)
        write = PendingWrite(
            self.name, None, origin, self, self._applied, version=version, version_result=result
        )
        if exact:  # it must hold every row committed before it, on any process
            write.basis = (self.position.hwm, self._writer.rows_committed.get(self.name, 0))
        self._writer.put(write)
        return result

    def apply_committed_elsewhere(self, parts: list[bytes], *, state: bytes | None = None) -> None:
        """Apply updates another process committed (or the log holds that this copy lacks)
        and send them to every peer here. They are stored already: never queued for commit.
        With `state` (the compacted state, when rows this copy lacks were folded into it by a
        compaction elsewhere), `parts` are all the rows the log holds after it, and what the
        room counts as stored starts again from the two: the state is not a row of the log."""
        rows = [part for part in parts if not is_empty_update(part)]
        applied = [state] if state is not None and self._apply_stored(state) else []
        if state is not None:
            size = self.log_size  # what is stored now: the state, and the rows after it
            size.count, size.bytes, size.state_bytes = len(rows), sum(map(len, rows)), len(state)
            size.held = size.held_bytes = 0
            self.size = len(state) + size.bytes
        for part in rows:
            if not self._apply_stored(part):
                continue
            if state is None:
                self.size += len(part)
                self.log_size.count += 1
                self.log_size.bytes += len(part)
            applied.append(part)
        if not applied:
            return
        frame = crdt.merged(applied) if len(applied) > 1 else applied[0]
        for data in [frame] if frame is not None else applied:
            self.broadcast(encode_update(data))

    def _apply_stored(self, part: bytes) -> bool:
        """Apply one stored part; False (logged) if it does not apply."""
        try:
            parsed = parse_update(part, self.limits.max_nesting_depth)
            levels = self.nesting.admit(parsed, strict=False)
            self._apply(part, parsed, self.encodings.state(), levels)
        except InvalidUpdate as error:
            log.error("room %s: a committed update does not apply: %s", self.name, error)
            return False
        return True

    def close(self, error: CollabError) -> None:
        """Refuse further updates and close every peer with `error` (room deleted)."""
        self._closed_by = error
        for peer in list(self.peers):
            peer.fail(error)

    def dispose(self) -> None:
        """The room left the live set: stop its timer, and tell nobody of it any more. Its log
        position calls back into the room, and a cycle would keep the whole document in memory
        until a full garbage collection."""
        self.awareness.cancel()
        self.position.on_rows = None
        self._listener = UNHEARD

    def ensure_open(self) -> None:
        """Raise the error the room was closed with (it was deleted), if any."""
        if self._closed_by is not None:
            raise self._closed_by

    def on_committed(self, writes: list[PendingWrite]) -> None:
        """Broadcast committed updates (a batch's in as few frames as it allows, each encoded
        once) and acknowledge their senders."""
        acks: dict[Peer, int] = {}
        edited = False
        rejected = False
        for write in writes:
            if write.rejected is not None:
                # Neither stored nor sent, nor acknowledged as durable. A refused version only
                # fails its caller; a refused update leaves memory ahead of the database.
                rejected = rejected or write.version is None
                continue
            if write.data is not None:
                edited = True
                # Counted as stored: a run of updates merged into one row is one row.
                if not write.in_earlier_row:
                    self.log_size.count += 1
                    self.log_size.bytes += len(write.row if write.row is not None else write.data)
            if write.peer is not None:
                acks[write.peer] = write.ack_count
        if edited:
            self._broadcast_committed(writes)
        for peer, count in acks.items():
            if peer in self.peers and peer.wants_ack:
                peer.send(encode_durable(count))
        self._committed = writes[-1].seq
        self._commit_event.set()
        for event in version_events(writes):
            self.announce(event)
        self._listener.committed(self, edited=edited)
        if rejected:
            # Memory now holds what the database does not: close everyone (they reconnect and
            # resync) and let the manager drop this room, so the next load is what is stored.
            # A write fenced by a delete closes them as deleted.
            fenced = [w.rejected for w in writes if isinstance(w.rejected, WriteFenced)]
            self.close(
                RoomDeleted(f"room {self.name!r} was deleted")
                if fenced
                else WriteRejected("an update could not be stored; reconnect to reload")
            )
            self._listener.rejected(self)

    def _broadcast_committed(self, writes: list[PendingWrite]) -> None:
        """One frame per run of a batch's small updates, merged by yrs (as Hocuspocus batches
        its fan-out per turn), instead of a frame per update per peer. A frame goes to every
        peer but the sender (unless it asked for echoes: ?echo=1) when the run has one; a run
        merged from several peers' updates goes to them too (each applies its own part as a
        no-op, as from y-websocket's server).
        Large updates and the room's surrogate repairs (which must stay transactions of their
        own: content/surrogates.py) go alone, in their place. A run the writer stored as one
        merged row is sent as that row, not merged a second time."""
        run: list[tuple[bytes, set[Peer | None]]] = []  # (update or stored row, its senders)

        def flush() -> None:
            if not run:
                return
            update = crdt.merged([data for data, _ in run]) if len(run) > 1 else run[0][0]
            senders: set[Peer | None] = set().union(*(peers for _, peers in run))
            # When yrs could not merge them, each goes alone.
            for data, peers in [(update, senders)] if update is not None else run:
                only = next(iter(peers)) if len(peers) == 1 else None
                if only is not None and only.wants_echo:
                    only = None  # it asked for its own committed updates back
                self.broadcast(encode_update(data), exclude=only)
            run.clear()

        for write in writes:
            if write.rejected is not None or write.data is None:
                continue
            if write.in_earlier_row and run:  # its update is in the row before it
                run[-1][1].add(write.peer)
                continue
            data = write.row or write.data
            if write.separate or (write.row is None and len(data) > MERGE_MAX_BYTES):
                flush()
                run.append((data, {write.peer}))
                flush()
            else:
                run.append((data, {write.peer}))
        flush()

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
