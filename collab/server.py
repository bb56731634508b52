"""`collab serve` on uvicorn, with two guards uvicorn lacks.

- A header-read timeout: uvicorn waits for ever for the first request on a new connection (and
  for the rest of a request's headers), so idle or trickling sockets pile up (1,000 idle
  sockets stayed open for good). Here a connection that has not sent a whole request head
  within `header_timeout` seconds of connecting, or of its last response, is closed.
- A view of the WebSocket transport: it keeps everything written to a peer that stopped
  reading, and closing waits for that to flush. The scope gets a `TransportControl` under
  `collab.api.ws.TRANSPORT_KEY`: the send budget counts what the transport still buffers, and a
  slow consumer's transport is aborted.
- A drain before shutdown: SIGTERM first fails /readyz for `drain_delay` seconds while
  everything else is served, then uvicorn stops listening and closes WebSockets with 1012.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from collab.api.ws import TRANSPORT_KEY
from collab.app import start_draining
from collab.config import package_version as version
from collab.frames import read_frame
from collab.inbox import Inbox

log = logging.getLogger("collab")
_WEBSOCKETS_LOG = logging.getLogger("collab.websockets")

_Base: Any = AutoHTTPProtocol
# websockets' sans-I/O protocol, named rather than "auto": `_Transport.send_now` writes frames
# through its protocol object.
_WsBase: Any = WebSocketsSansIOProtocol


def http_protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, closing connections whose request head does not arrive in time."""

    class HeaderTimeoutProtocol(_Base):  # type: ignore[misc]
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

        def handle_websocket_upgrade(self, *event: Any) -> None:
            super().handle_websocket_upgrade(*event)  # h11's takes its event, httptools' none
            # This object is done with: let it go now (its timer, and the cycle with its
            # parser, would keep it, and what it read, for a while after every upgrade).
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            self.parser = None

        def _arm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            loop = asyncio.get_running_loop()
            self._head_timer = loop.call_later(header_timeout, self._head_timed_out)

        def _head_timed_out(self) -> None:
            self._head_timer = None
            transport = self.transport
            if transport.is_closing() or transport.get_protocol() is not self:
                return  # closed, or upgraded to a WebSocket
            cycle = getattr(self, "cycle", None)
            if cycle is not None and not cycle.response_complete:
                return  # a request is being served: its head arrived
            transport.close()

    return HeaderTimeoutProtocol


# Messages, and bytes, one WebSocket may have read and waiting for the app before its socket is
# no longer read (TCP then holds the client back).
_READ_AHEAD_MESSAGES = 16
_READ_AHEAD_BYTES = 262_144


