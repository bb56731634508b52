"""A local pycrdt Doc kept in sync with one room over the WebSocket protocol, with reconnect.

The wire contract (handshake, DURABLE acknowledgements, close codes) is docs/protocol.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import quote, urlencode

from pycrdt import Doc, Text, TransactionEvent, merge_updates
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from collab.contract import CONTENT, is_final
from collab.errors import CollabError, InvalidUpdate
from collab.protocol.awareness import AwarenessEntry, decode_awareness, encode_awareness_entries
from collab.protocol.encoding import Reader
from collab.protocol.messages import (
    AwarenessUpdate,
    MessageType,
    SyncStep1,
    SyncStep2,
    Update,
    decode_message,
    encode_awareness,
    encode_sync_step1,
    encode_sync_step2,
    encode_update,
    is_empty_update,
)

ABNORMAL = 1006


def websocket_base(base_url: str) -> str:
    """The WebSocket endpoint for a server's HTTP base URL: http -> ws, https -> wss, plus /ws."""
    scheme, separator, rest = base_url.partition("://")
    ws_scheme = {"http": "ws", "https": "wss"}.get(scheme.lower())
    if not separator or ws_scheme is None:
        raise ValueError(f"base URL must start with http:// or https://, got {base_url!r}")
    return f"{ws_scheme}://{rest.rstrip('/')}/ws"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: exponential from `initial`, capped at `cap`, with full jitter."""

    initial: float = 0.1
    cap: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before reconnect attempt number `attempt` (0 is the first)."""
        return rng.uniform(0, min(self.cap, self.initial * 2 ** min(attempt, 32)))


class LiveClosed(Exception):
    """The live document stopped for good: a final close code, or close() was called."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed with {code}: {reason}" if code is not None else reason)
        self.code = code
        self.reason = reason


@dataclass(slots=True)
class _Session:
    """One socket's state; DURABLE counts restart with every socket (docs/protocol.md)."""

    ws: ClientConnection
    sent: int = 0
    acked: int = 0
    synced: bool = False
    reply_to: bytes | None = None
    presence_clock: int = -1


