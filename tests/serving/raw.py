"""A WebSocket client at the level of frames, for what no well-behaved client sends."""

from __future__ import annotations

import asyncio
import base64
import os

from tests.server import ServerProcess


def masked(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """A client frame: `payload` masked, with `opcode` and the FIN bit."""
    mask = os.urandom(4)
    length = len(payload)
    head = bytes(((0x80 if fin else 0) | opcode,))
    if length < 126:
        head += bytes((0x80 | length,))
    elif length < 65536:
        head += bytes((0x80 | 126,)) + length.to_bytes(2, "big")
    else:
        head += bytes((0x80 | 127,)) + length.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def raw_socket(
    server: ServerProcess, room: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A socket past the WebSocket handshake on /ws/`room`."""
    return await raw_socket_at(server.port, room)


async def raw_socket_at(port: int, room: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A socket past the WebSocket handshake on /ws/`room` of the server on `port`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws/{room} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The next server frame: (opcode, payload)."""
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    return first & 0x0F, await reader.readexactly(length)


async def close_code(reader: asyncio.StreamReader, timeout: float = 10.0) -> int:
    """The code of the server's close frame, skipping the frames before it."""
    async with asyncio.timeout(timeout):
        while True:
            kind, payload = await read_frame(reader)
            if kind == 0x8:
                return int.from_bytes(payload[:2], "big")
