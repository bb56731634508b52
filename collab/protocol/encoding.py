"""Strict lib0 decoding: every read checks bounds, so hostile bytes raise MalformedMessage.

This is the one lib0 decoder of collab: messages, awareness (and its echo scan), the update
validator (yupdate.py), stored nesting levels and cluster messages read through `Reader`, and
state vectors, nothing but varuints, through `read_var_uints` (the same numbers in one pass).
Both hold varuints to one bound and raise one error for bytes that are not what they claim.
"""

from __future__ import annotations

from collab.errors import MalformedMessage

# lib0 writes unsigned integers of up to 53 bits (JavaScript's safe integers): 8 bytes of 7 bits
# hold them. A longer one is refused, so a hostile number cannot grow without bound.
MAX_VAR_UINT_BYTES = 8


class Reader:
    """Reads lib0-encoded values from a byte string, refusing truncation and overlong values.
    `data` and `pos` (the next byte to read) are there for readers built on this one."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    @property
    def remaining(self) -> int:
        """Bytes not read yet."""
        return len(self.data) - self.pos

    def read_uint8(self) -> int:
        """One byte."""
        pos = self.pos
        if pos >= len(self.data):
            raise MalformedMessage("message truncated: expected one more byte")
        self.pos = pos + 1
        return self.data[pos]

    def read_var_uint(self) -> int:
        """A variable-length unsigned integer (7 bits per byte, low group first), of at most
        MAX_VAR_UINT_BYTES bytes."""
        data, pos = self.data, self.pos
        if pos < len(data) and data[pos] < 0x80:  # most numbers fit one byte
            self.pos = pos + 1
            return data[pos]
        value = shift = 0
        end = min(len(data), pos + MAX_VAR_UINT_BYTES)
        while pos < end:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                self.pos = pos
                return value
            shift += 7
        if end == len(data) and shift < 7 * MAX_VAR_UINT_BYTES:
            raise MalformedMessage("message truncated inside a varuint")
        raise MalformedMessage(f"varuint longer than {MAX_VAR_UINT_BYTES} bytes")

    def read_var_int(self) -> int:
        """A lib0 signed varint: the first byte holds the sign (0x40) and six bits, each next
        byte seven more; at most MAX_VAR_UINT_BYTES bytes."""
        byte = self.read_uint8()
        value, negative, shift = byte & 0x3F, bool(byte & 0x40), 6
        for _ in range(MAX_VAR_UINT_BYTES - 1):
            if byte < 0x80:
                return -value if negative else value
            byte = self.read_uint8()
            value |= (byte & 0x7F) << shift
            shift += 7
        if byte < 0x80:
            return -value if negative else value
        raise MalformedMessage(f"varint longer than {MAX_VAR_UINT_BYTES} bytes")

    def read_var_bytes(self) -> bytes:
        """A length-prefixed byte string; the prefix may not claim more than is left."""
        length = self.read_var_uint()
        start = self.pos
        if length > len(self.data) - start:
            raise MalformedMessage(
                f"length prefix {length} exceeds the {self.remaining} bytes left in the message"
            )
        self.pos = start + length
        return self.data[start : self.pos]

    def read_var_string(self) -> str:
        """A length-prefixed UTF-8 string."""
        raw = self.read_var_bytes()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedMessage("string is not valid UTF-8") from None

    def skip(self, size: int) -> None:
        """Step over `size` bytes."""
        if size > self.remaining:
            raise MalformedMessage(f"message truncated: expected {size} more bytes")
        self.pos += size

    def expect_end(self) -> None:
        """Fail if bytes are left over."""
        if self.remaining:
            raise MalformedMessage(f"{self.remaining} unexpected trailing bytes")


def read_var_uints(data: bytes) -> list[int]:
    """Every varuint of `data`, which holds nothing else, in one pass over its bytes: what
    `Reader.read_var_uint` would read in a loop (same bound, same errors), at half the cost for
    long numbers. A state vector is all varuints, and is read after every change to a room."""
    values: list[int] = []
    append = values.append
    value = shift = 0
    longest = 7 * MAX_VAR_UINT_BYTES
    for byte in data:
        if byte < 0x80:
            append(value | (byte << shift))
            value = shift = 0
            continue
        value |= (byte & 0x7F) << shift
        shift += 7
        if shift >= longest:
            raise MalformedMessage(f"varuint longer than {MAX_VAR_UINT_BYTES} bytes")
    if shift:
        raise MalformedMessage("message truncated inside a varuint")
    return values


def write_var_uint(value: int) -> bytes:
    """Encode an unsigned integer the lib0 way."""
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def write_var_bytes(data: bytes) -> bytes:
    """Encode a length-prefixed byte string."""
    return write_var_uint(len(data)) + data
