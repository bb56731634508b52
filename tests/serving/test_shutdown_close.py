"""A stop closes each WebSocket with 1012 and ends the socket once the peer has answered, as a
closing handshake does: ended at once, the socket of a peer still sending was reset, and a
reset peer could drop the 1012 it had not read yet (it then saw 1006)."""

from __future__ import annotations

import asyncio
import signal

import pytest

from tests.server import ServerProcess
from tests.serving.raw import close_code, masked, raw_socket


async def test_a_stop_ends_the_socket_once_the_peer_answers_its_1012(
    server: ServerProcess,
) -> None:
    reader, writer = await raw_socket(server, "closing")
    process = server.process
    assert process is not None
    try:
        process.send_signal(signal.SIGTERM)
        assert await close_code(reader) == 1012
        # Nothing follows the close frame, not even the end of the stream, until the peer
        # answers (it came with the frame before; the server waits for the answer as long as its
        # shutdown timeout, 10 s here: the 0.5 s below leave it 9.5 s of slack).
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.5)
        writer.write(masked(0x8, (1012).to_bytes(2, "big")))  # the answer: then the end at once
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 10) == b""
    finally:
        writer.close()
    assert await asyncio.to_thread(process.wait, 30) in (0, -15)  # as test_failures.py reads it
