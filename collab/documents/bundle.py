"""The `collab` export format: a document with its comment threads, one JSON file.

    {"collab": "document", "version": 1, "kind": "text", "title": "Notes",
     "update": "<the document as a Yjs update, base64>",
     "threads": [{"id", "anchor": {"start", "end"}, "quote", "created_by", "created_at",
                  "resolved_by", "resolved_at", "comments": [{"id", "author", "body",
                  "created_at", "edited_at"}]}],
     "images": [{"id", "content_type", "data": "<the bytes, base64>", "created_at",
                 "uploaded_by"}]}

`"collab": "document"` with a number `version` marks it: a JSON export of root types never holds
a number at its top, so the two formats cannot be mistaken for each other. The document goes as
a Yjs update, so its items keep their ids: a thread's anchors (Yjs relative positions naming
those items) stay valid in whatever room it is imported into. Images keep their ids too, so the
image nodes' `src` (`/api/rooms/ROOM/images/ID`: the editor reads the id) find them again; an
image's type is read again from its bytes on import (content/imagetypes.py), never trusted.
An author is `{"name", "user", "person"}`; times are ISO 8601 with their offset; anchors and
image bytes base64 (standard, padded)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collab.content import crdt
from collab.content.imagetypes import sniff
from collab.content.passages import check_point, decode_position
from collab.content.suggestions import FORMAT_MARKS
from collab.errors import InvalidRequest
from collab.store.comments import (
    Author,
    Comment,
    Suggestion,
    SuggestionKind,
    SuggestionStatus,
    Thread,
)
from collab.store.images import Image, ImageInfo

MARK = "document"
VERSION = 1


@dataclass(frozen=True, slots=True)
class Bundle:
    """A document's Yjs update, its kind and title, and its threads (their `room` is "")."""

    update: bytes
    kind: str | None
    title: str | None
    threads: tuple[Thread, ...]
    images: tuple[Image, ...] = ()


def is_bundle(value: object) -> bool:
    """Whether a decoded JSON file is a `collab` export (rather than one of root types)."""
    return isinstance(value, dict) and value.get("collab") == MARK and "version" in value


def encode(
    update: bytes,
    kind: str | None,
    title: str | None,
    threads: Sequence[Thread],
    images: Sequence[Image] = (),
) -> bytes:
    """The export file, UTF-8 JSON."""
    value = {
        "collab": MARK,
        "version": VERSION,
        "kind": kind,
        "title": title,
        "update": _b64(update),
        "threads": [_thread_json(thread) for thread in threads],
        "images": [_image_json(image) for image in images],
    }
    return json.dumps(value, indent=2, ensure_ascii=False).encode() + b"\n"


