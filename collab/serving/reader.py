"""A WebSocket's incoming bytes as messages for the app: collab's frame reader where frames are
simple (serving.frames), websockets' parser for every other frame, fragments put together."""

from __future__ import annotations

from typing import Protocol

from websockets.frames import Close, Frame, Opcode
from websockets.server import ServerProtocol

from collab.serving.counters import FastPathCounts
from collab.serving.frames import HAND_OVER, read_frame


class Sink(Protocol):
    """Where a reader's messages go: the WebSocket protocol."""

    def reads_directly(self) -> bool:
        """Whether frames may be read here now (open, and no extension changes their bytes)."""
        ...

    def deliver(self, data: bytes) -> None:
        """A binary message."""
        ...

    def deliver_text(self, text: str) -> None:
        """A text message."""
        ...

    def peer_closed(self, code: int, reason: str) -> None:
        """The peer's close frame (websockets answered it)."""
        ...

    def ponged(self, payload: bytes) -> None:
        """A pong frame."""
        ...

    def write_out(self) -> None:
        """Send what websockets has to send (pongs, close frames, its end of stream)."""
        ...


class Reader:
    """Reads one WebSocket's frames into messages for `sink`."""

    __slots__ = ("_buffer", "_counts", "_fragments", "_handover", "_max_size", "_sansio", "_sink")

    def __init__(
        self, conn: ServerProtocol, sink: Sink, counts: FastPathCounts, max_size: int | None
    ) -> None:
        self._sansio = conn
        self._sink = sink
        self._counts = counts
        self._max_size = max_size
        self._buffer: bytearray | None = None  # the start of a frame not read whole yet
        self._handover = False  # websockets reads everything from now on
        # A fragmented message so far: its first frame's opcode and its pieces.
        self._fragments: tuple[Opcode, list[bytes]] | None = None

    def receive(self, data: bytes) -> None:
        """Bytes from the socket, after the handshake."""
        buffer = self._buffer
        if buffer is not None:
            buffer += data
        if self._handover or not self._sink.reads_directly():
            self._buffer = None
            self._feed(data if buffer is None else buffer)
            return
        self._read_frames(data if buffer is None else buffer)

    def stop(self) -> None:
        """The socket closed: what was not read whole is dropped."""
        self._buffer = None

    def _read_frames(self, data: bytes | bytearray) -> None:
        """Deliver the simple binary frames of `data`, hand every other whole frame to
        websockets, and keep an incomplete frame for the next read."""
        position, size = 0, len(data)
        while position < size:
            found = read_frame(data, position, self._max_size)
            if found is None:
                break
            end, payload = found
            if found is HAND_OVER:
                self._handover = True
                end = size
            if payload is not None and self._fragments is None:
                self._counts.read_collab += 1
                self._sink.deliver(payload)
            else:  # websockets keeps its own state (and close codes) for these
                self._feed(data[position:end])
            position = end
            if position < size and not self._sink.reads_directly():  # closing now
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
        conn = self._sansio
        conn.receive_data(data)
        for event in conn.events_received():
            if isinstance(event, Frame):
                self.on_frame(event)
        self._sink.write_out()

    def on_frame(self, frame: Frame) -> None:
        """A frame websockets read."""
        opcode = frame.opcode
        if opcode is Opcode.BINARY or opcode is Opcode.TEXT or opcode is Opcode.CONT:
            self._counts.read_websockets += 1
            self._on_data(opcode, frame.fin, bytes(frame.data))
        elif opcode is Opcode.PONG:
            self._sink.ponged(bytes(frame.data))
        elif opcode is Opcode.CLOSE:
            close = Close.parse(frame.data)
            self._sink.peer_closed(close.code, close.reason)
        # A ping: websockets queued its pong.

    def _on_data(self, opcode: Opcode, fin: bool, data: bytes) -> None:
        """A whole message, or a piece of one (websockets checks their order and size)."""
        if opcode is Opcode.CONT:
            if self._fragments is None:
                return  # websockets refuses a continuation without a start
            opcode, pieces = self._fragments
            pieces.append(data)
            if not fin:
                return
            self._fragments, data = None, b"".join(pieces)
            if self._max_size is not None and len(data) > self._max_size:
                self._sansio.fail(1009, f"message over {self._max_size} bytes")
                return
        elif not fin:
            self._fragments = (opcode, [data])
            return
        if opcode is Opcode.BINARY:
            self._sink.deliver(data)
            return
        try:
            text = data.decode()
        except UnicodeDecodeError:
            self._sansio.fail(1007, "invalid UTF-8 in a text message")
            return
        self._sink.deliver_text(text)