class LiveDocument:
    """A pycrdt Doc synced live with one room; local changes are sent, remote ones applied."""

    def __init__(
        self,
        ws_base_url: str,
        room: str,
        *,
        doc: Doc[Any] | None = None,
        token: str | None = None,
        name: str | None = None,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.room = room
        query = urlencode({"ack": "1", **({"name": name} if name else {})})
        self.url = f"{ws_base_url.rstrip('/')}/{quote(room, safe='')}?{query}"
        self.doc: Doc[Any] = doc if doc is not None else Doc()
        self.text = self.doc.get(CONTENT, type=Text)
        self.peers: dict[int, Any] = {}
        self.attempts = 0
        self.recent_closes: deque[tuple[int, str]] = deque(maxlen=16)
        self.closed_with: tuple[int, str] | None = None
        # The token travels as a subprotocol, as the editor sends it (never in the URL).
        self._subprotocols = (
            [Subprotocol("collab"), Subprotocol(f"collab.token.{token}")] if token else None
        )
        self._backoff = backoff or Backoff()
        self._rng = rng or random.Random()
        self._session: _Session | None = None
        self._pending: list[bytes] = []
        self._presence: AwarenessEntry | None = None
        self._applying_remote = False
        self._changed = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._last_synced = False
        self._subscription = self.doc.observe(self._on_local_change)

    async def __aenter__(self) -> Self:
        self.start()
        try:
            await self.synced()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        """Whether a socket is open right now."""
        return self._session is not None

    @property
    def sent(self) -> int:
        """Update-carrying messages sent on the current socket (0 when disconnected)."""
        return self._session.sent if self._session is not None else 0

    @property
    def acked(self) -> int:
        """The last DURABLE count on the current socket: that many sent messages committed."""
        return self._session.acked if self._session is not None else 0

    def start(self) -> None:
        """Start connecting (and reconnecting) in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"collab live {self.room}")

    async def close(self) -> None:
        """Close the socket normally and stop reconnecting; unsent local changes stay local."""
        if self._closing:
            return
        self._closing = True
        if self._session is not None:
            with contextlib.suppress(Exception):
                await self._session.ws.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
        self.doc.unobserve(self._subscription)
        self._notify()

    # -- waiting ---------------------------------------------------------------------------

    async def synced(self) -> None:
        """Wait until the current socket has exchanged state with the server."""
        await self._wait(lambda: self._session is not None and self._session.synced)

    async def flushed(self) -> None:
        """Wait until every local change so far is committed on the server (DURABLE)."""
        await self._wait(self._is_flushed)

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until `predicate()` holds, checked after each change; LiveClosed if stopped."""
        await self._wait(predicate)

    async def wait_closed(self) -> tuple[int, str] | None:
        """Wait until the live document stops for good; return `closed_with`."""
        if self._task is not None:
            await asyncio.wait([self._task])
        return self.closed_with

    def _is_flushed(self) -> bool:
        session = self._session
        if session is None or not session.synced or session.reply_to is not None:
            return False
        return not self._pending and session.acked >= session.sent

    async def _wait(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            self._raise_if_stopped()
            await self._changed.wait()

    def _raise_if_stopped(self) -> None:
        if self.closed_with is not None:
            raise LiveClosed(*self.closed_with)
        if self._closing or self._task is None or self._task.done():
            raise LiveClosed(None, "not running: call start() or use `async with`")

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # -- presence --------------------------------------------------------------------------

    def set_presence(self, state: dict[str, Any] | None) -> None:
        """Announce this client's awareness state (None: gone) to the room's peers."""
        clock = 1 if self._presence is None else self._presence.clock + 1
        self._presence = AwarenessEntry(self.doc.client_id, clock, json.dumps(state))
        self._wake.set()

    def _on_awareness(self, payload: bytes) -> None:
        for entry in decode_awareness(payload, max_entries=1_000_000):  # from our server
            if entry.client_id == self.doc.client_id:
                continue
            if entry.removed:
                self.peers.pop(entry.client_id, None)
            else:
                self.peers[entry.client_id] = json.loads(entry.state_json)

    # -- connection loop -------------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        try:
            while not self._closing:
                code, reason = await self._connect_once()
                self.recent_closes.append((code, reason))
                self._notify()
                if self._closing:
                    return
                if is_final(code):  # collab.contract: final codes, and any other 44xx
                    self.closed_with = (code, reason)
                    return
                attempt = 0 if self._last_synced else attempt + 1
                await asyncio.sleep(self._backoff.delay(attempt, self._rng))
        finally:
            self._notify()

    async def _connect_once(self) -> tuple[int, str]:
        """Connect, serve until the socket ends, and return its close code and reason."""
        self.attempts += 1
        self._last_synced = False
        try:
            async with connect(
                self.url,
                subprotocols=self._subprotocols,
                max_size=None,
                open_timeout=10,
            ) as ws:
                return await self._serve(ws)
        except InvalidStatus as error:
            status = error.response.status_code
            # A refused upgrade maps like the server's own codes: 403 -> 4403.
            return (ABNORMAL if status >= 500 or status == 429 else 4000 + status), str(error)
        except (OSError, TimeoutError, InvalidHandshake) as error:
            return ABNORMAL, str(error) or type(error).__name__

    async def _serve(self, ws: ClientConnection) -> tuple[int, str]:
        session = _Session(ws)
        self._begin(session)
        sender = asyncio.create_task(self._send_loop(session), name="collab live sender")
        try:
            await ws.send(encode_sync_step1(self.doc.get_state()))
            await self._read_loop(session)
        except ConnectionClosed:
            pass
        except CollabError as error:
            await ws.close(error.close_code, error.close_reason)
        finally:
            self._last_synced = session.synced
            self._end()  # before any await: close() may cancel this task here
            sender.cancel()
            await asyncio.wait([sender])
        return ws.close_code or ABNORMAL, ws.close_reason or ""

    def _begin(self, session: _Session) -> None:
        self._session = session
        self._pending.clear()  # the handshake's SyncStep2 covers everything made offline
        self.peers.clear()
        self._wake.set()
        self._notify()

    def _end(self) -> None:
        self._session = None
        self.peers.clear()
        self._notify()

    # -- outgoing --------------------------------------------------------------------------

    def _on_local_change(self, event: TransactionEvent) -> None:
        if self._applying_remote or self._session is None or is_empty_update(event.update):
            return
        self._pending.append(event.update)
        self._wake.set()
        self._notify()

    async def _send_loop(self, session: _Session) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await self._wake.wait()
                self._wake.clear()
                for frame in self._outgoing(session):
                    await session.ws.send(frame)
                self._notify()

    def _outgoing(self, session: _Session) -> list[bytes]:
        """Frames to send now; update-carrying ones are counted for DURABLE as they are built."""
        frames: list[bytes] = []
        if session.reply_to is not None:
            frames.append(encode_sync_step2(self.doc.get_update(session.reply_to)))
            session.reply_to = None
            session.sent += 1
            self._pending.clear()  # the reply holds every local change so far
        if self._pending:
            frames.append(encode_update(merge_updates(*self._pending)))
            self._pending.clear()
            session.sent += 1
        presence = self._presence
        if presence is not None and presence.clock != session.presence_clock:
            frames.append(encode_awareness(encode_awareness_entries([presence])))
            session.presence_clock = presence.clock
        return frames

    # -- incoming --------------------------------------------------------------------------

    async def _read_loop(self, session: _Session) -> None:
        async for frame in session.ws:
            if isinstance(frame, bytes):
                self._on_frame(session, frame)
                self._notify()

    def _on_frame(self, session: _Session, frame: bytes) -> None:
        reader = Reader(frame)
        if reader.read_var_uint() == MessageType.DURABLE:
            session.acked = reader.read_var_uint()
            reader.expect_end()
            return
        match decode_message(frame):
            case SyncStep1(state_vector):
                session.reply_to = state_vector
                self._wake.set()
            case SyncStep2(update):
                self._apply_remote(update)
                session.synced = True
            case Update(update):
                self._apply_remote(update)
            case AwarenessUpdate(payload):
                self._on_awareness(payload)

    def _apply_remote(self, update: bytes) -> None:
        self._applying_remote = True
        try:
            self.doc.apply_update(update)
        except BaseException as error:  # pycrdt's PanicException derives from BaseException
            if isinstance(error, KeyboardInterrupt | SystemExit | asyncio.CancelledError):
                raise
            raise InvalidUpdate(f"the server sent an update pycrdt rejects: {error}") from None
        finally:
            self._applying_remote = False
