"""Decoding and encoding against the byte vectors written down in docs/protocol.md."""

from __future__ import annotations

import pytest

from collab.errors import MalformedMessage, ProtocolError
from collab.protocol.awareness import (
    AwarenessEntry,
    awareness_clocks,
    decode_awareness,
    encode_awareness_entries,
)
from collab.protocol.encoding import Reader, write_var_uint
from collab.protocol.messages import (
    AwarenessUpdate,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    Update,
    decode_message,
    encode_awareness,
    encode_durable,
    encode_event,
    encode_sync_step1,
    encode_sync_step2,
    encode_update,
)

AWARENESS_VECTOR = bytes.fromhex("01 0b 01 05 01 07 7b 22 61 22 3a 31 7d")


def test_documented_vectors_decode():
    assert decode_message(bytes.fromhex("00 00 01 00")) == SyncStep1(b"\x00")
    assert decode_message(bytes.fromhex("00 02 02 00 00")) == Update(b"\x00\x00")
    assert decode_message(bytes.fromhex("00 01 02 00 00")) == SyncStep2(b"\x00\x00")
    assert decode_message(bytes.fromhex("03")) == QueryAwareness()
    message = decode_message(AWARENESS_VECTOR)
    assert isinstance(message, AwarenessUpdate)
    assert decode_awareness(message.payload) == [AwarenessEntry(5, 1, '{"a":1}')]


def test_documented_vectors_encode():
    assert encode_sync_step1(b"\x00") == bytes.fromhex("00 00 01 00")
    assert encode_sync_step2(b"\x00\x00") == bytes.fromhex("00 01 02 00 00")
    assert encode_update(b"\x00\x00") == bytes.fromhex("00 02 02 00 00")
    assert encode_durable(3) == bytes.fromhex("64 03")
    assert encode_event({"type": 1}) == bytes.fromhex("65 0a 7b 22 74 79 70 65 22 3a 31 7d")
    entries = [AwarenessEntry(5, 1, '{"a":1}')]
    assert encode_awareness(encode_awareness_entries(entries)) == AWARENESS_VECTOR


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**32, 2**53 - 1])
def test_var_uint_round_trips(value: int):
    assert Reader(write_var_uint(value)).read_var_uint() == value


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (b"", MalformedMessage),
        (b"\x80", MalformedMessage),
        (b"\xff" * 9, MalformedMessage),
        (b"\x00\x02\x05ab", MalformedMessage),
        (b"\x00\x02\x01ab", MalformedMessage),
        (b"\x02\x00", ProtocolError),
        (b"\x64\x01", ProtocolError),
        (b"\x65\x02{}", ProtocolError),  # EVENT goes from server to client only
        (b"\x00\x03\x00", ProtocolError),
        (b"\x01\x03\x01\x05\x01", MalformedMessage),
    ],
)
def test_malformed_frames_raise_typed_errors(frame: bytes, error: type[Exception]):
    with pytest.raises(error):
        decoded = decode_message(frame)
        if isinstance(decoded, AwarenessUpdate):
            decode_awareness(decoded.payload)


def test_awareness_with_too_many_entries_is_refused():
    entries = [AwarenessEntry(i, 1, "{}") for i in range(65)]
    with pytest.raises(MalformedMessage, match="65 entries"):
        decode_awareness(encode_awareness_entries(entries))


def test_awareness_state_must_be_json():
    payload = encode_awareness_entries([AwarenessEntry(1, 1, "{not json")])
    with pytest.raises(MalformedMessage, match="not JSON"):
        decode_awareness(payload)


def test_awareness_clocks_agree_with_the_decoder_and_refuse_what_it_refuses():
    entries = [
        AwarenessEntry(5, 1, '{"a":1}'),
        AwarenessEntry(2**40 + 3, 300, "null"),
        AwarenessEntry(7, 0, '"' + "x" * 300 + '"'),
    ]
    frame = encode_awareness(encode_awareness_entries(entries))
    assert awareness_clocks(frame, 64) == [(5, 1), (2**40 + 3, 300), (7, 0)]
    assert awareness_clocks(frame, 2) is None  # more entries than allowed
    for cut in range(len(frame)):
        assert awareness_clocks(frame[:cut], 64) is None, cut
    assert awareness_clocks(frame + b"\x00", 64) is None
    assert awareness_clocks(b"\x00" + frame[1:], 64) is None  # a sync message
    overlong = b"\x01\x0a\x01" + b"\xff" * 8 + b"\x01"  # a client id of more than 8 bytes
    assert awareness_clocks(overlong, 64) is None
    # A state that is not UTF-8 is refused by the full decoder: never taken for an echo.
    not_utf8 = encode_awareness(b"\x01\x05\x01\x02\xff\xfe")
    assert awareness_clocks(not_utf8, 64) is None
    # A message type written in more bytes than it needs is left to the full decoder.
    padded = b"\x81\x80\x00\x81\x00\x00"  # type 1 in three bytes: one empty awareness update
    assert awareness_clocks(padded, 64) is None
    message = decode_message(padded)
    assert isinstance(message, AwarenessUpdate) and decode_awareness(message.payload) == []


def test_state_vectors_parse_and_malformed_ones_are_refused():
    from collab.protocol.yupdate import UpdateRefused, parse_state_vector

    entries = {5: 1, 2**32 - 1: 300, 2**40: 0}
    data = write_var_uint(len(entries)) + b"".join(
        write_var_uint(client) + write_var_uint(clock) for client, clock in entries.items()
    )
    assert parse_state_vector(data) == entries
    assert parse_state_vector(b"\x00") == {}
    for bad in (
        b"",  # nothing
        data[:-1],  # truncated
        data + b"\x00",  # trailing bytes
        b"\x01\x05" + b"\xff" * 8 + b"\x01",  # a clock of more than 8 bytes
        b"\x01\x05" + write_var_uint(2**32),  # a clock past 32 bits
        b"\x02\x05\x01",  # fewer entries than announced
    ):
        with pytest.raises(UpdateRefused):
            parse_state_vector(bad)
