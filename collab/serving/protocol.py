"""collab's WebSocket protocol for uvicorn: the ASGI websocket interface over websockets'
documented sans-I/O ServerProtocol, given to uvicorn through its `ws` option.

The contract with uvicorn is how it builds and manages a WebSocket protocol (see
tests/serving/test_contracts.py): the class is called with `config`, `server_state` and
`app_state`, gets `connection_made` with the socket's transport and `data_received` with the
upgrade request, adds itself to `server_state.connections` while connected and its app task to
`server_state.tasks`, and closes with 1012 when uvicorn calls `shutdown()`. From the config it
reads the app (`loaded_app`), `root_path` and the documented `ws_*` settings.

Besides the ASGI path, three fast paths (counted in serving.counters, shown in /metrics):

- Reading: simple binary frames are read here (serving.frames), every other frame is handed
  to websockets whole. Reading is not paused after every message: only once 16 messages, or
  256 KiB, wait for the app (TCP then holds the client back).
- Screening: each binary message is offered to the app's screen (TransportControl.screen)
  before it is queued, and an echo the app does not need is dropped there.
- Writing: the app writes binary frames straight to the socket (TransportControl.send_now),
  one write per peer per event-loop turn, framed once per broadcast (serving.transport).

Per connection it keeps this object, websockets' protocol, an Inbox of messages waiting for the
app (no asyncio.Queue) and the transport control; the upgrade request and response are let go
once the handshake is done.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
from typing import Any, ClassVar

import uvicorn
from websockets.exceptions import InvalidState
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from collab.api.ws import TRANSPORT_KEY
from collab.serving import handshake
from collab.serving.counters import FastPathCounts
from collab.serving.frames import HAND_OVER, read_frame
from collab.serving.http import unwrap
from collab.serving.inbox import Inbox
from collab.serving.transport import Corks, DirectTransport

# websockets' own lines ("connection open", "connection closed": no address, no path, two per
# connection beside the "[accepted]" line) under a logger of their own, shown when debugging
# (collab.logs.configure).
_WEBSOCKETS_LOG = logging.getLogger("collab.websockets")

# Messages, and bytes, one WebSocket may have read and waiting for the app before its socket is
# no longer read.
_READ_AHEAD_MESSAGES = 16
_READ_AHEAD_BYTES = 262_144
# How long a close frame waits for the peer's before the socket is closed anyway.
_CLOSE_TIMEOUT = 10.0

Message = dict[str, Any]


class ClientDisconnected(OSError):
    """The client is gone: an ASGI send has nowhere to go (Starlette makes it a disconnect)."""


class _Stage(enum.Enum):
    CONNECTING = enum.auto()  # the app has not answered the upgrade yet
    ACCEPTED = enum.auto()
    REFUSED = enum.auto()  # a 403, 500 or the app's own HTTP response


def websocket_protocol(counts: FastPathCounts | None = None) -> type[WebSocketProtocol]:
    """A protocol class for uvicorn's `ws` option, counting its fast paths into `counts`."""

    class CollabWebSocketProtocol(WebSocketProtocol):
        __slots__ = ()
        corks = Corks()

    CollabWebSocketProtocol.counts = counts or FastPathCounts()
    return CollabWebSocketProtocol


