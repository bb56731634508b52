"""What the app sees of a WebSocket's transport (collab.connection.TransportControl), and the
corks that make direct writes one system call per peer per event-loop turn."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from collab.serving.counters import FastPathCounts
from collab.serving.frames import binary_frame, binary_frame_header

# A payload of this many bytes or more is written beside its frame header, not copied into one
# bytes object with it, and a turn's writes that hold one go to the transport as they are
# (`writelines`), not joined: a whole document's SyncStep2 to each of ten people joining at once
# was twenty copies of it, held until each socket drained.
_COPY_LIMIT = 64 * 1024


class DirectWriter(Protocol):
    """The WebSocket protocol, as its transport control sees it."""

    # Whether, as far as the WebSocket goes, a binary frame may be written to the socket now:
    # the connection is open, no close frame went either way, and no extension changes frames'
    # bytes. An attribute the protocol keeps up to date, not a method that works it out: it is
    # read twice for every frame sent to every peer (the transport's own state is read too).
    writes_directly: bool


class Corks:
    """Frames written to WebSocket transports during one event-loop turn, sent with one write
    per transport at the end of the turn: a peer that several broadcasts reach in one turn costs
    one system call, not one per frame. A frame broadcast to many peers is framed once (server
    frames are not masked, so every peer gets the same bytes)."""

    __slots__ = ("_dirty", "_framed", "_last")

    def __init__(self) -> None:
        self._dirty: list[DirectTransport] = []
        self._last: bytes | None = None
        self._framed = b""

    def framed(self, data: bytes) -> bytes:
        """`data` as one unfragmented binary WebSocket frame (the last one is remembered)."""
        if data is not self._last:
            self._last, self._framed = data, binary_frame(data)
        return self._framed

    def hold(self, transport: DirectTransport) -> None:
        """`transport` has frames to send at the end of this turn."""
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self._flush)
        self._dirty.append(transport)

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        self._last, self._framed = None, b""
        for transport in dirty:
            transport.flush()


class DirectTransport:
    """collab.connection.TransportControl over one WebSocket's asyncio transport."""

    __slots__ = (
        "_corks",
        "_counts",
        "_on_flush",
        "_pending",
        "_pending_bytes",
        "_pending_frames",
        "_transport",
        "_writer",
        "screened",
    )

    def __init__(
        self,
        transport: asyncio.Transport,
        writer: DirectWriter,
        corks: Corks,
        counts: FastPathCounts,
    ) -> None:
        self._transport = transport
        self._writer = writer
        self._corks = corks
        self._counts = counts
        # What send_now holds until the turn ends: frames, or a long payload's header and
        # payload as two parts; their bytes and how many frames they are.
        self._pending: list[bytes] | None = None
        self._pending_bytes = 0
        self._pending_frames = 0
        self._on_flush: Callable[[int, int], None] | None = None
        # What the app drops of the messages read (see `screen`).
        self.screened: Callable[[bytes], bool] | None = None

    def buffered(self) -> int:
        """Bytes written and not yet handed to the kernel, or held until the turn ends."""
        return self._transport.get_write_buffer_size() + self._pending_bytes

    def watch_flush(self, callback: Callable[[int, int], None] | None) -> None:
        """Call `callback(written, left)` after each write of what `send_now` held: the bytes
        it held, and those the transport still holds (the kernel did not take them)."""
        self._on_flush = callback

    def screen(self, drop: Callable[[bytes], bool] | None) -> None:
        """Offer each binary message read to `drop` before it is queued for the app."""
        self.screened = drop

    def abort(self) -> None:
        """Close at once, dropping what is buffered."""
        self._pending = None
        self._pending_bytes = self._pending_frames = 0
        self._transport.abort()

    def closing(self) -> bool:
        """True once the connection is closing or closed."""
        return self._transport.is_closing()

    def send_now(self, data: bytes, head: bytes = b"") -> bool:
        """Write `head` and `data` as one binary frame at the end of this event-loop turn, with
        whatever else this peer is sent in it, without the ASGI message, Starlette's wrapper
        and the task the app's sender awaits in. False while the connection cannot take it
        that way (not open yet, closing, an extension such as permessage-deflate negotiated,
        or the kernel refused some of what was written: the peer is not reading, and the frame
        queues behind it)."""
        transport = self._transport
        if (
            not self._writer.writes_directly
            or transport.is_closing()
            or transport.get_write_buffer_size()
        ):
            return False
        size = len(head) + len(data)
        pending = self._pending
        if pending is None:
            pending = self._pending = []
            self._corks.hold(self)
        if size < _COPY_LIMIT:
            frame = binary_frame_header(size) + head + data if head else self._corks.framed(data)
            pending.append(frame)
            self._pending_bytes += len(frame)
        else:
            header = binary_frame_header(size) + head
            pending += (header, data)
            self._pending_bytes += len(header) + len(data)
        self._pending_frames += 1
        return True

    def flush(self) -> None:
        """Write what is pending in one go (nothing if the connection started closing: a data
        frame may not follow a close frame)."""
        pending, frames, written = self._pending, self._pending_frames, self._pending_bytes
        if pending is None:
            return
        self._pending = None
        self._pending_bytes = self._pending_frames = 0
        transport = self._transport
        if not self._writer.writes_directly or transport.is_closing():
            return
        if len(pending) == 1:
            transport.write(pending[0])
        elif len(pending) == frames:  # whole frames only: one write, as short as they are
            transport.write(b"".join(pending))
        else:  # a long payload beside its header: the parts as they are
            transport.writelines(pending)
        self._counts.written_direct += frames
        if self._on_flush is not None:
            self._on_flush(written, transport.get_write_buffer_size())
