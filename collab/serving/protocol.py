"""collab's WebSocket protocol for uvicorn (its `ws` option): the ASGI websocket interface
over websockets' documented sans-I/O ServerProtocol, with the fast paths of serving.reader
(frames read here), serving.transport (frames written directly) and the app's echo screen.

The contract with uvicorn is how it builds and manages a WebSocket protocol, and only that
(tests/serving/test_contracts.py): the class is called with `config`, `server_state` and
`app_state`; it gets `connection_made` with the socket's transport and `data_received` with
the upgrade request; it is in `server_state.connections` while connected, its app task in
`server_state.tasks`; `shutdown()` closes it with 1012. From the config it reads the app
(`loaded_app`), `root_path` and the documented `ws_*` settings.

Per connection: this object, websockets' protocol, the reader, the messages waiting for the
app (serving.inbox: no asyncio.Queue, and reading ahead of the app up to a bound) and the
transport control; the upgrade request and response go once the app has answered. An app may
hand the rest of its connection over (`HAND_OFF_KEY` in the scope): it then runs in a task of
its own and the app's call returns, letting go of the middleware and routing it came through.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Coroutine
from typing import Any, ClassVar

import uvicorn
from websockets.exceptions import InvalidState
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from collab.api.ws import HAND_OFF_KEY, TRANSPORT_KEY
from collab.serving import handshake
from collab.serving.counters import FastPathCounts
from collab.serving.handshake import Answer, Upgrade
from collab.serving.http import unwrap
from collab.serving.inbox import Messages
from collab.serving.keepalive import Keepalive
from collab.serving.reader import Reader
from collab.serving.transport import Corks, DirectTransport

# websockets' own lines ("connection open", "connection closed": no address, no path, two per
# connection beside the "[accepted]" line) under a logger of their own, shown when debugging
# (collab.logs.configure).
_WEBSOCKETS_LOG = logging.getLogger("collab.websockets")

# How long a close frame waits for the peer's before the socket is closed anyway.
_CLOSE_TIMEOUT = 10.0

Message = dict[str, Any]


def _deflate() -> ServerPerMessageDeflateFactory:
    """permessage-deflate with 4 KiB windows (uvicorn's choice), when compression is on."""
    return ServerPerMessageDeflateFactory(
        server_max_window_bits=12, client_max_window_bits=12, compress_settings={"memLevel": 5}
    )


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
        "_close_sent",
        "_close_timer",
        "_config",
        "_control",
        "_disconnected",
        "_handed_off",
        "_inbox",
        "_keepalive",
        "_lost",
        "_plain",
        "_reader",
        "_sansio",
        "_server_state",
        "_stage",
        "_transport",
        "_upgrade",
        "_writable",
        "writes_directly",
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
        self._sansio = ServerProtocol(
            extensions=[_deflate()] if config.ws_per_message_deflate else [],
            max_size=config.ws_max_size,
            logger=_WEBSOCKETS_LOG,
        )
        self._transport: asyncio.Transport | None = None
        self._stage = _Stage.CONNECTING
        self._upgrade: Upgrade | None = None  # until the app answers the upgrade request
        self._control: DirectTransport | None = None
        self._inbox = Messages()  # what was read and the app has not taken yet
        self._writable: asyncio.Future[None] | None = None  # while the transport is full
        self._plain = False  # accepted without an extension: frames are what they look like
        # What collab.serving.transport reads for every frame: plain and open. `_recheck` works
        # it out at the end of `write_out`, which follows everything that hands websockets
        # bytes read or asks it to send, fail or close (the reader's `_feed` included), so the
        # frames the reader delivers itself, the read path's common case, cost nothing here.
        self.writes_directly = False
        self._reader = Reader(self._sansio, self, self.counts, config.ws_max_size)
        self._close_sent = False  # the app closed (or the server): later messages are dropped
        self._disconnected = False  # the app was told
        self._handed_off = False  # the app's session runs in a task of its own
        self._lost = False
        self._close_timer: asyncio.TimerHandle | None = None
        self._keepalive: Keepalive | None = None

    # -- asyncio.Protocol, as uvicorn drives it ------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = self._inbox.transport = unwrap(transport)
        self._server_state.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self._lost:
            return
        if self._control is None and self._stage is _Stage.CONNECTING:  # no request yet
            self._handshake(data)
            return
        self._reader.receive(data)  # whatever it hands websockets ends in `write_out`

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self.writes_directly = False
        self._server_state.connections.discard(self)
        self._stop_timers()
        self._reader.stop()
        self.resume_writing()
        conn = self._sansio
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
        """uvicorn is shutting down: close with 1012, and end the socket once the peer answers
        (or when uvicorn's graceful shutdown gives up on it: `shutdown_timeout`); an HTTP 500
        before the handshake. Ending it at once lost the close frame when the peer was sending:
        the kernel resets a socket closed with unread data, and a reset peer may drop the frame
        it had not read yet (it then saw 1006, not the 1012 that says "server restarting")."""
        transport = self._transport
        self._stop_timers()
        if transport is None or self._lost:
            return
        if self._stage is _Stage.ACCEPTED and not self._close_sent:
            self._send_close(1012, "", self._config.timeout_graceful_shutdown or _CLOSE_TIMEOUT)
            if self._close_timer is None:  # a close frame already went either way
                transport.close()
            return
        if self._stage is _Stage.CONNECTING:
            self._fail_handshake()
        transport.close()

    # -- what collab.serving.transport asks ----------------------------------------------------

    def _recheck(self) -> None:
        """Work out `writes_directly` again, after anything that may have changed websockets'
        state (what it read or sent, a failure) or closed the socket."""
        transport = self._transport
        self.writes_directly = (
            self._plain
            and self._sansio.state is State.OPEN
            and transport is not None
            and not transport.is_closing()
        )

    def reads_directly(self) -> bool:
        """Whether frames may be read by collab's reader now."""
        return self._plain and self._sansio.state is State.OPEN

    # -- reading ------------------------------------------------------------------------------

    def _handshake(self, data: bytes) -> None:
        """The upgrade request: a scope and the app's task, or websockets' refusal."""
        conn = self._sansio
        conn.receive_data(data)
        events = conn.events_received()
        if not events:
            if conn.handshake_exc is not None:  # not a request websockets can read
                self._stage = _Stage.REFUSED
                for answer in handshake.unreadable(conn):
                    self._write(answer)
                self._close()
            return
        request, *frames = events
        assert isinstance(request, Request)
        self._on_request(request)
        for frame in frames:
            assert isinstance(frame, Frame)
            self._reader.on_frame(frame)
        self.write_out()

    def _on_request(self, request: Request) -> None:
        transport = self._transport
        assert transport is not None
        response = self._sansio.accept(request)
        if response.status_code != 101:  # not a valid upgrade: websockets says why
            self._stage = _Stage.REFUSED
            self._sansio.send_response(response)
            return
        scope = handshake.scope_of(request, transport, self._config.root_path, self._app_state)
        # The scope has its own copy of the headers. websockets' parser keeps the request it
        # parsed (a local of its parsing generator) for as long as the connection is open: let
        # its headers go (about 2 KB a connection).
        request.headers.clear()
        self._control = DirectTransport(transport, self, self.corks, self.counts)
        scope[TRANSPORT_KEY] = self._control
        scope[HAND_OFF_KEY] = self._hand_off
        self._upgrade = Upgrade(self._sansio, response, scope)
        self._inbox.put_nowait({"type": "websocket.connect"})
        task = asyncio.get_running_loop().create_task(self._run_app(scope))
        tasks = self._server_state.tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def deliver(self, data: bytes) -> None:
        """A binary message for the app, unless it is an echo the app's screen drops."""
        control = self._control
        drop = control.screened if control is not None else None
        if drop is not None and not self._close_sent and drop(data):
            self.counts.echoes_screened += 1
            return
        self._queue({"type": "websocket.receive", "bytes": data}, len(data))

    def deliver_text(self, text: str) -> None:
        """A text message for the app."""
        self._queue({"type": "websocket.receive", "text": text}, len(text))

    def peer_closed(self, code: int, reason: str) -> None:
        """The peer closed (websockets answered, and ends the connection)."""
        self._disconnect(code, reason)

    def ponged(self, payload: bytes) -> None:
        """A pong: the keepalive's answer."""
        if self._keepalive is not None:
            self._keepalive.pong(payload)

    def _queue(self, message: Message, size: int) -> None:
        if not self._close_sent:  # past `websocket.close`, reads go on until the peer's close
            self._inbox.put(message, size)

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
            if not self._handed_off:
                self._finish()

    def _hand_off(self, session: Coroutine[Any, Any, None]) -> None:
        """The app's `scope[HAND_OFF_KEY]`: run `session`, the rest of an accepted connection,
        in a task of its own (in a copy of the caller's context: its log fields), so that the
        app's call can return. The connection ends when the session does."""
        if self._handed_off or self._stage is not _Stage.ACCEPTED:
            session.close()
            raise RuntimeError("only an accepted connection is handed off, and only once")
        self._handed_off = True
        task = asyncio.get_running_loop().create_task(self._run_session(session))
        tasks = self._server_state.tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def _run_session(self, session: Coroutine[Any, Any, None]) -> None:
        try:
            await session
        except ClientDisconnected:
            pass
        except Exception:
            handshake.SERVER_LOG.exception("Exception in ASGI application\n")
        finally:
            self._finish()

    def _finish(self) -> None:
        """The app is done with the connection: what it wrote goes, then the socket closes
        (unless a close frame is waiting for the peer's answer, or the peer left)."""
        if self._close_timer is None and not self._lost:
            self._flush_direct()
            self._close()

    async def receive(self) -> Message:
        """The next ASGI event: websocket.connect, websocket.receive or websocket.disconnect."""
        return await self._inbox.take()

    async def send(self, message: Message) -> None:
        """Carry out an ASGI send: the handshake's answer, a message, or a close."""
        while self._writable is not None:
            await self._writable
        transport = self._transport
        if self._lost or transport is None or transport.is_closing():
            raise ClientDisconnected()
        kind = message["type"]
        if self._upgrade is not None:  # the app's answer to the upgrade request
            self._answer_upgrade(message)
        elif self._stage is not _Stage.ACCEPTED:
            raise RuntimeError(f"Unexpected ASGI message '{kind}' after a refusal.")
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

    def _answer_upgrade(self, message: Message) -> None:
        upgrade = self._upgrade
        assert upgrade is not None
        answer = upgrade.answer(message, self._server_state.default_headers)
        if answer is Answer.PENDING:
            return
        self._answered(answer is Answer.ACCEPTED)
        if answer is Answer.ACCEPTED:
            self._start_keepalive()

    def _fail_handshake(self) -> None:
        """HTTP 500, unless the upgrade was answered already."""
        if self._upgrade is not None and self._stage is _Stage.CONNECTING:
            self._upgrade.fail()
            self._answered(False)

    def _answered(self, accepted: bool) -> None:
        """The app answered the upgrade: its request and response are let go."""
        upgrade, self._upgrade = self._upgrade, None
        if accepted and upgrade is not None:
            self._stage, self._plain = _Stage.ACCEPTED, upgrade.plain
        else:
            self._stage = _Stage.REFUSED
            self._disconnect(1006)
        self.write_out()

    def _send_data(self, message: Message) -> None:
        self._flush_direct()  # frames written directly this turn go first
        data = message.get("bytes")
        try:
            if data is not None:
                self._sansio.send_binary(data)
            elif (text := message.get("text")) is not None:
                self._sansio.send_text(text.encode())
        except InvalidState:  # a close frame went either way
            raise ClientDisconnected() from None
        self.counts.written_asgi += 1
        self.write_out()

    def _send_close(self, code: int, reason: str, timeout: float = _CLOSE_TIMEOUT) -> None:
        """Send a close frame, then wait up to `timeout` seconds for the peer's."""
        self._flush_direct()
        self._close_sent = True
        self._disconnect(code, reason)
        self._stop_timers()
        try:
            self._sansio.send_close(code, reason)
        except InvalidState:
            return  # the peer's close (or a failure) came first: websockets ends the connection
        self.write_out()
        self._inbox.resume()  # to read the peer's close
        self._close_timer = asyncio.get_running_loop().call_later(timeout, self._close)

    def _disconnect(self, code: int, reason: str = "") -> None:
        if not self._disconnected:
            self._disconnected = True
            self._inbox.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})

    def _lost_code(self) -> int:
        """The close code the app is told when the socket closed before it was told one."""
        conn = self._sansio
        if self._stage is not _Stage.ACCEPTED or conn.state is not State.CLOSED:
            return 1006
        closed = conn.close_exc
        close = closed.rcvd or closed.sent  # a failure sends a close frame, then ends
        return close.code if close is not None else 1006

    # -- writing ------------------------------------------------------------------------------

    def write_out(self) -> None:
        """Send what websockets has to send; its end of stream closes the socket."""
        for data in self._sansio.data_to_send():
            if data:
                self._write(data)
            else:
                self._close()
        self._recheck()  # every change of websockets' state is followed by this

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def _flush_direct(self) -> None:
        if self._control is not None:
            self._control.flush()

    def _close(self) -> None:
        self.writes_directly = False
        if self._transport is not None:
            self._transport.close()

    # -- keepalive (serving.keepalive) ----------------------------------------------------------

    def _start_keepalive(self) -> None:
        interval = self._config.ws_ping_interval
        if interval:
            self._keepalive = Keepalive(self, interval, self._config.ws_ping_timeout or None)
            self._keepalive.start()

    def send_ping(self, payload: bytes) -> bool:
        """Ping the peer (the keepalive's); False once the connection is closing."""
        if self._close_sent or self._sansio.state is not State.OPEN:
            return False
        self._sansio.send_ping(payload)
        self.write_out()
        return True

    def ping_timed_out(self) -> None:
        """The peer did not answer a ping in time: close with 1011."""
        if self._close_sent or self._sansio.state is not State.OPEN:
            return
        self._close_sent = True
        self._disconnect(1011, "keepalive ping timeout")
        self._sansio.fail(1011, "keepalive ping timeout")
        self.write_out()

    def _stop_timers(self) -> None:
        if self._keepalive is not None:
            self._keepalive.stop()
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
