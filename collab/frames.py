"""Reading a client's WebSocket frames without websockets' generator-based parser, where that is
simple.

Every Yjs message is one unfragmented binary frame, and a room of n stock clients reads n - 1
echoes of each awareness change: per frame, websockets' parser (a generator resumed per read,
a Frame object, checks, an event list) costs several times what handling the message does.
`read_frame` recognises the frames that need none of that: final, binary, masked, without
extension bits, within the size limit. Control frames (ping, pong, close) are found whole and
handed to websockets one at a time; anything else (text, fragments, unmasked or oversized
frames) is left to websockets from there on, which keeps its own state and close codes.
"""

from __future__ import annotations

from websockets.speedups import apply_mask

# A frame's first byte for a final, unfragmented binary frame without extension bits.
_FINAL_BINARY = 0x82
_MASKED = 0x80

# `read_frame`'s answer for a frame websockets must parse, with everything after it.
HAND_OVER = (-1, None)


def read_frame(
    data: bytes | bytearray, position: int, max_size: int | None
) -> tuple[int, bytes | None] | None:
    """The frame starting at `position`: (its end, its unmasked payload) for a simple binary
    frame; (its end, None) for a complete control frame, to hand to websockets as it is;
    HAND_OVER for one websockets must parse from here on; None while it is incomplete."""
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
    masked = second & _MASKED
    simple = first == _FINAL_BINARY and masked
    if simple and max_size is not None and length > max_size:
        return HAND_OVER  # websockets closes with 1009 without waiting for the payload
    control = first & 0x0F >= 0x8 and masked and not first & 0x70 and length <= 125
    if not simple and not control:
        return HAND_OVER
    end = position + head + 4 + length
    if size < end:
        return None
    if not simple:
        return end, None
    mask = bytes(data[position + head : position + head + 4])
    return end, apply_mask(bytes(data[position + head + 4 : end]), mask)
