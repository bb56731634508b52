"""What travels on the bus, and its encoding: a version byte, a kind byte, then lib0 fields.

A message that fails to decode (another version, a corrupted payload) raises MalformedMessage;
the receiver counts it and goes on with the next.
"""

from __future__ import annotations

from dataclasses import dataclass

from collab.errors import MalformedMessage
from collab.protocol.encoding import Reader, write_var_bytes, write_var_uint

VERSION = 1
_COMMITTED, _DELETED, _PRESENCE, _PRESENCE_QUERY, _BYE, _EVENT, _ACCESS = 1, 2, 3, 4, 5, 6, 7


@dataclass(frozen=True, slots=True)
class Committed:
    """Log rows `first`..`last` of a room, committed by `node`. `updates` empty: too large to
    carry, read them from the database."""

    room: str
    epoch: int
    first: int
    last: int
    node: str
    updates: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Deleted:
    """The room was deleted; `epoch` is its tombstone's."""

    room: str
    epoch: int
    node: str


@dataclass(frozen=True, slots=True)
class Presence:
    """Awareness entries of a node's clients in a room (a y-protocols awareness update), and
    for each entry the authenticated person its connection belongs to (None: unknown, as in
    development mode, and for removals): the others let only that person take the id over."""

    room: str
    node: str
    payload: bytes
    principals: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class PresenceQuery:
    """A node that just loaded the room asks the others for their clients' presence."""

    room: str
    node: str


@dataclass(frozen=True, slots=True)
class Bye:
    """A node is shutting down: drop its presence now."""

    node: str


@dataclass(frozen=True, slots=True)
class RoomEvent:
    """An EVENT for the room's clients (docs/protocol.md "Events"), as JSON, that a change
    made on `node` (a comment over REST) sends to every process with the room loaded."""

    room: str
    node: str
    event: str


@dataclass(frozen=True, slots=True)
class AccessChanged:
    """Who may open the room changed on `node` (shared, a role changed, removed, its owner or
    the organisation's role): the others re-check their open connections to it now, those of
    `user` only when it is given."""

    room: str
    node: str
    user: str | None


BusMessage = Committed | Deleted | Presence | PresenceQuery | Bye | RoomEvent | AccessChanged


def _str(value: str) -> bytes:
    return write_var_bytes(value.encode())


def _optional_str(value: str | None) -> bytes:
    return b"\x00" if value is None else b"\x01" + _str(value)


def _read_optional_str(reader: Reader) -> str | None:
    return reader.read_var_string() if reader.read_uint8() else None


def encode(message: BusMessage) -> bytes:
    """The message's bytes."""
    out = bytearray([VERSION])
    match message:
        case Committed(room, epoch, first, last, node, updates):
            out += bytes([_COMMITTED]) + _str(room) + write_var_uint(epoch)
            out += write_var_uint(first) + write_var_uint(last) + _str(node)
            out += write_var_uint(len(updates))
            for update in updates:
                out += write_var_bytes(update)
        case Deleted(room, epoch, node):
            out += bytes([_DELETED]) + _str(room) + write_var_uint(epoch) + _str(node)
        case Presence(room, node, payload, principals):
            out += bytes([_PRESENCE]) + _str(room) + _str(node) + write_var_bytes(payload)
            out += write_var_uint(len(principals))
            for principal in principals:
                out += _optional_str(principal)
        case PresenceQuery(room, node):
            out += bytes([_PRESENCE_QUERY]) + _str(room) + _str(node)
        case Bye(node):
            out += bytes([_BYE]) + _str(node)
        case RoomEvent(room, node, event):
            out += bytes([_EVENT]) + _str(room) + _str(node) + _str(event)
        case AccessChanged(room, node, user):
            out += bytes([_ACCESS]) + _str(room) + _str(node) + _optional_str(user)
    return bytes(out)


def _read_presence(reader: Reader) -> Presence:
    room, node = reader.read_var_string(), reader.read_var_string()
    payload = reader.read_var_bytes()
    principals = tuple(_read_optional_str(reader) for _ in range(reader.read_var_uint()))
    return Presence(room, node, payload, principals)


def decode(data: bytes) -> BusMessage:
    """The message in `data`; MalformedMessage if it is not one this version understands."""
    reader = Reader(data)
    if reader.read_uint8() != VERSION:
        raise MalformedMessage("bus message of another version")
    kind = reader.read_uint8()
    message: BusMessage
    if kind == _COMMITTED:
        room, epoch = reader.read_var_string(), reader.read_var_uint()
        first, last, node = reader.read_var_uint(), reader.read_var_uint(), reader.read_var_string()
        updates = tuple(reader.read_var_bytes() for _ in range(reader.read_var_uint()))
        message = Committed(room, epoch, first, last, node, updates)
    elif kind == _DELETED:
        message = Deleted(
            reader.read_var_string(), reader.read_var_uint(), reader.read_var_string()
        )
    elif kind == _PRESENCE:
        message = _read_presence(reader)
    elif kind == _PRESENCE_QUERY:
        message = PresenceQuery(reader.read_var_string(), reader.read_var_string())
    elif kind == _BYE:
        message = Bye(reader.read_var_string())
    elif kind == _EVENT:
        room, node = reader.read_var_string(), reader.read_var_string()
        message = RoomEvent(room, node, reader.read_var_string())
    elif kind == _ACCESS:
        room, node = reader.read_var_string(), reader.read_var_string()
        message = AccessChanged(room, node, _read_optional_str(reader))
    else:
        raise MalformedMessage(f"unknown bus message kind {kind}")
    reader.expect_end()
    return message
