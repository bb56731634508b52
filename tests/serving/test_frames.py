"""The server reads clients' frames however TCP cuts them: byte by byte, many per packet, with
control frames between, fragmented messages, and frames it must refuse."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import websockets
from pycrdt import Doc, Text

from collab.protocol.messages import encode_sync_step1, encode_update
from tests.server import ServerProcess
from tests.serving.raw import masked, raw_socket, read_frame
from tests.yclient import YClient


def _edit(text: str) -> bytes:
    doc: Doc[Any] = Doc()
    doc.get("content", type=Text).insert(0, text)
    return doc.get_update()


async def test_frames_cut_anywhere_and_packed_together_all_arrive(server: ServerProcess):
    async with YClient(server.ws_url, "cuts") as watcher:
        reader, writer = await raw_socket(server, "cuts")
        big = "b" * 70_000  # lengths in 64 bits (over 64 KiB)
        frames = [
            masked(0x2, encode_update(_edit("one "))),
            masked(0x9, b"are you there"),  # a ping between two updates
            masked(0x2, encode_update(_edit(big))),
            masked(0x2, encode_update(_edit("x" * 70_000))),
        ]
        stream = b"".join(frames)
        for start in range(0, 64):  # the first frames one byte at a time
            writer.write(stream[start : start + 1])
            await writer.drain()
            await asyncio.sleep(0.001)
        writer.write(stream[64:])  # the rest in one go
        await writer.drain()
        await watcher.wait_for(lambda: len(watcher.text) == 4 + 70_000 + 70_000)
        kinds = set()
        while 0xA not in kinds:  # the ping was answered with its own payload
            kind, payload = await asyncio.wait_for(read_frame(reader), 10)
            kinds.add(kind)
            if kind == 0xA:
                assert payload == b"are you there"
        writer.close()


async def test_a_fragmented_message_is_put_back_together(server: ServerProcess):
    update = encode_update(_edit("in three pieces"))
    async with YClient(server.ws_url, "fragments") as watcher:
        async with websockets.connect(f"{server.ws_url}/fragments") as ws:
            await ws.send([update[:3], update[3:7], update[7:]])
            await watcher.wait_text("in three pieces")
            # After a fragmented message, whole ones still work.
            await ws.send(encode_update(_edit("!")))
            await watcher.wait_for(lambda: len(watcher.text) == len("in three pieces!"))


async def test_frames_the_server_refuses_still_close_with_their_codes(server: ServerProcess):
    cases = [
        (masked(0x2, encode_sync_step1(b"\x00"), fin=False) + masked(0x2, b"\x00"), 1002),
        (bytes((0x82, 0x03)) + b"\x00\x00\x00", 1002),  # unmasked
        (bytes((0xC2, 0x80)) + os.urandom(4), 1002),  # an extension bit nobody negotiated
        (masked(0x9, b"p" * 126), 1002),  # a control frame over 125 bytes
        (bytes((0x82, 0xFF)) + (8 << 20).to_bytes(8, "big") + os.urandom(4), 1009),
    ]
    for data, code in cases:
        reader, writer = await raw_socket(server, "refused")
        writer.write(data)
        await writer.drain()
        while True:
            kind, payload = await asyncio.wait_for(read_frame(reader), 10)
            if kind == 0x8:
                assert int.from_bytes(payload[:2], "big") == code, (data[:2], payload)
                break
        writer.close()
    async with YClient(server.ws_url, "refused") as after:  # nobody else was disturbed
        await after.synced.wait()