class WebSocketProtocol(asyncio.Protocol):
    """One WebSocket connection, from the upgrade request uvicorn hands over to its close."""

    corks: ClassVar[Corks]
    counts: ClassVar[FastPathCounts]

    __slots__ = (
        "_app_state",
        "_buffer",
        "_close_sent",
        "_close_timer",
        "_config",
        "_conn",
        "_control",
        "_denial",
        "_disconnected",
        "_fragments",
        "_handover",
        "_inbox",
        "_lost",
        "_ping_payload",
        "_ping_timer",
        "_plain",
        "_pong_timer",
        "_read_paused",
        "_response",
        "_scope",
        "_server_state",
        "_stage",
        "_text",
        "_transport",
        "_waiting",
        "_writable",
    )

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._config = config
        self._server_state = server_state
        self._app_state = app_state
        deflate = ServerPerMessageDeflateFactory(
            server_max_window_bits=12, client_max_window_bits=12, compress_settings={"memLevel": 5}
        )
        self._conn = ServerProtocol(
            extensions=[deflate] if config.ws_per_message_deflate else [],
            max_size=config.ws_max_size,
            logger=_WEBSOCKETS_LOG,
        )
        self._transport: asyncio.Transport | None = None
        self._stage = _Stage.CONNECTING
        self._scope: Message | None = None
        self._response: Any = None  # the 101 response until the app accepts
        self._denial: tuple[int, list[tuple[bytes, bytes]], list[bytes]] | None = None
        self._control: DirectTransport | None = None
        self._inbox: Inbox[Message] = Inbox()
        self._waiting = 0  # bytes of messages queued for the app
        self._read_paused = False
        self._writable: asyncio.Future[None] | None = None  # while the transport is full
        self._plain = False  # accepted without an extension: frames are what they look like
        self._buffer: bytearray | None = None  # the start of a frame not read whole yet
        self._handover = False  # websockets reads everything from now on
        self._fragments: list[bytes] | None = None  # a fragmented message so far
        self._text = False  # ... a text one
        self._close_sent = False  # the app closed (or the server): later messages are dropped
        self._disconnected = False  # the app was told
        self._lost = False
        self._close_timer: asyncio.TimerHandle | None = None
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pong_timer: asyncio.TimerHandle | None = None
        self._ping_payload: bytes | None = None

    # -- asyncio.Protocol, as uvicorn drives it ------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = unwrap(transport)
        self._server_state.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self._lost:
            return
        if self._scope is None and self._stage is _Stage.CONNECTING:
            self._handshake(data)
            return
        buffer = self._buffer
        if buffer is not None:
            buffer += data
        if self._handover or not self._reads_directly():
            self._buffer = None
            self._feed(data if buffer is None else buffer)
            return
        self._read_frames(data if buffer is None else buffer)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._server_state.connections.discard(self)
        self._stop_timers()
        self._buffer = None
        self.resume_writing()
        conn = self._conn
        conn.receive_eof()  # websockets' state becomes CLOSED
        conn.data_to_send()  # nothing can be sent any more
        self._disconnect(self._lost_code())

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        writable, self._writable = self._writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)

    def shutdown(self) -> None:
        """uvicorn is shutting down: close with 1012 (an HTTP 500 before the handshake)."""
        transport = self._transport
        self._stop_timers()
        if transport is None or self._lost:
            return
        if self._stage is _Stage.ACCEPTED and not self._close_sent:
            self._flush_direct()
            self._close_sent = True
            self._disconnect(1012)
            try:
                self._conn.send_close(1012)
            except InvalidState:
                pass  # a close frame already went either way
            self._write_out()
        elif self._stage is _Stage.CONNECTING:
            self._fail_handshake()
        transport.close()

    # -- what collab.serving.transport asks ----------------------------------------------------

    def writes_directly(self) -> bool:
        """Whether a binary frame may be written to the socket as it is now."""
        transport = self._transport
        return (
            self._plain
            and self._conn.state is State.OPEN
            and transport is not None
            and not transport.is_closing()
        )

    def _reads_directly(self) -> bool:
        return self._plain and self._conn.state is State.OPEN

    # -- reading ------------------------------------------------------------------------------

    def _handshake(self, data: bytes) -> None:
        """The upgrade request: a scope and the app's task, or websockets' refusal."""
        conn = self._conn
        conn.receive_data(data)
        events = conn.events_received()
        if not events:
            if conn.handshake_exc is not None:  # not a request websockets can read
                self._stage = _Stage.REFUSED
                answer = [data for data in conn.data_to_send() if data]  # 414 or 431, or none
                if not answer:
                    refusal = conn.reject(400, "Failed to open a WebSocket connection.\n")
                    answer = [refusal.serialize()]
                for data in answer:
                    self._write(data)
                self._close()
            return
        request, *frames = events
        assert isinstance(request, Request)
        self._on_request(request)
        for frame in frames:
            assert isinstance(frame, Frame)
            self._on_frame(frame)
        self._write_out()

    def _on_request(self, request: Request) -> None:
        transport = self._transport
        assert transport is not None
        response = self._conn.accept(request)
        if response.status_code != 101:  # not a valid upgrade: websockets says why
            self._stage = _Stage.REFUSED
            self._conn.send_response(response)
            return
        self._response = response
        scope = handshake.scope_of(request, transport, self._config.root_path, self._app_state)
        self._control = DirectTransport(transport, self, self.corks, self.counts)
        scope[TRANSPORT_KEY] = self._control
        self._scope = scope
        self._inbox.put_nowait({"type": "websocket.connect"})
        task = asyncio.get_running_loop().create_task(self._run_app(scope))
        tasks = self._server_state.tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def _read_frames(self, data: bytes | bytearray) -> None:
        """Deliver the simple binary frames of `data`, hand every other whole frame to
        websockets, and keep an incomplete frame for the next read."""
        position, size = 0, len(data)
        max_size = self._config.ws_max_size
        while position < size:
            found = read_frame(data, position, max_size)
            if found is None:
                break
            end, payload = found
            if found is HAND_OVER:
                self._handover = True
                end = size
            if payload is not None and self._fragments is None:
                self.counts.read_collab += 1
                self._deliver(payload)
            else:  # websockets keeps its own state (and close codes) for these
                self._feed(data[position:end])
            position = end
            if position < size and not self._reads_directly():  # closing now
                self._feed(data[position:])
                position = size
        if position >= size:
            self._buffer = None
        elif data is self._buffer:
            del data[:position]
        else:
            self._buffer = bytearray(data[position:])

    def _feed(self, data: bytes | bytearray) -> None:
        """Let websockets read `data`, then act on what it found and send what it answers."""
        conn = self._conn
        conn.receive_data(data)
        for event in conn.events_received():
            if isinstance(event, Frame):
                self._on_frame(event)
        self._write_out()

    def _on_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.BINARY or opcode is Opcode.TEXT or opcode is Opcode.CONT:
            self.counts.read_websockets += 1
            self._on_data(frame)
        elif opcode is Opcode.PONG:
            self._ponged(bytes(frame.data))
        elif opcode is Opcode.CLOSE:  # websockets answered it, and ends the connection
            close = Close.parse(frame.data)
            self._disconnect(close.code, close.reason)
        # A ping: websockets queued its pong.

    def _on_data(self, frame: Frame) -> None:
        """A whole message, or a piece of one (websockets checks the order and the size)."""
        data = bytes(frame.data)
        if frame.opcode is not Opcode.CONT:
            self._text = frame.opcode is Opcode.TEXT
            if not frame.fin:
                self._fragments = [data]
                return
        elif self._fragments is not None:
            self._fragments.append(data)
            if not frame.fin:
                return
            data, self._fragments = b"".join(self._fragments), None
            max_size = self._config.ws_max_size
            if max_size is not None and len(data) > max_size:
                self._conn.fail(1009, f"message over {max_size} bytes")
                return
        if not self._text:
            self._deliver(data)
            return
        try:
            text = data.decode()
        except UnicodeDecodeError:
            self._conn.fail(1007, "invalid UTF-8 in a text message")
            return
        self._queue({"type": "websocket.receive", "text": text}, len(data))

    def _deliver(self, data: bytes) -> None:
        """A binary message for the app, unless it is an echo the app's screen drops."""
        control = self._control
        drop = control.screened if control is not None else None
        if drop is not None and not self._close_sent and drop(data):
            self.counts.echoes_screened += 1
            return
        self._queue({"type": "websocket.receive", "bytes": data}, len(data))

    def _queue(self, message: Message, size: int) -> None:
        if self._close_sent:
            return  # the app is past `websocket.close`: reads go on until the peer's close
        inbox = self._inbox
        inbox.put_nowait(message)
        self._waiting += size
        if not self._read_paused and (
            inbox.qsize() >= _READ_AHEAD_MESSAGES or self._waiting >= _READ_AHEAD_BYTES
        ):
            self._read_paused = True
            assert self._transport is not None
            self._transport.pause_reading()

    # -- the ASGI interface -------------------------------------------------------------------

    async def _run_app(self, scope: Message) -> None:
        try:
            result = await self._config.loaded_app(scope, self.receive, self.send)
        except ClientDisconnected:
            pass
        except Exception:
            handshake.SERVER_LOG.exception("Exception in ASGI application\n")
            self._fail_handshake()
        else:
            if self._stage is _Stage.CONNECTING:
                handshake.SERVER_LOG.error("ASGI callable returned without completing handshake.")
                self._fail_handshake()
            elif result is not None:
                handshake.SERVER_LOG.error(
                    "ASGI callable should return None, but returned '%s'.", result
                )
        finally:
            self._scope = None
            if self._close_timer is None and not self._lost:
                self._flush_direct()
                self._close()

    async def receive(self) -> Message:
        """The next ASGI event: websocket.connect, websocket.receive or websocket.disconnect."""
        message = await self._inbox.get()
        if message["type"] == "websocket.receive":
            data = message.get("bytes")
            if data is None:
                data = message["text"]
            self._waiting = max(0, self._waiting - len(data))
        if self._read_paused and self._inbox.empty():
            self._read_paused = False
            if self._transport is not None:
                self._transport.resume_reading()
        return message

    async def send(self, message: Message) -> None:
        """Carry out an ASGI send: the handshake's answer, a message, or a close."""
        while self._writable is not None:
            await self._writable
        transport = self._transport
        if self._lost or transport is None or transport.is_closing():
            raise ClientDisconnected()
        kind = message["type"]
        if self._stage is _Stage.CONNECTING:
            self._answer_upgrade(kind, message)
        elif self._stage is _Stage.REFUSED:
            self._send_denial_body(kind, message)
        elif self._close_sent:
            raise RuntimeError(f"Unexpected ASGI message '{kind}' after 'websocket.close'.")
        elif kind == "websocket.send":
            self._send_data(message)
        elif kind == "websocket.close":
            self._send_close(message.get("code", 1000), message.get("reason") or "")
        else:
            raise RuntimeError(
                f"Expected ASGI message 'websocket.send' or 'websocket.close', but got '{kind}'."
            )

    def _answer_upgrade(self, kind: str, message: Message) -> None:
        if kind == "websocket.accept":
            self._accept(message)
        elif kind == "websocket.close":  # refused before accepting: HTTP 403
            self._refuse()
        elif kind == "websocket.http.response.start":
            status = message["status"]
            handshake.check_status(status)
            self._stage = _Stage.REFUSED
            self._denial = (status, list(message.get("headers", [])), [])
        else:
            raise RuntimeError(
                "Expected ASGI message 'websocket.accept', 'websocket.close' or "
                f"'websocket.http.response.start' but got '{kind}'."
            )

    def _accept(self, message: Message) -> None:
        response, self._response = self._response, None
        handshake.add_accept_headers(response, self._server_state.default_headers, message)
        self._stage = _Stage.ACCEPTED
        self._conn.send_response(response)
        self._plain = "Sec-WebSocket-Extensions" not in response.headers
        self._write_out()
        if self._scope is not None:
            handshake.log_outcome(self._scope, "[accepted]")
        self._start_keepalive()

    def _refuse(self) -> None:
        self._stage = _Stage.REFUSED
        self._response = None
        self._disconnect(1006)
        if self._scope is not None:
            handshake.log_outcome(self._scope, "403")
        self._conn.send_response(self._conn.reject(403, ""))
        self._write_out()

    def _send_denial_body(self, kind: str, message: Message) -> None:
        denial = self._denial
        if denial is None or kind != "websocket.http.response.body":
            raise RuntimeError(f"Unexpected ASGI message '{kind}' after the upgrade was refused.")
        status, headers, body = denial
        body.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        self._denial = self._response = None
        self._disconnect(1006)
        if self._scope is not None:
            handshake.log_outcome(self._scope, str(status))
        self._conn.send_response(handshake.denial(status, headers, b"".join(body)))
        self._write_out()

    def _send_data(self, message: Message) -> None:
        self._flush_direct()  # frames written directly this turn go first
        data = message.get("bytes")
        try:
            if data is not None:
                self._conn.send_binary(data)
            elif (text := message.get("text")) is not None:
                self._conn.send_text(text.encode())
        except InvalidState:  # a close frame went either way
            raise ClientDisconnected() from None
        self.counts.written_asgi += 1
        self._write_out()

    def _send_close(self, code: int, reason: str) -> None:
        self._flush_direct()
        self._close_sent = True
        self._disconnect(code, reason)
        self._stop_timers()
        try:
            self._conn.send_close(code, reason)
        except InvalidState:
            return  # the peer's close (or a failure) came first: websockets ends the connection
        self._write_out()
        transport = self._transport
        assert transport is not None
        if self._read_paused:  # read on, for the peer's close
            self._read_paused = False
            transport.resume_reading()
        self._close_timer = asyncio.get_running_loop().call_later(_CLOSE_TIMEOUT, self._close)

    def _fail_handshake(self) -> None:
        """HTTP 500, unless the upgrade was answered already."""
        if self._stage is not _Stage.CONNECTING or self._transport is None:
            return
        self._stage = _Stage.REFUSED
        self._response = None
        self._conn.send_response(self._conn.reject(500, "Internal Server Error"))
        self._write_out()

    def _disconnect(self, code: int, reason: str = "") -> None:
        if not self._disconnected:
            self._disconnected = True
            self._inbox.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})

    def _lost_code(self) -> int:
        """The close code the app is told when the socket closed before it was told one."""
        conn = self._conn
        if self._stage is not _Stage.ACCEPTED or conn.state is not State.CLOSED:
            return 1006
        closed = conn.close_exc
        close = closed.rcvd or closed.sent  # a failure sends a close frame, then ends
        return close.code if close is not None else 1006

    # -- writing ------------------------------------------------------------------------------

    def _write_out(self) -> None:
        """Send what websockets has to send; its end of stream closes the socket."""
        for data in self._conn.data_to_send():
            if data:
                self._write(data)
            else:
                self._close()

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def _flush_direct(self) -> None:
        if self._control is not None:
            self._control.flush()

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # -- keepalive ----------------------------------------------------------------------------

    def _start_keepalive(self) -> None:
        interval = self._config.ws_ping_interval
        if interval:
            self._ping_timer = asyncio.get_running_loop().call_later(interval, self._ping)

    def _ping(self) -> None:
        self._ping_timer = None
        if self._close_sent or self._conn.state is not State.OPEN:
            return
        self._ping_payload = random.getrandbits(32).to_bytes(4, "big")
        self._conn.send_ping(self._ping_payload)
        self._write_out()
        timeout = self._config.ws_ping_timeout
        if timeout:
            self._pong_timer = asyncio.get_running_loop().call_later(timeout, self._no_pong)
        else:
            self._start_keepalive()

    def _ponged(self, payload: bytes) -> None:
        if self._ping_payload is None or payload != self._ping_payload:
            return  # unsolicited, or an answer to an older ping
        self._ping_payload = None
        if self._pong_timer is not None:
            self._pong_timer.cancel()
            self._pong_timer = None
            self._start_keepalive()

    def _no_pong(self) -> None:
        self._pong_timer = None
        self._ping_payload = None
        if self._close_sent or self._conn.state is not State.OPEN:
            return
        self._close_sent = True
        self._disconnect(1011, "keepalive ping timeout")
        self._conn.fail(1011, "keepalive ping timeout")
        self._write_out()

    def _stop_timers(self) -> None:
        for timer in (self._ping_timer, self._pong_timer, self._close_timer):
            if timer is not None:
                timer.cancel()
        self._ping_timer = self._pong_timer = self._close_timer = None
        self._ping_payload = None
