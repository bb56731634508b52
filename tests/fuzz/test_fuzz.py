"""Fuzzing (hypothesis): the decoder never fails but with a typed error; the endpoint closes
only the offending connection and the room, its log and other clients are unaffected."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Text
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from collab.errors import CollabError
from collab.protocol.awareness import AwarenessEntry, decode_awareness, encode_awareness_entries
from collab.protocol.messages import (
    AwarenessUpdate,
    decode_message,
    encode_awareness,
    encode_sync_step1,
    encode_sync_step2,
    encode_update,
)
from tests.server import ServerProcess
from tests.yclient import YClient


def _valid_frames() -> list[bytes]:
    doc: Doc[Any] = Doc(client_id=7)
    text = doc.get("content", type=Text)
    text.insert(0, "hello fuzz")
    state = doc.get_state()
    text.insert(5, " there")
    del text[0:2]
    awareness = encode_awareness_entries([AwarenessEntry(7, 3, '{"user":{"name":"f"}}')])
    return [
        encode_sync_step1(state),
        encode_sync_step2(doc.get_update()),
        encode_update(doc.get_update(state)),
        encode_awareness(awareness),
        b"\x03",
    ]


VALID = _valid_frames()


@st.composite
def mutated_frames(draw: st.DrawFn) -> bytes:
    """A valid frame with bytes flipped, inserted, deleted or cut, or plain random bytes."""
    if draw(st.booleans()) and draw(st.booleans()):
        return draw(st.binary(max_size=64))
    frame = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        position = draw(st.integers(0, max(0, len(frame) - 1)))
        if action == "flip" and frame:
            frame[position] = draw(st.integers(0, 255))
        elif action == "insert":
            frame.insert(position, draw(st.integers(0, 255)))
        elif action == "delete" and len(frame) > 1:
            del frame[position]
        elif action == "truncate":
            frame = frame[: max(1, position)]
    return bytes(frame)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_frames())
def test_decoder_raises_only_typed_errors(frame: bytes):
    try:
        message = decode_message(frame)
        if isinstance(message, AwarenessUpdate):
            decode_awareness(message.payload)
    except CollabError:
        pass


async def test_endpoint_survives_mutated_frames(server: ServerProcess):
    # The keeper is another person than the fuzzed frames' client 7: those frames are edits by
    # client 7 (some, still valid after mutation, delete its text or claim its clocks), and a
    # keeper sharing its id would see its own later edits ignored as already known.
    async with YClient(server.ws_url, "fuzz", ack=True, client_id=8) as keeper:
        keeper.append("hello fuzz")
        await keeper.wait_for(lambda: keeper.acked == 2)
        url = f"{server.ws_url}/fuzz"
        closes = await asyncio.to_thread(_fuzz_endpoint, url)
        assert closes, "some mutated frames must have been refused"
        assert set(closes) <= {1002, 1003, 1007, 1009}, set(closes)
        assert not keeper.closed.is_set()
        keeper.append("!")
        await keeper.wait_for(lambda: keeper.acked == keeper.sent_updates)
        served = (await server.health())["status"]
        assert served == "ok"
        kept = keeper.text
    assert kept.endswith("!")
    async with YClient(server.ws_url, "fuzz") as reader:
        await reader.synced.wait()
        assert reader.text == kept  # what the keeper holds is what the room holds


def _fuzz_endpoint(url: str) -> list[int]:
    closes: list[int] = []

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(mutated_frames())
    def send_one(frame: bytes) -> None:
        with connect(url, max_size=None, open_timeout=10) as ws:
            try:
                ws.send(frame)
                ws.send(b"\x03")  # query awareness: answered only if the connection survived
                while True:
                    ws.recv(timeout=0.3)
            except ConnectionClosed:
                if ws.close_code is not None and ws.close_code != 1000:
                    closes.append(ws.close_code)
            except TimeoutError:
                pass

    send_one()
    return closes
