"""Strict lib0 decoding: every read checks bounds, so hostile bytes raise MalformedMessage."""

from __future__ import annotations

from collab.errors import MalformedMessage

# lib0 writes unsigned integers of up to 53 bits (JavaScript's safe integers).
_MAX_VARUINT_BYTES = 8


class Reader:
    """Reads lib0-encoded values from a byte string, refusing truncation and overlong values."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    @property
    def remaining(self) -> int:
        """Bytes not read yet."""
        return len(self._data) - self._pos

    def read_uint8(self) -> int:
        """One byte."""
        if self._pos >= len(self._data):
            raise MalformedMessage("message truncated: expected one more byte")
        value = self._data[self._pos]
        self._pos += 1
        return value

    def read_var_uint(self) -> int:
        """A variable-length unsigned integer (7 bits per byte, little end first)."""
        value = 0
        for index in range(_MAX_VARUINT_BYTES):
            byte = self.read_uint8()
            value |= (byte & 0x7F) << (7 * index)
            if byte < 0x80:
                return value
        raise MalformedMessage("varuint longer than 8 bytes")

    def read_var_bytes(self) -> bytes:
        """A length-prefixed byte string; the prefix may not claim more than is left."""
        length = self.read_var_uint()
        if length > self.remaining:
            raise MalformedMessage(
                f"length prefix {length} exceeds the {self.remaining} bytes left in the message"
            )
        start = self._pos
        self._pos += length
        return self._data[start : self._pos]

    def read_var_string(self) -> str:
        """A length-prefixed UTF-8 string."""
        raw = self.read_var_bytes()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedMessage("string is not valid UTF-8") from None

    def expect_end(self) -> None:
        """Fail if bytes are left over."""
        if self.remaining:
            raise MalformedMessage(f"{self.remaining} unexpected trailing bytes")


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
