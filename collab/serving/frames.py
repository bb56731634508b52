"""WebSocket frames as bytes: reading a client's frames without websockets' generator-based
parser where that is simple, and framing what the server sends.

Every Yjs message is one unfragmented binary frame, and a room of n stock clients reads n - 1
echoes of each awareness change: per frame, websockets' parser (a generator resumed per read,
a Frame object, checks, an event list) costs several times what handling the message does.
`read_frame` recognises the frames that need none of that (final, binary, masked, without
extension bits, within the size limit) and finds where every other frame ends, so that
websockets is handed whole frames (control frames, text, fragments) and keeps its own state
and close codes for them. A frame it must refuse at its header (unmasked, over the size limit,
a control frame over 125 bytes) is handed over with everything after it.
"""

from __future__ import annotations

from collections.abc import Callable

# A frame's first byte for a final, unfragmented binary frame without extension bits.
_FINAL_BINARY = 0x82
_MASKED = 0x80
_CONTROL = 0x08
_CONTROL_MAX = 125

# `read_frame`'s answer for a frame websockets must read, with everything after it.
HAND_OVER = (-1, None)


def xor_mask(payload: bytes | bytearray, mask: bytes | bytearray) -> bytes:
    """`payload` XOR the 4-byte `mask` repeated: RFC 6455 5.3, on Python integers."""
    size = len(payload)
    key = int.from_bytes((bytes(mask) * (size // 4 + 1))[:size], "little")
    return (int.from_bytes(payload, "little") ^ key).to_bytes(size, "little")


# On Python integers (no private C helper of websockets'): 0.5 us for a keystroke's 30 bytes,
# 2.6 us for 1 KB, 125 us for 64 KiB on this machine.
unmask: Callable[[bytes | bytearray, bytes | bytearray], bytes] = xor_mask


def read_frame(
    data: bytes | bytearray, position: int, max_size: int | None
) -> tuple[int, bytes | None] | None:
    """The frame starting at `position`: (its end, its unmasked payload) for a simple binary
    frame; (its end, None) for any other whole frame, to hand to websockets as it is;
    HAND_OVER for one websockets must read from its header on; None while it is incomplete."""
    size = len(data)
    if size - position < 2:
        return None
    first, second = data[position], data[position + 1]
    length = second & 0x7F
    head = 2 if length < 126 else 4 if length == 126 else 10
    if size - position < head:
        return None
    if head > 2:
        length = int.from_bytes(data[position + 2 : position + head], "big")
    limit = _CONTROL_MAX if first & _CONTROL else max_size
    if not second & _MASKED or (limit is not None and length > limit):
        return HAND_OVER  # websockets closes with 1002 or 1009 without waiting for the payload
    start = position + head + 4
    end = start + length
    if size < end:
        return None
    if first != _FINAL_BINARY:
        return end, None
    return end, unmask(data[start:end], data[start - 4 : start])


def binary_frame_header(length: int) -> bytes:
    """The header of an unfragmented, unmasked binary frame of `length` payload bytes."""
    if length < 126:
        return bytes((_FINAL_BINARY, length))
    if length < 65536:
        return bytes((_FINAL_BINARY, 126)) + length.to_bytes(2, "big")
    return bytes((_FINAL_BINARY, 127)) + length.to_bytes(8, "big")


def binary_frame(data: bytes) -> bytes:
    """`data` as one unfragmented, unmasked binary frame (what a server sends)."""
    return binary_frame_header(len(data)) + data
