"""Keepalive pings: a WebSocket whose peer stops answering is closed with 1011, instead of
holding its memory until TCP gives up (which can take hours)."""

from __future__ import annotations

import asyncio
import random
from typing import Protocol


class Pinged(Protocol):
    """The WebSocket, as its keepalive sees it."""

    def send_ping(self, payload: bytes) -> bool:
        """Send a ping with `payload`; False once the connection is closing."""
        ...

    def ping_timed_out(self) -> None:
        """No pong came in time: close with 1011."""
        ...


class Keepalive:
    """Pings every `interval` seconds once the last ping was answered; a ping not answered
    within `timeout` seconds (None: no limit) ends the connection."""

    __slots__ = ("_interval", "_payload", "_socket", "_timeout", "_timer")

    def __init__(self, socket: Pinged, interval: float, timeout: float | None) -> None:
        self._socket = socket
        self._interval = interval
        self._timeout = timeout
        self._timer: asyncio.TimerHandle | None = None
        self._payload: bytes | None = None  # of the ping awaiting its pong

    def start(self) -> None:
        """Ping `interval` seconds from now."""
        self._timer = asyncio.get_running_loop().call_later(self._interval, self._ping)

    def stop(self) -> None:
        """No more pings, and no deadline."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._payload = None

    def pong(self, payload: bytes) -> None:
        """A pong came: the next ping follows after `interval` if it answers the last one."""
        if self._payload is None or payload != self._payload:
            return  # unsolicited, or an answer to an older ping
        self.stop()
        self.start()

    def _ping(self) -> None:
        self._timer = None
        payload = random.getrandbits(32).to_bytes(4, "big")
        if not self._socket.send_ping(payload):
            return
        if self._timeout is None:
            self.start()
            return
        self._payload = payload
        self._timer = asyncio.get_running_loop().call_later(self._timeout, self._no_pong)

    def _no_pong(self) -> None:
        self._timer = None
        self._payload = None
        self._socket.ping_timed_out()
