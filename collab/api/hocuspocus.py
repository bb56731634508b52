"""The Hocuspocus endpoint /hocuspocus: `@hocuspocus/provider` 2.x-4.x over one WebSocket, any
number of documents on it (docs/hocuspocus.md).

The socket is one `Connection` (its read loop, limits, flow control, send queue and close);
each document on it is a `DocumentPeer` of its room (multiplex.py), admitted on its own Auth
message exactly as /ws admits a connection (admission.py: the token, a share link, a signed-in
session or the host's on_authenticate hook), joined and left as /ws joins and leaves
(api/membership.py). A document refused or closed is answered in-band (Hocuspocus providers
reconnect after every close of the socket), and the socket's other documents go on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from collab import logs
from collab.api.access import origin_allowed, request_info
from collab.api.membership import enter, expiry_timer, leave, peer_origin
from collab.api.ws import TRANSPORT_KEY, run_session, shared_state_buckets
from collab.auth import Identity, Role
from collab.connection import Connection, ConnectionLimits, Inbound, costs_state_work
from collab.contract import READ_ONLY
from collab.errors import CollabError, Forbidden, InvalidRoomName, Overloaded
from collab.hooks import RequestInfo, StatelessMessage
from collab.limits import TokenBucket
from collab.multiplex import Detached, DocumentPeer
from collab.protocol import hocuspocus
from collab.protocol.encoding import Reader
from collab.protocol.hocuspocus import Auth, Detach, Frame, Invalid, Pong, Stateless
from collab.protocol.messages import Message, SyncStep2, Update
from collab.recheck import Watched
from collab.rooms.room import Room
from collab.state import CollabState
from collab.types import PeerOrigin, is_valid_room_name

log = logging.getLogger(__name__)

PATH = "/hocuspocus"
# Documents one socket may hold open or refused at once (Hocuspocus 4 caps pending ones at 100).
MAX_DOCUMENTS = 100
# Frames queued behind a document's frame that may wait (see `_Turn`): at most this many per
# document, and this many bytes of them per socket; past either, the socket is not read until
# that document's queue is handled (TCP then holds the provider back, as any slow reader).
QUEUED_PER_DOCUMENT = 64
QUEUED_BYTES_PER_SOCKET = 1 << 20
# Close codes after which a provider should load the document again: the socket is closed
# with them (every provider reconnects and resyncs), not the one document.
_RETRYABLE = frozenset({1011, 1012, 1013})
# A provider is asked for a fresh token this long before its token expires (or half way,
# for a token that lives less than twice as long).
TOKEN_REQUEST_LEAD = 30.0


@dataclass(slots=True, eq=False)
class _Turn:
    """A document's frames handled in a task of their own, in the order they came, because the
    first may wait: an Auth (the host's hooks decide) or the opening of the document (its room
    read from the database). The socket's other documents are not held up meanwhile, as
    Hocuspocus holds up only the document's own messages."""

    queued: deque[Frame]
    task: asyncio.Task[None] = dataclasses.field(init=False)


@dataclass(slots=True)
class _Joined:
    """A document open on the socket: its peer, its room and its access."""

    peer: DocumentPeer
    room: Room
    watched: Watched
    expiry: asyncio.TimerHandle | None
    # Asks the provider for a fresh token before this one expires.
    renewal: asyncio.TimerHandle | None = None

    def cancel_timers(self) -> None:
        """Stop the expiry and renewal timers."""
        for timer in (self.expiry, self.renewal):
            if timer is not None:
                timer.cancel()

    def watch_expiry(self, identity: Identity) -> None:
        """Close the document when `identity` expires, and ask for a fresh token before."""
        self.cancel_timers()
        peer = self.peer
        self.expiry = expiry_timer(peer.expires_at, identity, peer.fail)
        self.renewal = None
        if peer.expires_at is None or identity.session is not None:
            return  # a session cookie is not renewed through the provider's token
        remaining = peer.expires_at - time.time()
        delay = max(0.0, remaining - min(TOKEN_REQUEST_LEAD, remaining / 2))
        loop = asyncio.get_running_loop()
        self.renewal = loop.call_later(delay, peer.request_token)


