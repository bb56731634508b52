"""lib0 varuints are decoded in one place (collab/protocol/encoding.py), with one bound and one
error: every decoder built on it takes the same numbers and refuses the same bytes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import collab
from collab.errors import MalformedMessage
from collab.protocol.awareness import awareness_clocks, decode_awareness
from collab.protocol.encoding import MAX_VAR_UINT_BYTES, Reader, read_var_uints, write_var_uint
from collab.protocol.messages import AwarenessUpdate, decode_message
from collab.protocol.yupdate import UpdateRefused, parse_state_vector, parse_update

LONGEST = 2 ** (7 * MAX_VAR_UINT_BYTES) - 1
GOOD = [write_var_uint(value) for value in (0, 127, 128, 2**32, 2**53 - 1, LONGEST)]
BAD = [
    b"\x80",  # truncated after one byte
    b"\xff" * (MAX_VAR_UINT_BYTES - 1),  # truncated at the bound
    b"\xff" * MAX_VAR_UINT_BYTES + b"\x01",  # one byte past the bound
]


def test_the_bound_is_eight_bytes_for_both_ways_of_reading():
    assert MAX_VAR_UINT_BYTES == 8  # lib0 writes at most 53 bits; docs/protocol.md says 8 bytes
    for number in GOOD:
        assert len(number) <= MAX_VAR_UINT_BYTES
        assert read_var_uints(number) == [Reader(number).read_var_uint()]
    for number in BAD:
        with pytest.raises(MalformedMessage):
            Reader(number).read_var_uint()
        with pytest.raises(MalformedMessage):
            read_var_uints(number)


def _awareness_frame(client: bytes) -> bytes:
    payload = b"\x01" + client + b"\x00\x02{}"
    return b"\x01" + write_var_uint(len(payload)) + payload


@pytest.mark.parametrize("number", GOOD + BAD)
def test_every_decoder_takes_and_refuses_the_same_numbers(number: bytes):
    good = number in GOOD
    frame = _awareness_frame(number)
    assert (awareness_clocks(frame, 64) is not None) is good
    message = decode_message(frame)
    assert isinstance(message, AwarenessUpdate)
    state_vector = b"\x01" + number + b"\x00"
    update = b"\x01\x00" + number + b"\x00\x00"  # one client, no structs; no deletes
    if good:
        assert [entry.client_id for entry in decode_awareness(message.payload)] == [
            Reader(number).read_var_uint()
        ]
        assert parse_state_vector(state_vector) == {Reader(number).read_var_uint(): 0}
        assert parse_update(update, 64).items == []
        return
    with pytest.raises(MalformedMessage):
        decode_awareness(message.payload)
    with pytest.raises(MalformedMessage):
        decode_message(number)  # the message type itself
    with pytest.raises(UpdateRefused):
        parse_state_vector(state_vector)
    with pytest.raises(UpdateRefused):
        parse_update(update, 64)


# `(byte & 0x7F) << shift`: the step only a varuint decoder takes.
_VARUINT_STEP = re.compile(r"&\s*0x7[fF]\)?\s*<<")


def test_no_module_decodes_varuints_on_its_own():
    package = Path(collab.__file__).parent
    decoders = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if _VARUINT_STEP.search(path.read_text())
    )
    assert decoders == ["protocol/encoding.py"], "read varuints with collab.protocol.encoding"