def websocket_protocol() -> type[asyncio.Protocol]:
    """uvicorn's WebSocket protocol, showing the app its transport's buffer and abort, and
    writing the app's frames itself (see `_Transport.send_now`)."""
    corks = _Corks()

    class ObservableWebSocketProtocol(_WsBase):  # type: ignore[misc]
        _collab_transport: _Transport | None = None
        _collab_waiting = 0  # bytes of messages read and not yet taken by the app
        # Frames read here rather than by websockets' parser (collab/frames.py): reads so far,
        # whether websockets reads everything from now on, and an incomplete frame.
        _collab_reads = 0
        _collab_off = False
        _collab_buffer: bytearray | None = None
        read_paused: bool  # uvicorn's

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.queue: Inbox[Any] = Inbox()
            # websockets' own lines ("connection open", "connection closed": no address, no
            # path, two per connection beside uvicorn's "[accepted]" line) under a logger of
            # their own, shown when debugging (collab.logs.configure).
            self.conn.logger = _WEBSOCKETS_LOG
            self.conn.debug = _WEBSOCKETS_LOG.isEnabledFor(logging.DEBUG)

        async def run_asgi(self) -> None:
            self._collab_transport = _Transport(self.transport, self, corks)
            self.scope[TRANSPORT_KEY] = self._collab_transport
            await super().run_asgi()

        async def send(self, message: Any) -> None:
            # Frames written directly this turn go out before anything sent the ASGI way.
            if self._collab_transport is not None:
                self._collab_transport.flush()
            await super().send(message)
            if self.handshake_complete:
                # The upgrade request and our response (their headers) are not needed again.
                self.request = self.response = None

        def send_receive_event_to_app(self) -> None:
            # uvicorn stops reading the socket after every message until the app has taken it
            # (two system calls per message); here once a few messages, or enough bytes to
            # matter, wait for the app: as much read-ahead as one read of the socket holds.
            size = sum(len(frame) for frame in self.frames)
            bytes_message = self.curr_msg_data_type == "bytes"
            queued = self.queue.qsize()
            paused = self.read_paused
            self.read_paused = True  # keeps uvicorn from pausing
            try:
                super().send_receive_event_to_app()
            finally:
                self.read_paused = paused
            if bytes_message and self.queue.qsize() > queued:
                self._collab_waiting += size
            if not paused and (
                self.queue.qsize() >= _READ_AHEAD_MESSAGES
                or self._collab_waiting >= _READ_AHEAD_BYTES
            ):
                self.read_paused = True
                self.transport.pause_reading()

        def data_received(self, data: bytes) -> None:
            self._collab_reads += 1
            if self._collab_reads == 1 or self._collab_off or not self._collab_simple():
                # The first call is the upgrade request; after that, once websockets' parser
                # has seen bytes that are not whole frames, it reads everything.
                self._collab_off = self._collab_reads > 1
                if self._collab_buffer is not None:
                    data, self._collab_buffer = bytes(self._collab_buffer) + data, None
                super().data_received(data)
                return
            if self._collab_buffer is not None:
                self._collab_buffer += data
                self._collab_read(self._collab_buffer)
            else:
                self._collab_read(data)

        def _collab_simple(self) -> bool:
            conn = self.conn
            return bool(
                self.handshake_complete
                and not self.close_sent
                and conn.state is State.OPEN
                and not conn.extensions
                and conn.current_size is None
            )

        def _collab_read(self, buffer: bytes | bytearray) -> None:
            """Deliver the simple binary frames of `buffer`, hand control frames to
            websockets one by one, and keep an incomplete frame for the next read."""
            position, size = 0, len(buffer)
            max_size = self.conn.max_message_size
            transport = self._collab_transport
            while position < size:
                found = read_frame(buffer, position, max_size)
                if found is None:
                    break
                end, payload = found
                if end < 0 or not self._collab_simple():
                    self._collab_off = True
                    rest = bytes(buffer[position:])
                    self._collab_buffer = None
                    super().data_received(rest)
                    return
                if payload is not None:
                    drop = transport.screened if transport is not None else None
                    if drop is not None and drop(payload):
                        position = end
                        continue
                    self.curr_msg_data_type = "bytes"
                    self.frames = [payload]
                    self.send_receive_event_to_app()
                else:
                    super().data_received(bytes(buffer[position:end]))
                position = end
            if position == size:
                self._collab_buffer = None
            elif buffer is self._collab_buffer:
                del buffer[:position]
            else:
                self._collab_buffer = bytearray(buffer[position:])

        async def receive(self) -> Any:
            message = await super().receive()
            data = message.get("bytes")
            if data is not None:
                self._collab_waiting = max(0, self._collab_waiting - len(data))
            return message

    return ObservableWebSocketProtocol


class _Corks:
    """Frames written to WebSocket transports during one event-loop turn, sent with one write
    per transport at the end of the turn: a peer that several broadcasts reach in one turn costs
    one system call, not one per frame. A frame broadcast to many peers is framed once (server
    frames are not masked, so every peer gets the same bytes)."""

    __slots__ = ("_dirty", "_framed", "_last")

    def __init__(self) -> None:
        self._dirty: list[_Transport] = []
        self._last: bytes | None = None
        self._framed = b""

    def framed(self, data: bytes) -> bytes:
        """`data` as one unfragmented binary WebSocket frame (the last one is remembered)."""
        if data is not self._last:
            self._last, self._framed = data, _binary_frame(data)
        return self._framed

    def hold(self, transport: _Transport) -> None:
        """`transport` has frames to send at the end of this turn."""
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self._flush)
        self._dirty.append(transport)

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        self._last, self._framed = None, b""
        for transport in dirty:
            transport.flush()


def _binary_frame(data: bytes) -> bytes:
    length = len(data)
    if length < 126:
        return bytes((0x82, length)) + data
    if length < 65536:
        return bytes((0x82, 126)) + length.to_bytes(2, "big") + data
    return bytes((0x82, 127)) + length.to_bytes(8, "big") + data