async def hocuspocus_socket(websocket: WebSocket) -> None:
    """Check Origin, accept, then serve every document the provider opens until the socket
    closes."""
    state: CollabState = websocket.app.state.collab
    if not origin_allowed(websocket, state.settings.allowed_origins):
        log.warning("refused Hocuspocus WebSocket from origin %r", websocket.headers.get("origin"))
        state.metrics.closed(4403)
        await websocket.close(code=4403)
        return
    await websocket.accept()
    if len(state.connections) >= state.settings.max_connections:
        error = Overloaded("this server is at its connection limit; retry later")
        state.metrics.closed(error.close_code)
        await websocket.close(error.close_code, error.close_reason)
        return
    address = websocket.client.host if websocket.client else None
    origin = PeerOrigin(state.next_connection_id())
    logs.connection_id.set(origin.connection_id)
    connection = Connection(
        websocket,
        origin,
        wants_ack=False,
        limits=ConnectionLimits.from_settings(state.settings),
        budget=state.send_budget,
        shared_state_buckets=shared_state_buckets(state, address, None),
        transport=websocket.scope.get(TRANSPORT_KEY),
        metrics=state.metrics,
        count_traffic=False,  # each document counts its own messages
    )
    documents = HocuspocusSocket(state, connection, request_info(websocket, "websocket"))
    await run_session(websocket, _serve(state, connection, documents))


async def _serve(state: CollabState, connection: Connection, documents: HocuspocusSocket) -> None:
    state.connections.add(connection)
    try:
        await connection.serve_inbound(documents)
    finally:
        state.connections.discard(connection)
        failure = connection.failure
        documents.close_all(failure.close_code if failure is not None else 1000)


