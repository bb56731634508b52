"""Hocuspocus frames <-> typed messages (docs/hocuspocus.md).

Every frame of `@hocuspocus/provider` 2.x-4.x is `varString(document) varUint(type) payload`,
but for v4's connection-level Pong (one byte, no document name). Types 0 (Sync), 1 (Awareness)
and 3 (QueryAwareness) carry exactly what a y-websocket frame carries after the document name,
so they decode with collab's own y-websocket decoder (protocol/messages.py), and what a room
sends a peer becomes a Hocuspocus frame by prefixing the document name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from collab.errors import CollabError, MalformedMessage, ProtocolError
from collab.protocol.encoding import Reader, write_var_bytes, write_var_uint
from collab.protocol.messages import Message, MessageType, decode_message

# Longest document name read from a frame (room names are at most 128 characters; a v4
# provider with session awareness appends "\0" and a session id).
MAX_NAME_BYTES = 512


class HocuspocusType(IntEnum):
    """Hocuspocus message types (packages/common and provider `types.ts`)."""

    SYNC = 0
    AWARENESS = 1
    AUTH = 2
    QUERY_AWARENESS = 3
    SYNC_REPLY = 4  # server-internal in Hocuspocus: never on the wire to a provider
    STATELESS = 5
    BROADCAST_STATELESS = 6  # server-internal since Hocuspocus 4.1.1
    CLOSE = 7
    SYNC_STATUS = 8
    PING = 9
    PONG = 10


class AuthType(IntEnum):
    """Sub-types of an Auth message."""

    TOKEN = 0
    PERMISSION_DENIED = 1
    AUTHENTICATED = 2


@dataclass(frozen=True, slots=True)
class Auth:
    """The provider's token for a document (empty: none); v4 appends its own version."""

    token: str
    provider_version: str | None = None


@dataclass(frozen=True, slots=True)
class Stateless:
    """An application payload (conventionally JSON) for the server's on_stateless hook."""

    payload: str


@dataclass(frozen=True, slots=True)
class Detach:
    """CLOSE from a provider: it detached from the document (the socket stays open)."""


@dataclass(frozen=True, slots=True)
class Invalid:
    """A frame for a document whose message could not be decoded: that document is closed,
    not the socket."""

    error: CollabError


@dataclass(frozen=True, slots=True)
class Pong:
    """A v4 provider's answer to a connection-level Ping."""


DocumentMessage = Message | Auth | Stateless | Detach | Invalid


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame: the document key it is addressed to and what it says. `key` is the
    name as sent (a v4 provider may append "\\0" + a session id); `document` is the room."""

    key: str
    message: DocumentMessage
    # Where the message type starts in the frame (after the document name).
    offset: int = 0
    # The frame's length in bytes.
    size: int = field(default=0, compare=False)

    @property
    def document(self) -> str:
        """The document (room) name, without a v4 session suffix."""
        return document_name(self.key)


def document_name(key: str) -> str:
    """The document a key names: a v4 provider with `sessionAwareness` sends
    `name + "\0" + session id` (answered as sent; the document is `name`)."""
    return key.split("\0", 1)[0]


def decode_frame(frame: bytes) -> Frame | Pong:
    """Decode one binary frame from a provider (validation before pycrdt sees a byte of an
    update, as on /ws). A frame whose document name cannot be read raises MalformedMessage;
    one whose message cannot, is `Invalid` for its document."""
    if frame == bytes([HocuspocusType.PONG]):
        return Pong()
    reader = Reader(frame)
    raw = reader.read_var_bytes()
    if len(raw) > MAX_NAME_BYTES:
        raise MalformedMessage(f"document name of {len(raw)} bytes (limit {MAX_NAME_BYTES})")
    try:
        key = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedMessage("document name is not valid UTF-8") from None
    start = reader.pos
    try:
        return Frame(key, _decode_body(frame, reader), start, len(frame))
    except CollabError as error:
        return Frame(key, Invalid(error), start, len(frame))


def _decode_body(frame: bytes, reader: Reader) -> DocumentMessage:
    start = reader.pos
    kind = reader.read_var_uint()
    message: DocumentMessage
    if kind in (HocuspocusType.SYNC, HocuspocusType.AWARENESS, HocuspocusType.QUERY_AWARENESS):
        return decode_message(frame[start:])
    if kind == HocuspocusType.AUTH:
        message = _decode_auth(reader)
    elif kind == HocuspocusType.STATELESS:
        message = Stateless(reader.read_var_string())
    elif kind == HocuspocusType.CLOSE:
        message = Detach()
        reader.pos = len(frame)  # a reason, if any, is not used
    else:
        raise ProtocolError(f"unsupported Hocuspocus message type {kind}")
    reader.expect_end()
    return message


def _decode_auth(reader: Reader) -> Auth:
    sub_type = reader.read_var_uint()
    if sub_type != AuthType.TOKEN:
        raise ProtocolError(f"unsupported Auth message type {sub_type} from a client")
    token = reader.read_var_string()
    version = reader.read_var_string() if reader.remaining else None
    return Auth(token, version)


def document_prefix(key: str) -> bytes:
    """What goes before a y-websocket Sync, Awareness or QueryAwareness frame to make it a
    Hocuspocus frame of document `key`: the document's name."""
    return write_var_bytes(key.encode())


def authenticated(key: str, *, read_only: bool) -> bytes:
    """The document is open to the provider, with its scope."""
    scope = "readonly" if read_only else "read-write"
    return (
        document_prefix(key)
        + bytes([HocuspocusType.AUTH, AuthType.AUTHENTICATED])
        + write_var_bytes(scope.encode())
    )


def permission_denied(key: str, reason: str) -> bytes:
    """The document is refused to the provider (in-band: the socket and its other documents
    stay)."""
    return (
        document_prefix(key)
        + bytes([HocuspocusType.AUTH, AuthType.PERMISSION_DENIED])
        + write_var_bytes(reason.encode())
    )


def token_request(key: str) -> bytes:
    """ "Send your token again" (providers 3.3 and later answer with a fresh one; 2.x ignore
    it)."""
    return document_prefix(key) + bytes([HocuspocusType.AUTH, AuthType.TOKEN])


def sync_status(key: str, *, applied: bool) -> bytes:
    """An acknowledgement of one Sync update of the provider: 1 committed, 0 refused."""
    return document_prefix(key) + bytes([HocuspocusType.SYNC_STATUS]) + write_var_uint(int(applied))


def stateless(key: str, payload: str) -> bytes:
    """An application message for the provider's `stateless` event."""
    return (
        document_prefix(key) + bytes([HocuspocusType.STATELESS]) + write_var_bytes(payload.encode())
    )


def close(key: str, reason: str) -> bytes:
    """The server closed the document for the provider (understood by providers 3.1 and
    later; the socket stays open)."""
    return document_prefix(key) + bytes([HocuspocusType.CLOSE]) + write_var_bytes(reason.encode())


def is_room_frame(frame: bytes) -> bool:
    """Whether a frame a room sends a peer is a y-websocket Sync or Awareness frame (sent on
    with the document name in front)."""
    return bool(frame) and frame[0] in (MessageType.SYNC, MessageType.AWARENESS)