class _Transport:
    """collab.connection.TransportControl over an asyncio transport."""

    __slots__ = (
        "_corks",
        "_on_flush",
        "_pending",
        "_pending_bytes",
        "_protocol",
        "_transport",
        "screened",
    )

    def __init__(self, transport: asyncio.Transport, protocol: Any, corks: _Corks) -> None:
        self._transport = transport
        self._protocol = protocol
        self._corks = corks
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._on_flush: Callable[[], None] | None = None
        # What the app drops of the messages read (see `screen`).
        self.screened: Callable[[bytes], bool] | None = None

    def buffered(self) -> int:
        return self._transport.get_write_buffer_size() + self._pending_bytes

    def backed_up(self) -> bool:
        return self._transport.get_write_buffer_size() > 0

    def watch_flush(self, callback: Callable[[], None] | None) -> None:
        self._on_flush = callback

    def screen(self, drop: Callable[[bytes], bool] | None) -> None:
        self.screened = drop

    def abort(self) -> None:
        self._pending.clear()
        self._pending_bytes = 0
        self._transport.abort()

    def closing(self) -> bool:
        return self._transport.is_closing()

    def send_now(self, data: bytes) -> bool:
        """What uvicorn's websockets-sansio protocol does for a `websocket.send`, without the
        ASGI message, Starlette's wrapper and the task the app's sender awaits in; the frame is
        written at the end of this event-loop turn, with whatever else this peer is sent in it.
        Only while the connection is open and uses no extension (collab turns
        permessage-deflate off), so the frame's bytes are the same for every peer."""
        protocol = self._protocol
        conn = getattr(protocol, "conn", None)
        if (
            conn is None
            or not getattr(protocol, "handshake_complete", False)
            or getattr(protocol, "close_sent", True)
            or getattr(protocol, "initial_response", None) is not None
            or conn.state is not State.OPEN
            or conn.extensions
            or conn.expect_continuation_frame
            or self._transport.is_closing()
        ):
            return False
        if not self._pending:
            self._corks.hold(self)
        frame = self._corks.framed(data)
        self._pending.append(frame)
        self._pending_bytes += len(frame)
        return True

    def flush(self) -> None:
        """Write what is pending in one go (nothing if the connection started closing: a data
        frame may not follow a close frame)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self._pending_bytes = 0
        conn = getattr(self._protocol, "conn", None)
        if conn is None or conn.state is not State.OPEN or self._transport.is_closing():
            return
        self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))
        if self._on_flush is not None:
            self._on_flush()


# CPython collects its youngest generation every 700 net allocations, and the older ones after
# 10 and 10 more of those. A server holding thousands of connections holds hundreds of thousands
# of long-lived objects, and a burst of connections allocates fast: a reconnect storm of 1,000
# clients spent 320 ms of its 1.8 s in the collector (200 ms in one full collection), 65-70 ms
# with these thresholds. Garbage cycles still go, later. Only under `collab serve`: an app that
# embeds collab keeps its own settings.
_GC_THRESHOLDS = (20_000, 20, 10)


class DrainingServer(uvicorn.Server):
    """uvicorn's server, failing /readyz `drain_delay` seconds before it shuts down on SIGTERM
    (a second signal, or SIGINT, shuts down at once)."""

    def __init__(self, config: uvicorn.Config, app: Starlette, drain_delay: float) -> None:
        super().__init__(config)
        self._app = app
        self._drain_delay = drain_delay
        self._drain_until: float | None = None
        self._drain_signal = signal.SIGTERM

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        start_draining(self._app)
        if sig != signal.SIGTERM or self._drain_delay <= 0 or self._drain_until is not None:
            super().handle_exit(sig, frame)
            return
        self._drain_until = time.monotonic() + self._drain_delay
        self._drain_signal = signal.Signals(sig)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start, then say in one line what is served where."""
        gc.set_threshold(*_GC_THRESHOLDS)
        await super().startup(sockets)
        gc.freeze()  # what exists once started (modules, the app) is never scanned again
        if self.started:
            state = self._app.state.collab
            host, port = self.config.host, self.config.port
            if sockets:
                host, port = sockets[0].getsockname()[:2]
            database = make_url(state.settings.database_url).render_as_string(hide_password=True)
            try:
                documents = str(await state.store.count_rooms())
            except Exception:  # the database just went away: say so, serve all the same
                documents = "unknown"
            log.info(
                "collab %s serving http://%s:%s/ (database: %s, documents: %s)",
                version(),
                host,
                port,
                database,
                documents,
            )

    async def on_tick(self, counter: int) -> bool:
        if self._drain_until is not None and not self.should_exit:
            if time.monotonic() >= self._drain_until:
                super().handle_exit(self._drain_signal, None)
        return await super().on_tick(counter)