class HocuspocusSocket(Inbound[Frame | Pong]):
    """The documents of one socket: frames routed by document name, each document admitted,
    served and closed on its own."""

    def __init__(self, state: CollabState, connection: Connection, info: RequestInfo) -> None:
        self._state = state
        self._connection = connection
        self._info = info
        self._limits = ConnectionLimits.from_settings(state.settings)
        self._documents: dict[str, _Joined] = {}
        # Documents refused (or closed by the server) and not asked for again since: their
        # frames are dropped until the provider sends a new Auth message.
        self._refused: dict[str, str | None] = {}
        # Documents the provider detached from: frames of theirs still on the way (an
        # awareness removal) must not open them again. Not counted under MAX_DOCUMENTS (a
        # provider may move between documents for as long as the socket lives); past
        # MAX_DOCUMENTS of them, the oldest is forgotten.
        self._detached: dict[str, None] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Documents whose frames wait their turn behind one that may wait, and their bytes.
        self._turns: dict[str, _Turn] = {}
        self._queued_bytes = 0
        self._ended = False

    # -- Inbound -----------------------------------------------------------------------------

    def decode(self, frame: bytes) -> Frame | Pong:
        """A Hocuspocus frame; its y-websocket part is counted in the metrics like /ws's."""
        decoded = hocuspocus.decode_frame(frame)
        if isinstance(decoded, Frame):
            self._state.metrics.received(frame[decoded.offset :])
        return decoded

    def state_work(self, message: Frame | Pong) -> Sequence[TokenBucket]:
        """The full-state allowances of the document a SyncStep1 (or a viewer's update) is
        for: each document has its own, besides those of its socket, user and address."""
        if isinstance(message, Pong) or not isinstance(message.message, Message):
            return ()
        joined = self._documents.get(message.key)
        if joined is None or not costs_state_work(message.message, joined.peer.can_write):
            return ()
        return joined.peer.state_buckets

    def only_echoes(self, frame: bytes) -> bool:
        """An awareness message of an open document holding nothing but others' states echoed
        back, dropped as soon as it is read as on /ws (True drops it: counted here)."""
        try:
            reader = Reader(frame)
            key = reader.read_var_string()
        except CollabError:
            return False
        joined = self._documents.get(key)
        if joined is None or not joined.peer.open:
            return False
        message = frame[reader.pos :]
        if not joined.room.only_echoes(joined.peer.origin.connection_id, message):
            return False
        self._state.metrics.received(message)
        return True

    async def handle(self, message: Frame | Pong) -> None:
        """Route one frame to its document; errors of a document close that document. A frame
        that may wait (an Auth, the opening of a document) takes a turn of its own, the
        document's next frames queue behind it, and the socket's other documents go on."""
        if isinstance(message, Pong):
            return
        turn = self._turns.get(message.key)
        if turn is not None:
            turn.queued.append(message)
            self._queued_bytes += message.size
            if (
                len(turn.queued) > QUEUED_PER_DOCUMENT
                or self._queued_bytes > QUEUED_BYTES_PER_SOCKET
            ):
                await asyncio.shield(turn.task)
            return
        if self._waits(message):
            self._start_turn(message)
            return
        await self._dispatch(message)

    def _waits(self, message: Frame) -> bool:
        """Whether handling `message` may wait: an Auth (the host's hooks decide), or (from a
        provider with no token; v2 sends no Auth message then) any Yjs message for a document
        neither open nor refused nor detached (its room is loaded)."""
        key, body = message.key, message.message
        if isinstance(body, Auth):
            return True
        if key in self._documents:
            return False
        return isinstance(body, Message) and not (key in self._refused or key in self._detached)

    def _held(self) -> int:
        """Documents counted under MAX_DOCUMENTS: open, refused, or being opened."""
        opening = sum(
            key not in self._documents and key not in self._refused for key in self._turns
        )
        return len(self._documents) + len(self._refused) + opening

    def _start_turn(self, message: Frame) -> None:
        """Handle `message` in a task of its own; the document's next frames wait behind it."""
        key = message.key
        # A document asked for again after a refusal takes the place it held.
        if key not in self._documents and self._held() - (key in self._refused) >= MAX_DOCUMENTS:
            reason = f"too many documents on one socket (limit {MAX_DOCUMENTS})"
            self._connection.send(hocuspocus.permission_denied(key, reason))
            return
        turn = _Turn(deque([message]))
        self._queued_bytes += message.size
        self._turns[key] = turn
        turn.task = asyncio.create_task(self._take_turn(key, turn), name="document turn")

    async def _take_turn(self, key: str, turn: _Turn) -> None:
        """Handle the document's frames in the order they came until none is left, or the
        socket failed; an error fails the socket as in its read loop. A queued
        request of full-state work waits for its allowances as the read loop makes it wait."""
        first = True
        try:
            while turn.queued and not self._ended and self._connection.failure is None:
                frame = turn.queued.popleft()
                self._queued_bytes -= frame.size
                if not first:
                    await self._wait_for_state_work(frame)
                first = False
                await self._dispatch(frame)
        except Exception as error:
            self._connection.failed_with(error)
        finally:
            self._queued_bytes -= sum(frame.size for frame in turn.queued)
            turn.queued.clear()
            del self._turns[key]

    async def _wait_for_state_work(self, frame: Frame) -> None:
        """Wait until the document's full-state allowances (its own, its socket's, its user's
        and address's) have room, as the read loop waits before reading such a request."""
        delay = max((bucket.delay(0) for bucket in self.state_work(frame)), default=0.0)
        if delay > 0:
            await asyncio.sleep(delay)

    async def _dispatch(self, message: Frame) -> None:
        """Handle one frame of a document, in its turn."""
        key, body = message.key, message.message
        if isinstance(body, Auth):
            await self._authenticate(key, body)
            return
        joined = self._documents.get(key)
        if joined is None:
            if key in self._refused or key in self._detached or not isinstance(body, Message):
                return  # refused: ignored until the provider authenticates again
            # A provider with no token (v2 sends no Auth message then): let in as /ws lets in
            # a connection without one (development mode, a session cookie, the host's hook).
            await self._open(key, None, None)
            joined = self._documents.get(key)
            if joined is None:
                return
        peer = joined.peer
        if not peer.open:
            return
        match body:
            case Detach():
                peer.detach()
            case Invalid(error):
                peer.fail(error)
            case Stateless(payload):
                self._stateless(joined, payload)
            case _:
                await self._room_message(joined, body)
        if peer.failure is not None:
            # Closed by this frame: settled now, not on the loop's next turn, so that the
            # frames right behind it (another document's Auth, this one's again) find it gone.
            self._failed(peer, peer.failure)

    # -- documents ---------------------------------------------------------------------------

    async def _authenticate(self, key: str, auth: Auth) -> None:
        joined = self._documents.get(key)
        if joined is None:
            self._refused.pop(key, None)
            self._detached.pop(key, None)
            await self._open(key, auth.token or None, auth.provider_version)
            return
        if joined.peer.open:
            await self._refresh(joined, auth)

    async def _open(self, key: str, token: str | None, version: str | None) -> None:
        """Admit the provider to a document, then join its room: "Authenticated" and the
        room's handshake follow; a refusal is answered in-band."""
        room_name = hocuspocus.document_name(key)
        try:
            if not is_valid_room_name(room_name):
                raise InvalidRoomName(
                    "room names are 1-128 characters of A-Z a-z 0-9 . _ ~ : @ + -"
                )
            info = dataclasses.replace(self._info, token=token)
            admitted = await self._state.admission.admit(info, token, room_name, Role.VIEWER)
        except CollabError as error:
            self._refuse(key, error, version)
            return
        if self._ended or self._connection.failure is not None:
            return  # the socket failed while the hooks decided: nothing to join for
        identity, role = admitted.identity, admitted.role
        origin, live_name = peer_origin(self._state, admitted)
        shared: tuple[TokenBucket, ...] = self._connection.state_buckets
        if origin.principal is not None:
            shared = (*shared, self._state.state_work_by_user.get(origin.principal))
        peer = DocumentPeer(
            self._connection,
            key,
            origin,
            can_write=role >= Role.EDITOR,
            live_name=live_name,
            limits=self._limits,
            shared_state_buckets=shared,
            metrics=self._state.metrics,
            on_fail=self._failed,
        )
        peer.provider_version = version
        peer.expires_at = identity.expires_at
        peer.role = role.name.lower()
        watched = Watched(identity, room_name, role, peer.fail)
        try:
            room = await enter(self._state, peer, watched, create=peer.can_write)
        except CollabError as error:
            self._refuse(key, error, version)
            return
        joined = _Joined(peer, room, watched, None)
        joined.watch_expiry(identity)
        self._documents[key] = joined
        if self._ended:  # the socket closed while the room loaded
            self._close(joined, 1001)

    async def _refresh(self, joined: _Joined, auth: Auth) -> None:
        """A new token for an open document (Hocuspocus' token sync): checked as on opening;
        refused, the document closes; with another role, it is opened again with it."""
        peer, watched = joined.peer, joined.watched
        token = auth.token or None
        try:
            info = dataclasses.replace(self._info, token=token)
            admitted = await self._state.admission.admit(info, token, watched.room, Role.VIEWER)
        except CollabError as error:
            peer.fail(error)
            return
        if admitted.role != watched.role or admitted.identity.user_id != watched.identity.user_id:
            self._documents.pop(peer.key, None)
            peer.failure = Detached("reopened with another token")
            self._close(joined, 1000)
            await self._open(peer.key, token, auth.provider_version or peer.provider_version)
            return
        watched.identity = admitted.identity  # what the access re-check asks about
        if admitted.identity.expires_at == peer.expires_at:
            return  # the same token again (or one as long-lived): nothing to renew
        peer.expires_at = admitted.identity.expires_at
        joined.watch_expiry(admitted.identity)

    async def _room_message(self, joined: _Joined, message: Message) -> None:
        peer = joined.peer
        try:
            await joined.room.handle(peer, message)
        except Forbidden as error:
            if peer.can_write or error.detail != READ_ONLY:
                peer.fail(error)
            elif isinstance(message, SyncStep2 | Update):
                peer.refuse_write()  # in-band; the document stays open, read-only
        except CollabError as error:
            peer.fail(error)

    def _stateless(self, joined: _Joined, payload: str) -> None:
        """The provider's stateless message, to the host's on_stateless hook (in the
        background); a string it returns goes back to the provider."""
        runner = self._state.hooks
        if not runner.overrides("on_stateless"):
            return
        watched, peer = joined.watched, joined.peer
        event = StatelessMessage(
            watched.room, watched.identity, watched.role, peer.origin.connection_id, payload
        )

        async def run() -> None:
            try:
                reply = await runner.call("on_stateless", runner.hooks.on_stateless(event))
            except CollabError as error:
                log.info("hook on_stateless: %s", error.detail)
                return
            if reply is not None:
                peer.send_stateless(reply)

        task = asyncio.create_task(run(), name="hook on_stateless")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _failed(self, peer: DocumentPeer, error: CollabError) -> None:
        """A document closed (its room, its access, its token, the provider): leave the
        room, then tell the provider in-band, or close the socket when the provider should
        load the document again."""
        joined = self._documents.get(peer.key)
        if joined is None or joined.peer is not peer:
            return
        del self._documents[peer.key]
        self._close(joined, error.close_code)
        if self._ended:
            return
        if isinstance(error, Detached):
            self._detached[peer.key] = None
            if len(self._detached) > MAX_DOCUMENTS:
                del self._detached[next(iter(self._detached))]
            return
        if error.close_code in _RETRYABLE:
            self._connection.fail(error)
            return
        self._refuse(peer.key, error, peer.provider_version, counted=True)

    def _refuse(
        self, key: str, error: CollabError, version: str | None, *, counted: bool = False
    ) -> None:
        """Answer a refusal in-band: PermissionDenied (understood by every provider) for
        refusals of access and for providers that do not say their version; CLOSE with the
        reason for other failures of a v4 provider's document. A failure the provider should
        retry closes the socket instead."""
        if not counted:
            self._state.metrics.closed(error.close_code)
        log.info("refused document %r: %d %s", key, error.close_code, error.detail)
        if error.close_code in _RETRYABLE:
            self._connection.fail(error)
            return
        if len(self._refused) < MAX_DOCUMENTS:
            self._refused[key] = version
        if error.close_code >= 4000 or version is None:
            self._connection.send(hocuspocus.permission_denied(key, error.close_reason))
        else:
            self._connection.send(hocuspocus.close(key, error.close_reason))

    def _close(self, joined: _Joined, close_code: int) -> None:
        joined.cancel_timers()
        leave(self._state, joined.room, joined.peer, joined.watched, close_code)
        self._state.metrics.closed(close_code)

    def close_all(self, close_code: int) -> None:
        """The socket closed: every document on it leaves its room."""
        self._ended = True
        for task in self._tasks:
            task.cancel()
        for turn in self._turns.values():  # as the read loop's own work would be
            turn.task.cancel()
        documents = list(self._documents.values())
        self._documents.clear()
        for joined in documents:
            if joined.peer.failure is None:
                joined.peer.failure = Detached("the socket closed")
            self._close(joined, close_code)


routes = [WebSocketRoute(PATH, hocuspocus_socket)]
