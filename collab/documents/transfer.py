"""Export a stored room to text, Markdown, JSON, Yjs, a `collab` file (the document with its
comment threads, documents/bundle.py), a PDF or a DOCX file, and import text, Markdown, JSON,
Yjs or a `collab` file into one (the CLI; the REST import)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

from pycrdt import XmlElement, XmlFragment

from collab.content import crdt
from collab.content.export import (
    ABSENT,
    RICH,
    TEXT,
    content_kind,
    content_text,
    doc_from_update,
    doc_to_json,
    render_content,
    roots,
)
from collab.content.printed import FILE_FORMATS, printed_file
from collab.content.restore import restore_value
from collab.content.richedit import MARKDOWN, content_edit
from collab.content.roots import content_root
from collab.content.textops import replace_with
from collab.documents import bundle
from collab.documents.service import rehome, stored_doc
from collab.errors import DocumentTooLarge, InvalidRequest, RoomNotFound
from collab.protocol.yupdate import DEFAULT_MAX_DEPTH
from collab.rooms.quarantine import check_version, load_room
from collab.store.base import NewUpdate, Store
from collab.store.images import Image
from collab.types import is_valid_room_name

Format = Literal["text", "markdown", "json", "yjs", "collab"]
MARKDOWN_MAX_BYTES = 2 * 1024 * 1024
ExportFormat = Literal["text", "markdown", "json", "yjs", "collab", "pdf", "docx"]


async def export_room(
    store: Store, room: str, fmt: ExportFormat, version: int | None = None
) -> bytes:
    """The room (or one of its versions) in `fmt`: UTF-8 text of `content` (or its Markdown),
    JSON of every root type, a Yjs update, a `collab` file: the Yjs update with the room's
    comment threads (all of them, resolved too) and its images (a version's file holds the
    threads and images as they are now), or a PDF or DOCX file titled with the room's title
    (content/printed.py; no stored image is embedded here: they show their alt text)."""
    doc = await stored_doc(store, room)
    info = await store.room_info(room)
    if version is not None:
        found = await store.get_version(room, version)
        if found is None:
            raise RoomNotFound(f"room {room!r} has no version {version}")
        await check_version(room, version, found[1], DEFAULT_MAX_DEPTH)
        doc = doc_from_update(found[1])
    update = doc.get_update()
    if fmt == "yjs":
        return update
    if fmt == "collab":
        threads = await store.comments.list_threads(room, "all")
        images = await _images(store, room)
        kind = content_kind(doc) or (info.kind if info else None)
        return bundle.encode(update, kind, info.title if info else None, threads, images)
    if fmt == "json":
        return json.dumps(doc_to_json(update), indent=2, ensure_ascii=False).encode() + b"\n"
    if fmt in FILE_FORMATS:
        title = (info.title if info else None) or room
        return await asyncio.to_thread(printed_file, update, FILE_FORMATS[fmt], title)
    if fmt == "markdown":
        return render_content(doc, "markdown").encode()
    return content_text(doc).encode()


async def _images(store: Store, room: str) -> list[Image]:
    """Every image of `room`, with its bytes."""
    found = [
        await store.images.get(room, info.id) for info in await store.images.list_for_room(room)
    ]
    return [image for image in found if image is not None]


async def import_room(store: Store, room: str, data: bytes, fmt: Format, author: str) -> None:
    """Append an import to the room's log (creating the room): a Yjs update as it is; text as
    the minimal edit that makes `content` equal it; JSON (as `export` writes it) as the edits
    that make every root type equal its value; a `collab` file (whichever of the two formats
    is named: its mark tells) as its Yjs update, then its threads, merged by id into those the
    room has (SqlComments.carry_threads: a thread the room has already is kept as it is).
    Markdown makes a rich-text document (content/markdown_in.py), replacing a rich room's
    content; into a plain-text room it goes as text, its Markdown source kept as typed."""
    if not is_valid_room_name(room):
        raise InvalidRequest(f"{room!r} is not a room name (1-128 of A-Z a-z 0-9 . _ ~ : @ + -)")
    carried = _carried(data, fmt)  # checked all through before anything is created
    if carried is not None:
        await store.create_room(room, carried.kind, carried.title)
        await _check_against_stored(store, room, carried.update)
        await store.append([NewUpdate(room, carried.update, author)])
        await store.comments.carry_threads(room, carried.threads, keep_ids=True)
        await store.images.carry(room, carried.images)
        ids = {image.info.id for image in carried.images}
        await rehome(store, room, carried.update, ids, author)
        return
    if fmt == "json":
        target = _decode_json(data)  # before creating anything
    await store.create_room(room, RICH if fmt == "markdown" else None)
    if fmt == "markdown":
        update = await _markdown_update(store, room, _decode_text(data))
    elif fmt == "yjs":
        await _check_against_stored(store, room, data)
        update = data
    elif fmt == "json":
        update = await _json_update(store, room, target)
    else:
        update = await _text_update(store, room, _decode_text(data))
    await store.append([NewUpdate(room, update, author)])


def check_import(data: bytes, fmt: Format) -> None:
    """Refuse a file `import_room` would refuse for what it holds, before anything is created:
    text or Markdown not UTF-8, JSON not an object of root types, a Yjs update the validator
    refuses (Markdown nested deeper than the parser reads is refused by `import_room`)."""
    if _carried(data, fmt) is not None:
        return
    if fmt == "yjs":
        crdt.validate_update(data)
    elif fmt == "markdown" and len(data) > MARKDOWN_MAX_BYTES:
        # markdown-it's time grows faster than the input on some shapes (long runs of "["):
        # a bound keeps one import from holding a worker thread for minutes.
        raise DocumentTooLarge(
            f"a Markdown import may be at most {MARKDOWN_MAX_BYTES // (1024 * 1024)} MiB "
            f"({len(data)} bytes sent); import it as text, or split it"
        )
    elif fmt == "json":
        _decode_json(data)
    else:
        _decode_text(data)


def _carried(data: bytes, fmt: Format) -> bundle.Bundle | None:
    """The `collab` file `data` is (named so, or as JSON), decoded and checked; None when it is
    a file of another format."""
    if fmt not in ("collab", "json"):
        return None
    try:
        value = json.loads(_decode_text(data))
    except json.JSONDecodeError as error:
        raise InvalidRequest(f"not JSON: {error}") from None
    if bundle.is_bundle(value):
        return bundle.decode(value)
    if fmt == "collab":
        raise InvalidRequest(
            'not a collab export: its JSON has no "collab": "document" and "version" at the top'
        )
    return None


async def _check_against_stored(store: Store, room: str, update: bytes) -> None:
    """Walk a Yjs import and check its shared types' nesting against the stored document (it
    may build on types the room has); InvalidUpdate if either refuses it."""
    parsed = crdt.validate_update(update)
    (await load_room(store, room, DEFAULT_MAX_DEPTH)).nesting.admit(parsed)


async def _markdown_update(store: Store, room: str, source: str) -> bytes:
    """The edit making the room's content the rich document `source` stands for, or, in a
    plain-text room, its text (checked against the stored document as a Yjs import is)."""
    doc = await stored_doc(store, room)
    info = await store.room_info(room)
    if (content_kind(doc) or (info.kind if info else None)) == TEXT:
        return await _text_update(store, room, source)
    # Parsing and building take about a second per 100 KB: off the event loop.
    update = await asyncio.to_thread(_markdown_edit, doc.get_update(), source)
    await _check_against_stored(store, room, update)
    return update


def _markdown_edit(stored: bytes, source: str) -> bytes:
    """The edit replacing the content of the document `stored` with `source`'s (run in a worker
    thread: the document is made there, and pycrdt's objects stay in the thread that made
    them)."""
    # markdown-it loads with the first import.
    from collab.content.markdown_in import to_fragment, to_nodes

    doc = doc_from_update(stored)
    before = doc.get_state()
    with doc.transaction():
        fragment = doc.get(content_root(doc), type=XmlFragment)
        first = next(iter(fragment.children), None)
        if isinstance(first, XmlElement) and first.tag == "blockGroup":
            # A BlockNote document keeps BlockNote's blocks: the edit the content API makes
            # for Markdown sent to it, of the whole document (blocks it pairs keep their ids).
            change, _ = content_edit(to_nodes(source), MARKDOWN, None, None)
            change(doc)
        else:
            del fragment.children[:]
            to_fragment(source, fragment)
    return doc.get_update(before)


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


async def _json_update(store: Store, room: str, target: dict[str, Any]) -> bytes:
    """Strings become Y.Text, objects Y.Map, arrays Y.Array. A rich-text (XML) root cannot be
    rebuilt from its rendering: changing one is refused (import a Yjs file instead)."""
    doc = await stored_doc(store, room)
    found = roots(doc.get_update())
    current = {name: root.value for name, root in found.items()}
    changed = [n for n in sorted(set(current) | set(target)) if current.get(n) != target.get(n)]
    for name in changed:
        if found.get(name, ABSENT).kind == "xml":
            raise InvalidRequest(
                f"root {name!r} is rich text (XML) and JSON cannot rebuild it; import a Yjs file"
            )
    before = doc.get_state()
    with doc.transaction():
        for name in changed:
            restore_value(doc, name, current.get(name), target.get(name))
    return doc.get_update(before)


def _decode_json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(_decode_text(data))
    except json.JSONDecodeError as error:
        raise InvalidRequest(f"not JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidRequest("a JSON import is an object of root names, as `export` writes it")
    for name, root in value.items():
        if not isinstance(root, str | dict | list) and root is not None:
            raise InvalidRequest(
                f"root {name!r} must be a string (text), an object (map) or an array"
            )
    return value
