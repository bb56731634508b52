"""uvicorn's HTTP protocol with a header-read timeout, by delegation: uvicorn waits for ever for
the first request on a new connection (and for the rest of a request's head), so idle or
trickling sockets pile up (1,000 idle sockets stayed open for good).

`http_protocol` wraps whatever protocol uvicorn would use (an asyncio.Protocol it constructs
with its documented keyword arguments) in one that sees the bytes coming in and, through a thin
transport in between, the bytes going out. A connection waits for a request head from the time
it connects and from the server's last write, and has `header_timeout` seconds for it (the time
of the end of the head, `\\r\\n\\r\\n`); while a request is being answered it is not bounded
(uvicorn closes idle keep-alive connections itself). Nothing of uvicorn's classes is subclassed
or reached into: the contract is asyncio's Protocol and Transport and Config.load().
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar, cast

import uvicorn

_HEAD_END = b"\r\n\r\n"


async def _no_app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover
    """Stands in for an app where uvicorn's Config needs one."""


def default_http_protocol() -> Callable[..., asyncio.Protocol]:
    """The HTTP protocol class uvicorn uses by default ("auto": httptools when installed, else
    h11), found the way uvicorn finds it."""
    config = uvicorn.Config(_no_app, http="auto", ws="none", lifespan="off", log_config=None)
    config.load()
    protocol: Callable[..., asyncio.Protocol] = config.http_protocol_class
    return protocol


def http_protocol(
    header_timeout: float, inner: Callable[..., asyncio.Protocol] | None = None
) -> type[asyncio.Protocol]:
    """An HTTP protocol class for uvicorn's `http` option: `inner` (uvicorn's default), closing
    connections whose request head does not arrive within `header_timeout` seconds."""
    wrapped = inner or default_http_protocol()

    class HeaderTimeoutProtocol(_HeadTimeout):
        __slots__ = ()
        inner_class = wrapped
        timeout = header_timeout

    return HeaderTimeoutProtocol


def unwrap(transport: asyncio.BaseTransport) -> asyncio.Transport:
    """The socket's own transport under `transport` (a WebSocket protocol takes it over at the
    upgrade, so its writes skip the watch and the HTTP protocol object can be let go)."""
    if isinstance(transport, _Watched):
        transport.released = True
        return transport.real
    return cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses


# How an interim (1xx) response starts: the request's body comes next, not a new head.
_INTERIM = b"HTTP/1.1 1"


class _HeadTimeout(asyncio.Protocol):
    """The HTTP protocol `inner_class` builds, with a deadline for each request head."""

    inner_class: ClassVar[Callable[..., asyncio.Protocol]]
    timeout: ClassVar[float]

    __slots__ = ("_deadline", "_inner", "_tail", "_timer", "_transport", "_watched")

    def __init__(self, **kwargs: Any) -> None:
        self._inner: asyncio.Protocol | None = self.inner_class(**kwargs)
        self._transport: asyncio.Transport | None = None
        self._watched: _Watched | None = None
        self._timer: asyncio.TimerHandle | None = None
        # When the awaited head is due (None: none awaited), and the last bytes read while
        # awaiting it (its end may come split over two reads).
        self._deadline: float | None = None
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert self._inner is not None
        self._transport = cast(asyncio.Transport, transport)
        self._watched = _Watched(self._transport, self)
        self._inner.connection_made(self._watched)
        self.await_head()

    def data_received(self, data: bytes) -> None:
        if self._deadline is not None and self._head_ends(data):
            self._deadline = None
        inner = self._inner
        if inner is None:  # pragma: no cover - the transport went to the WebSocket
            return
        inner.data_received(data)
        if self._watched is not None and self._watched.released:
            self._let_go(inner)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._inner is not None:
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._deadline is not None:
            self.await_head()  # most of a large response went out just now
        if self._inner is not None:
            self._inner.resume_writing()

    def await_head(self) -> None:
        """A request head is due within the timeout from now (at connect and after each write
        of the server: its next request, or the rest of a response the kernel holds)."""
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self.timeout
        self._tail = b""
        if self._timer is None:
            self._timer = loop.call_at(self._deadline, self._check)

    def handed_over(self) -> None:
        """The connection was upgraded: its new protocol bounds what it waits for."""
        self._deadline = None

    def _head_ends(self, data: bytes) -> bool:
        if _HEAD_END in data or _HEAD_END in self._tail + data[:3]:
            return True
        self._tail = (self._tail + data[-3:])[-3:]
        return False

    def _check(self) -> None:
        self._timer = None
        transport = self._transport
        if self._deadline is None or transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size():
            self.await_head()  # a response still on its way out: the head is due after it
            return
        if asyncio.get_running_loop().time() < self._deadline:  # moved by a later write
            self._timer = asyncio.get_running_loop().call_at(self._deadline, self._check)
            return
        transport.close()

    def _let_go(self, inner: asyncio.Protocol) -> None:
        """After the upgrade, tell the HTTP protocol its connection is gone (for it): it drops
        its parser and the reference cycle through it at once, instead of at the next full
        collection. What it does to its transport then goes nowhere."""
        self._inner = None
        self._watched = None
        self._deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        inner.connection_lost(None)


class _Watched(asyncio.Transport):
    """The socket's transport as the HTTP protocol sees it: every call passes through, writes
    tell the owner, and the upgrade hands the socket over."""

    __slots__ = ("_owner", "real", "released")

    def __init__(self, real: asyncio.Transport, owner: _HeadTimeout) -> None:
        super().__init__()
        self.real = real
        self._owner: _HeadTimeout | None = owner  # None once the connection was upgraded
        # Set once the WebSocket protocol took the socket (see `unwrap`): later calls of the
        # HTTP protocol are ignored.
        self.released = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self.released:
            self.real.write(data)
            # An interim answer ("100 Continue") asks for the body: no new head is due.
            if self._owner is not None and not bytes(data[:10]).startswith(_INTERIM):
                self._owner.await_head()

    def writelines(self, list_of_data: Any) -> None:
        if not self.released:
            self.real.writelines(list_of_data)
            if self._owner is not None:
                self._owner.await_head()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.real.set_protocol(protocol)  # the upgrade: the socket's bytes go there now
        if self._owner is not None:
            self._owner.handed_over()
            self._owner = None

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self.real.get_protocol()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.real.get_extra_info(name, default)

    def is_closing(self) -> bool:
        return self.released or self.real.is_closing()

    def close(self) -> None:
        if not self.released:
            self.real.close()

    def abort(self) -> None:
        if not self.released:
            self.real.abort()

    def is_reading(self) -> bool:
        return self.real.is_reading()

    def pause_reading(self) -> None:
        if not self.released:
            self.real.pause_reading()

    def resume_reading(self) -> None:
        if not self.released:
            self.real.resume_reading()

    def write_eof(self) -> None:
        if not self.released:
            self.real.write_eof()

    def can_write_eof(self) -> bool:
        return self.real.can_write_eof()

    def get_write_buffer_size(self) -> int:
        return self.real.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self.real.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self.real.set_write_buffer_limits(high, low)
