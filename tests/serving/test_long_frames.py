"""A long message goes to the socket beside its frame header, not copied into one bytes object
with it: a whole document's SyncStep2 to each of several people joining at once was two copies
per person (framed, then joined with the turn's other frames), held until each socket drained,
and a third on /hocuspocus (the document's name put before it). The frames on the wire stay
the same, in the same order."""

from __future__ import annotations

import asyncio
from typing import Any

import websockets
from pycrdt import Doc, Text

from collab.protocol import hocuspocus
from collab.protocol.encoding import Reader
from collab.protocol.messages import encode_sync_step1
from collab.serving.counters import FastPathCounts
from collab.serving.frames import binary_frame
from collab.serving.transport import Corks, DirectTransport
from tests.server import ServerProcess
from tests.test_metrics import scrape
from tests.yclient import YClient

DIRECT = ("collab_ws_frames_written_total", "path=direct")


class _Socket(asyncio.Transport):
    """An asyncio transport that keeps what it is given, call by call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, list[bytes]]] = []

    def write(self, data: Any) -> None:
        self.calls.append(("write", [data]))

    def writelines(self, list_of_data: Any) -> None:
        self.calls.append(("writelines", list(list_of_data)))

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return False


class _Open:
    writes_directly = True


async def _one_turn(*messages: bytes, head: bytes = b"") -> tuple[_Socket, FastPathCounts]:
    """Send `messages` (each after `head`) to one peer in one event-loop turn; its socket once
    the turn ended."""
    socket, counts = _Socket(), FastPathCounts()
    transport = DirectTransport(socket, _Open(), Corks(), counts)
    for message in messages:
        assert transport.send_now(message, head)
    assert socket.calls == []  # nothing is written before the turn ends
    await asyncio.sleep(0)
    return socket, counts


async def test_a_long_message_is_written_beside_its_header_uncopied() -> None:
    keystroke, long, caret = b"\x00\x02" + b"k" * 20, b"\x00\x01" + b"d" * 300_000, b"\x01" * 40
    socket, counts = await _one_turn(keystroke, long, caret)
    [(call, parts)] = socket.calls
    assert call == "writelines"
    assert any(part is long for part in parts)  # the message itself, not a copy of it
    assert b"".join(parts) == binary_frame(keystroke) + binary_frame(long) + binary_frame(caret)
    assert counts.written_direct == 3  # frames, not parts


async def test_a_long_message_after_a_document_name_is_not_copied_for_it() -> None:
    name, long = hocuspocus.document_prefix("notes"), b"\x00\x01" + b"d" * 300_000
    socket, counts = await _one_turn(long, head=name)
    [(call, parts)] = socket.calls
    assert call == "writelines" and parts[-1] is long
    assert b"".join(parts) == binary_frame(name + long)
    short = b"\x01" * 40
    socket, counts = await _one_turn(short, head=name)
    assert socket.calls == [("write", [binary_frame(name + short)])]
    assert counts.written_direct == 1


async def test_short_messages_are_still_joined_into_one_write() -> None:
    keystroke, caret = b"\x00\x02" + b"k" * 20, b"\x01" * 40
    socket, counts = await _one_turn(keystroke, caret)
    assert socket.calls == [("write", [binary_frame(keystroke) + binary_frame(caret)])]
    assert counts.written_direct == 2
    carets = [bytes([1, n]) * 1000 for n in range(40)]  # 80 KB in all, none of them long
    socket, counts = await _one_turn(*carets)
    assert socket.calls == [("write", [b"".join(binary_frame(caret) for caret in carets)])]
    assert counts.written_direct == 40


async def test_people_joining_a_long_document_at_once_all_get_it(server: ServerProcess) -> None:
    text = "".join(f"line {n} of a long document\n" for n in range(12_000))  # about 300 KB
    async with YClient(server.ws_url, "long") as writer:
        await writer.synced.wait()
        writer.append(text)
        before = await scrape(server)
        joiners = [YClient(server.ws_url, "long") for _ in range(4)]
        await asyncio.gather(*(joiner.connect() for joiner in joiners))
        try:
            await asyncio.gather(*(joiner.wait_text(text, timeout=30) for joiner in joiners))
            after = await scrape(server)
        finally:
            await asyncio.gather(*(joiner.close() for joiner in joiners))
    # Each joiner got at least its SyncStep2 and the server's SyncStep1, framed and counted.
    assert after[DIRECT] - before[DIRECT] >= 8


async def test_providers_opening_a_long_document_at_once_all_get_it(server: ServerProcess) -> None:
    text = "".join(f"line {n} of a long document\n" for n in range(12_000))  # about 300 KB
    url = server.ws_url.removesuffix("/ws") + "/hocuspocus"
    name = hocuspocus.document_prefix("long-hp")
    async with YClient(server.ws_url, "long-hp") as writer:
        await writer.synced.wait()
        writer.append(text)
        async with YClient(server.ws_url, "long-hp") as reader:
            await reader.wait_text(text, timeout=30)  # the room holds it
        providers = [await websockets.connect(url, max_size=None) for _ in range(3)]
        try:
            for provider in providers:  # Auth, then SyncStep1 with an empty state vector
                await provider.send(name + bytes([2, 0]) + b"\x00")
                await provider.send(name + encode_sync_step1(b"\x00"))
            for provider in providers:
                doc: Doc[Any] = Doc()
                doc["content"] = Text()
                async with asyncio.timeout(30):
                    while str(doc["content"]) != text:
                        frame = await provider.recv()
                        assert isinstance(frame, bytes) and frame.startswith(name)
                        message = Reader(frame[len(name) :])
                        if message.read_var_uint() == 0 and message.read_var_uint() in (1, 2):
                            doc.apply_update(message.read_var_bytes())  # SyncStep2, Update
        finally:
            for provider in providers:
                await provider.close()
