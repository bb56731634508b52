"""The events a webhook delivers, and how document.changed events of one room coalesce."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collab.store.base import VersionInfo

CHANGED = "document.changed"
VERSION = "version.recorded"
DELETED = "room.deleted"


def now() -> str:
    """The current time, ISO 8601 in UTC."""
    return datetime.now(UTC).isoformat()


@dataclass(slots=True)
class Event:
    """One delivery: its type, its JSON fields, and a unique id kept across retries."""

    type: str
    room: str
    fields: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def body(self) -> dict[str, Any]:
        """The JSON body POSTed."""
        return {"event": self.type, "id": self.id, "room": self.room, **self.fields}


@dataclass(slots=True)
class ChangeWindow:
    """The commits of one room not yet announced: who wrote them, which seq range."""

    first_seq: int
    last_seq: int
    authors: list[str] = field(default_factory=list)

    def add(self, first_seq: int, last_seq: int, authors: list[str]) -> None:
        """Extend the window with another commit."""
        self.first_seq = min(self.first_seq, first_seq)
        self.last_seq = max(self.last_seq, last_seq)
        self.authors.extend(a for a in authors if a not in self.authors)


def changed(room: str, window: ChangeWindow, state_vector: bytes | None) -> Event:
    """document.changed for a window of commits."""
    encoded = base64.urlsafe_b64encode(state_vector).decode().rstrip("=") if state_vector else None
    return Event(
        CHANGED,
        room,
        {
            "authors": list(window.authors),
            "first_seq": window.first_seq,
            "last_seq": window.last_seq,
            "state_vector": encoded,
            "at": now(),
        },
    )


def merge_changed(older: Event, newer: Event) -> Event:
    """One document.changed covering both (queued behind a failing delivery)."""
    authors = list(older.fields["authors"])
    authors.extend(a for a in newer.fields["authors"] if a not in authors)
    fields = {
        **newer.fields,
        "authors": authors,
        "first_seq": min(older.fields["first_seq"], newer.fields["first_seq"]),
        "last_seq": max(older.fields["last_seq"], newer.fields["last_seq"]),
    }
    return Event(CHANGED, newer.room, fields)


def version_recorded(info: VersionInfo, *, created: bool) -> Event:
    """version.recorded: a version was recorded (or an existing one named)."""
    return Event(
        VERSION,
        info.room,
        {
            "version_id": info.id,
            "kind": info.kind,
            "label": info.label,
            "author": info.author,
            "authors": info.authors,
            "created": created,
            "created_at": info.created_at.isoformat(),
            "at": now(),
        },
    )


def room_deleted(room: str) -> Event:
    """room.deleted: the room and everything stored for it was deleted."""
    return Event(DELETED, room, {"at": now()})
