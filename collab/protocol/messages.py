"""y-websocket frames <-> typed messages. Wire contract: docs/protocol.md."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from pycrdt import (
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_update_message,
)

from collab.errors import MalformedMessage, ProtocolError
from collab.protocol.encoding import Reader, write_var_bytes, write_var_uint


class MessageType(IntEnum):
    """Top-level message types: y-protocols' plus collab's own opt-in acknowledgement and
    events."""

    SYNC = YMessageType.SYNC
    AWARENESS = YMessageType.AWARENESS
    AUTH = 2
    QUERY_AWARENESS = 3
    DURABLE = 100
    EVENT = 101


class SyncType(IntEnum):
    """Sub-types of a SYNC message, as in y-protocols `sync.js`."""

    STEP1 = YSyncMessageType.SYNC_STEP1
    STEP2 = YSyncMessageType.SYNC_STEP2
    UPDATE = YSyncMessageType.SYNC_UPDATE


@dataclass(frozen=True, slots=True)
class SyncStep1:
    """A peer's state vector: 'send me what I am missing'."""

    state_vector: bytes


@dataclass(frozen=True, slots=True)
class SyncStep2:
    """The updates a peer was missing, in reply to SyncStep1."""

    update: bytes


@dataclass(frozen=True, slots=True)
class Update:
    """An incremental document update."""

    update: bytes


@dataclass(frozen=True, slots=True)
class AwarenessUpdate:
    """An encoded awareness update (presence: cursors, names)."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class QueryAwareness:
    """A request for every awareness state of the room."""


Message = SyncStep1 | SyncStep2 | Update | AwarenessUpdate | QueryAwareness


def decode_message(frame: bytes) -> Message:
    """Decode one binary frame into a typed message; raise on anything malformed."""
    reader = Reader(frame)
    kind = reader.read_var_uint()
    message: Message
    if kind == MessageType.SYNC:
        message = _decode_sync(reader)
    elif kind == MessageType.AWARENESS:
        message = AwarenessUpdate(reader.read_var_bytes())
    elif kind == MessageType.QUERY_AWARENESS:
        message = QueryAwareness()
    else:
        raise ProtocolError(f"unsupported message type {kind}")
    reader.expect_end()
    return message


def _decode_sync(reader: Reader) -> Message:
    sub_type = reader.read_var_uint()
    payload = reader.read_var_bytes()
    if sub_type == SyncType.STEP1:
        return SyncStep1(payload)
    if sub_type == SyncType.STEP2:
        return SyncStep2(payload)
    if sub_type == SyncType.UPDATE:
        return Update(payload)
    raise ProtocolError(f"unsupported sync message type {sub_type}")


def encode_sync_step1(state_vector: bytes) -> bytes:
    """A SyncStep1 frame carrying our state vector."""
    return bytes([MessageType.SYNC, SyncType.STEP1]) + write_var_bytes(state_vector)


def encode_sync_step2(update: bytes) -> bytes:
    """A SyncStep2 frame carrying what the peer is missing."""
    return bytes([MessageType.SYNC, SyncType.STEP2]) + write_var_bytes(update)


def encode_update(update: bytes) -> bytes:
    """An Update frame (pycrdt's encoder)."""
    return create_update_message(update)


def encode_awareness(payload: bytes) -> bytes:
    """An awareness frame (pycrdt's encoder)."""
    return create_awareness_message(payload)


def encode_durable(count: int) -> bytes:
    """collab's acknowledgement: the first `count` updates this connection sent are committed."""
    return bytes([MessageType.DURABLE]) + write_var_uint(count)


def encode_event(event: Mapping[str, Any]) -> bytes:
    """collab's event message: a JSON object as a var string (docs/protocol.md, Events)."""
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return bytes([MessageType.EVENT]) + write_var_bytes(text.encode())


def is_empty_update(update: bytes) -> bool:
    """Yjs encodes 'nothing' as two zero varuints (no structs, empty delete set)."""
    return update == b"\x00\x00"


__all__ = [
    "AwarenessUpdate",
    "MalformedMessage",
    "Message",
    "MessageType",
    "QueryAwareness",
    "SyncStep1",
    "SyncStep2",
    "SyncType",
    "Update",
    "decode_message",
    "encode_awareness",
    "encode_durable",
    "encode_event",
    "encode_sync_step1",
    "encode_sync_step2",
    "encode_update",
    "is_empty_update",
]
