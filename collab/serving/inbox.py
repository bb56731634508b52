"""A queue for one consumer and no bound, in a fraction of asyncio.Queue's memory.

Each WebSocket keeps the messages it read and the app has not taken yet. An asyncio.Queue
(what uvicorn's protocols use) is three deques of about 700 bytes each, per connection,
however idle. This is the part of a queue the protocol needs (`put_nowait`, `get`, `qsize`,
`empty`), on a list, with one future only while someone waits; `Messages` adds the bound on
reading ahead of the app."""

from __future__ import annotations

import asyncio
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    """Items in the order put; `get` waits for one."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list[T] = []
        self._waiters: list[asyncio.Future[None]] | None = None

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        self._wake_one()

    async def get(self) -> T:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif self._items:
                    self._wake_one()  # it was woken for an item it will not take
                raise
        return self._items.pop(0)

    def _wake_one(self) -> None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return


# Messages, and bytes, one WebSocket may have read and waiting for the app before its socket is
# no longer read (TCP then holds the client back).
_READ_AHEAD_MESSAGES = 16
_READ_AHEAD_BYTES = 262_144


class Messages(Inbox[dict[str, Any]]):
    """A WebSocket's ASGI events for the app, read ahead of it: the socket is not read while
    16 messages, or 256 KiB of them, wait (not after every message, as uvicorn's protocols do:
    two system calls per message), and is read again once the app has taken them all."""

    __slots__ = ("_paused", "_waiting", "transport")

    def __init__(self) -> None:
        super().__init__()
        self.transport: asyncio.Transport | None = None  # the socket's, once connected
        self._waiting = 0  # bytes of the messages waiting
        self._paused = False

    def put(self, message: dict[str, Any], size: int) -> None:
        """Queue a message of `size` bytes, and stop reading the socket past the bound."""
        self.put_nowait(message)
        self._waiting += size
        if not self._paused and (
            self.qsize() >= _READ_AHEAD_MESSAGES or self._waiting >= _READ_AHEAD_BYTES
        ):
            self._paused = True
            if self.transport is not None:
                self.transport.pause_reading()

    async def take(self) -> dict[str, Any]:
        """The next event, reading the socket again once none waits."""
        message = await self.get()
        if message["type"] == "websocket.receive":
            data = message.get("bytes")
            size = len(data) if data is not None else len(message["text"])
            self._waiting = max(0, self._waiting - size)
        if self.empty():
            self.resume()
        return message

    def resume(self) -> None:
        """Read the socket again (also to read a peer's close frame after ours)."""
        if self._paused:
            self._paused = False
            if self.transport is not None:
                self.transport.resume_reading()
