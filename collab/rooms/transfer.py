"""Export a stored room to text, JSON or Yjs, and import text or Yjs into one (CLI use)."""

from __future__ import annotations

import json
from typing import Literal

from collab.errors import InvalidRequest, RoomNotFound
from collab.rooms import crdt
from collab.rooms.documents import replace_with, stored_doc
from collab.rooms.export import content_text, doc_from_update, doc_to_json
from collab.store.base import NewUpdate, Store

Format = Literal["text", "json", "yjs"]


async def export_room(store: Store, room: str, fmt: Format, version: int | None = None) -> bytes:
    """The room (or one of its versions) in `fmt`: UTF-8 text of `content`, JSON of every root
    type, or a Yjs update."""
    doc = await stored_doc(store, room)
    if version is not None:
        found = await store.get_version(room, version)
        if found is None:
            raise RoomNotFound(f"room {room!r} has no version {version}")
        doc = doc_from_update(found[1])
    update = doc.get_update()
    if fmt == "yjs":
        return update
    if fmt == "json":
        return json.dumps(doc_to_json(update), indent=2, ensure_ascii=False).encode() + b"\n"
    return content_text(doc).encode()


async def import_room(store: Store, room: str, data: bytes, fmt: Format, author: str) -> None:
    """Append an import to the room's log (creating the room): a Yjs update as it is, or text
    as the minimal edit that makes `content` equal it."""
    if fmt == "json":
        raise InvalidRequest("JSON cannot be imported (its root types are ambiguous); use yjs")
    await store.create_room(room)
    if fmt == "yjs":
        crdt.validate_update(data)
        update = data
    else:
        update = await _text_update(store, room, _decode_text(data))
    await store.append([NewUpdate(room, update, author)])


async def _text_update(store: Store, room: str, new_text: str) -> bytes:
    doc = await stored_doc(store, room)
    before = doc.get_state()
    with doc.transaction():
        replace_with(new_text)(doc)
    return doc.get_update(before)


def _decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("text imports must be UTF-8") from None