def decode(value: dict[str, Any]) -> Bundle:
    """A decoded `collab` export, checked all through (InvalidRequest naming the first place that
    is wrong) before anything is stored: its update is one the validator accepts, its anchors
    decode, its texts are storable."""
    version = value.get("version")
    if version != VERSION:
        raise InvalidRequest(
            f"version: this server reads collab exports of version {VERSION}, not {version!r}"
        )
    update = _bytes(value.get("update"), "update")
    crdt.validate_update(update)
    kind = value.get("kind")
    if kind not in (None, "text", "rich"):
        raise InvalidRequest(f'kind: "text", "rich" or null, not {kind!r}')
    title = _optional_text(value.get("title"), "title")
    threads = value.get("threads", [])
    if not isinstance(threads, list):
        raise InvalidRequest("threads: an array of threads")
    images = value.get("images", [])
    if not isinstance(images, list):
        raise InvalidRequest("images: an array of images")
    return Bundle(
        update,
        kind,
        title,
        tuple(_thread(found, f"threads[{i}]") for i, found in enumerate(threads)),
        tuple(_image(found, f"images[{i}]") for i, found in enumerate(images)),
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _author_json(author: Author) -> dict[str, Any]:
    return {"name": author.display, "user": author.user, "person": author.person}


def _moment(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _thread_json(thread: Thread) -> dict[str, Any]:
    return {
        "id": thread.id,
        "anchor": {"start": _b64(thread.start), "end": _b64(thread.end)},
        "quote": thread.quote,
        "created_by": _author_json(thread.created_by),
        "created_at": _moment(thread.created_at),
        "resolved_by": thread.resolved_by,
        "resolved_at": _moment(thread.resolved_at),
        "comments": [
            {
                "id": comment.id,
                "author": _author_json(comment.author),
                "body": comment.body,
                "created_at": _moment(comment.created_at),
                "edited_at": _moment(comment.edited_at),
            }
            for comment in thread.comments
        ],
        "suggestion": None if thread.suggestion is None else _suggestion_json(thread.suggestion),
    }


def _suggestion_json(suggestion: Suggestion) -> dict[str, Any]:
    decided = suggestion.decided_by if suggestion.status in ("accepted", "rejected") else None
    return {
        "kind": suggestion.kind,
        "text": suggestion.text,
        "at": None if suggestion.at is None else _b64(suggestion.at),
        "status": "open" if suggestion.is_open else suggestion.status,
        "decided_by": None if decided is None else _author_json(decided),
        "decided_at": None if decided is None else _moment(suggestion.decided_at),
    }


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{where}: an object")
    return value


def _text(value: object, where: str, most: int | None = None) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"{where}: a string")
    if "\x00" in value:
        raise InvalidRequest(f"{where}: cannot hold the NUL character (U+0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(f"{where}: holds a lone surrogate; valid Unicode only") from None
    if most is not None and not 0 < len(value) <= most:
        raise InvalidRequest(f"{where}: 1 to {most} characters")
    return value


def _optional_text(value: object, where: str, most: int | None = None) -> str | None:
    return None if value is None else _text(value, where, most)


def _id(value: object, where: str) -> str:
    found = _text(value, where, 32)
    if not found.replace("-", "").replace("_", "").isalnum() or not found.isascii():
        raise InvalidRequest(f"{where}: letters, digits, - and _ only")
    return found


def _bytes(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidRequest(f"{where}: base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"{where}: not base64") from None


def _time(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidRequest(f"{where}: an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{where}: not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise InvalidRequest(f"{where}: give the time's offset (like +00:00)")
    return moment


def _optional_time(value: object, where: str) -> datetime | None:
    return None if value is None else _time(value, where)


def _author(value: object, where: str) -> Author:
    found = _object(value, where)
    return Author(
        _text(found.get("name"), f"{where}.name", 256),
        _text(found.get("user"), f"{where}.user", 256),
        _optional_text(found.get("person"), f"{where}.person", 32),
    )


def _anchor(value: object, where: str) -> bytes:
    found = _bytes(value, where)
    try:
        decode_position(found, where)  # what yrs would panic on is refused here
    except InvalidRequest:
        raise InvalidRequest(f"{where}: not a Yjs relative position naming a character") from None
    return found


def _point(value: object, where: str) -> bytes:
    found = _bytes(value, where)
    try:
        check_point(found, where)
    except InvalidRequest:
        raise InvalidRequest(f"{where}: not a Yjs relative position of an insertion") from None
    return found


def _thread(value: object, where: str) -> Thread:
    found = _object(value, where)
    anchor = _object(found.get("anchor"), f"{where}.anchor")
    thread_id = _id(found.get("id"), f"{where}.id")
    comments = found.get("comments")
    suggestion = _suggestion(found.get("suggestion"), f"{where}.suggestion")
    ends = _point if suggestion is not None and suggestion.kind == "insert" else _anchor
    if not isinstance(comments, list) or not (comments or suggestion):
        raise InvalidRequest(
            f"{where}.comments: an array of at least one comment (a suggestion's may be empty)"
        )
    resolved_at = _optional_time(found.get("resolved_at"), f"{where}.resolved_at")
    resolved_by = _optional_text(found.get("resolved_by"), f"{where}.resolved_by", 256)
    if (resolved_at is None) != (resolved_by is None):
        raise InvalidRequest(f"{where}: resolved_by and resolved_at go together")
    return Thread(
        thread_id,
        "",
        ends(anchor.get("start"), f"{where}.anchor.start"),
        ends(anchor.get("end"), f"{where}.anchor.end"),
        _text(found.get("quote"), f"{where}.quote"),
        _author(found.get("created_by"), f"{where}.created_by"),
        _time(found.get("created_at"), f"{where}.created_at"),
        resolved_by,
        resolved_at,
        tuple(_comment(c, thread_id, f"{where}.comments[{i}]") for i, c in enumerate(comments)),
        suggestion,
    )


_KINDS: tuple[SuggestionKind, ...] = ("insert", "delete", "replace", "format")
_STATUSES: tuple[SuggestionStatus, ...] = ("open", "accepted", "rejected")


def _format_marks(text: str) -> bool:
    """Whether a format suggestion's text holds marks it may change, each true or false."""
    try:
        found = json.loads(text)
    except ValueError:
        return False
    return (
        isinstance(found, dict)
        and bool(found)
        and all(k in FORMAT_MARKS and isinstance(v, bool) for k, v in found.items())
    )


def _suggestion(value: object, where: str) -> Suggestion | None:
    if value is None:
        return None
    found = _object(value, where)
    kind = next((k for k in _KINDS if k == found.get("kind")), None)
    if kind is None:
        raise InvalidRequest(f"{where}.kind: insert, delete, replace or format")
    status = next((k for k in _STATUSES if k == found.get("status")), None)
    if status is None:
        raise InvalidRequest(f"{where}.status: open, accepted or rejected")
    at = found.get("at")
    decided = found.get("decided_by")
    text = _text(found.get("text"), f"{where}.text")
    if kind == "format" and not _format_marks(text):
        raise InvalidRequest(
            f'{where}.text: a format suggestion holds its marks, as {{"bold": true}}'
        )
    return Suggestion(
        kind,
        text,
        None if at is None else _point(at, f"{where}.at"),
        status,
        None if decided is None else _author(decided, f"{where}.decided_by"),
        _optional_time(found.get("decided_at"), f"{where}.decided_at"),
    )


def _comment(value: object, thread: str, where: str) -> Comment:
    found = _object(value, where)
    return Comment(
        _id(found.get("id"), f"{where}.id"),
        thread,
        _author(found.get("author"), f"{where}.author"),
        _text(found.get("body"), f"{where}.body"),
        _time(found.get("created_at"), f"{where}.created_at"),
        _optional_time(found.get("edited_at"), f"{where}.edited_at"),
    )


def _image_json(image: Image) -> dict[str, Any]:
    info = image.info
    return {
        "id": info.id,
        "content_type": info.content_type,
        "data": _b64(image.data),
        "created_at": _moment(info.created_at),
        "uploaded_by": info.uploaded_by,
    }


def _image(value: object, where: str) -> Image:
    found = _object(value, where)
    data = _bytes(found.get("data"), f"{where}.data")
    media = sniff(data)
    if media is None:
        raise InvalidRequest(f"{where}.data: not a PNG, JPEG, GIF or WebP image")
    info = ImageInfo(
        _id(found.get("id"), f"{where}.id"),
        "",
        media,
        len(data),
        _time(found.get("created_at"), f"{where}.created_at"),
        _text(found.get("uploaded_by"), f"{where}.uploaded_by", 256),
    )
    return Image(info, data)
