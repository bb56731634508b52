"""Loading a stored room safely, and quarantining one whose stored data is refused.

Rooms written before updates were checked can hold data that crashes yrs (values or shared types
nested thousands of levels deep): loading or rendering them would kill the process again after
every restart. Every stored part is walked first (in a worker thread: the walk is pure Python and
a large document's takes a while); a room whose data is refused is marked in the database, so
every process refuses it at once with DocumentQuarantined (close 4423, HTTP 423), and an operator
lists, exports and releases it with `collab quarantine`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc

from collab.content.crdt import apply_checked, checked_parts
from collab.errors import DocumentQuarantined, InvalidUpdate, RoomNotFound
from collab.protocol.nesting import TypeNesting
from collab.store.base import RoomCursor, Store, StoredRoom

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoadedRoom:
    """A room's storage, its document, and the nesting levels of the document's items."""

    stored: StoredRoom
    doc: Doc[Any]
    nesting: TypeNesting


def quarantined(room: str, reason: str) -> DocumentQuarantined:
    """The error a quarantined room answers with."""
    return DocumentQuarantined(
        f"document {room!r} is quarantined: its stored data is refused ({reason}); "
        "an operator can export it with `collab quarantine export`"
    )


async def load_room(store: Store, room: str, max_depth: int) -> LoadedRoom:
    """Read and check a room; DocumentQuarantined if it is, or now becomes, quarantined.
    Storage errors propagate (they are outages, not bad data)."""
    stored = await store.load(room)
    if stored.quarantined is not None:
        raise quarantined(room, stored.quarantined)
    try:
        nesting = await asyncio.to_thread(_checked, stored, max_depth)
        doc = apply_checked(stored.parts)
    except InvalidUpdate as error:
        log.error("room %s quarantined: its stored data is refused: %s", room, error.detail)
        await store.set_quarantine(room, error.detail)
        raise quarantined(room, error.detail) from None
    return LoadedRoom(stored, doc, nesting)


def _checked(stored: StoredRoom, max_depth: int) -> TypeNesting:
    """Walk what the room's storage holds: only the log after the state when the state's
    nesting levels were stored with it (a state written by a compaction was made of parts
    walked before), everything otherwise."""
    known = (
        TypeNesting.decode(stored.nesting, max_depth) if stored.state and stored.nesting else None
    )
    if known is not None:
        return known.walk(stored.log)
    return checked_parts(stored.parts, max_depth)


async def check_version(room: str, version_id: int, state: bytes, max_depth: int) -> None:
    """Refuse to render a stored version whose data could crash yrs."""
    try:
        await asyncio.to_thread(checked_parts, [state], max_depth)
    except InvalidUpdate as error:
        raise DocumentQuarantined(
            f"version {version_id} of {room!r} holds data the server refuses to render "
            f"({error.detail})"
        ) from None


async def export_raw(store: Store, room: str) -> bytes:
    """A quarantined room's stored parts, undecoded, as JSON (base64 each): what an operator
    inspects or repairs offline. Nothing here hands the bytes to yrs."""
    stored = await store.load(room)
    if not stored.parts and await store.room_info(room) is None:
        raise RoomNotFound(f"room {room!r} does not exist")
    document = {
        "room": room,
        "quarantined": stored.quarantined,
        "state": base64.b64encode(stored.state).decode() if stored.state else None,
        "log": [base64.b64encode(part).decode() for part in stored.log],
    }
    return json.dumps(document, indent=2).encode() + b"\n"


async def scan(store: Store, max_depth: int) -> list[tuple[str, str]]:
    """Walk every stored room and quarantine those whose data is refused. Returns (room,
    message) for every quarantined room, those quarantined before included."""
    found: list[tuple[str, str]] = []
    cursor = None
    while page := await store.list_rooms(500, after=cursor):
        for info in page:
            try:
                await load_room(store, info.name, max_depth)
            except DocumentQuarantined as error:
                found.append((info.name, error.detail))
        cursor = RoomCursor(page[-1].updated_at, page[-1].name)
    return found
