"""The events a webhook delivers, made from what a room committed, and how two document.changed
events of one room merge into one."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collab.store.base import RoomHead, VersionInfo
from collab.store.comments import CommentChange, Suggestion

CHANGED = "document.changed"
VERSION = "version.recorded"
DELETED = "room.deleted"
RESTORED = "room.restored"
PURGED = "room.purged"
AGENT_REVERTED = "agent.session.reverted"
AGENT_STARTED = "agent.session.started"
AGENT_ENDED = "agent.session.ended"


def now() -> str:
    """The current time, ISO 8601 in UTC."""
    return datetime.now(UTC).isoformat()


def new_key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Event:
    """One event: its type, room and JSON fields, and the idempotency key (`id`) that every
    delivery of it carries, retries and redeliveries after a restart alike."""

    type: str
    room: str
    fields: dict[str, Any]
    key: str = field(default_factory=new_key)

    def body(self) -> dict[str, Any]:
        """The JSON body POSTed."""
        return {"event": self.type, "id": self.key, "room": self.room, **self.fields}


@dataclass(frozen=True, slots=True)
class Mark:
    """How far a room's committed changes are announced: its log up to `seq`, its deletes up
    to `epoch`, its versions up to `version_id`."""

    seq: int = 0
    epoch: int = 1
    version_id: int = 0


@dataclass(frozen=True, slots=True)
class Committed:
    """What a room committed past its mark: where its log stands now, who wrote the rows past
    the mark (first seen first), and the versions recorded past it (in order)."""

    head: RoomHead
    authors: list[str]
    versions: list[VersionInfo]


def announced(mark: Mark, committed: Committed) -> Mark:
    """The mark once `committed` is announced."""
    ids = [mark.version_id, *(info.id for info in committed.versions)]
    return Mark(committed.head.seq, committed.head.epoch, max(ids))


def room_events(
    room: str, mark: Mark, committed: Committed, state_vector: bytes | None
) -> list[Event]:
    """The events announcing `committed`: the changes, then the versions, then the delete. A
    room deleted and made again since its mark is announced deleted first (its versions from
    before the delete went with it)."""
    head = committed.head
    changes = []
    if head.seq > mark.seq:
        changes.append(changed(room, (mark.seq + 1, head.seq), committed.authors, state_vector))
    changes.extend(version_recorded(info, created=True) for info in committed.versions)
    if head.epoch <= mark.epoch:
        return changes
    if head.deleted:
        return [*changes, room_deleted(room)]
    return [room_deleted(room), *changes]


def changed(
    room: str, seqs: tuple[int, int], authors: list[str], state_vector: bytes | None
) -> Event:
    """document.changed for the log rows `seqs` (first, last)."""
    encoded = base64.urlsafe_b64encode(state_vector).decode().rstrip("=") if state_vector else None
    fields = {
        "authors": list(authors),
        "first_seq": seqs[0],
        "last_seq": seqs[1],
        "state_vector": encoded,
        "at": now(),
    }
    return Event(CHANGED, room, fields)


def merge_changed(older: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    """The fields of one document.changed covering both (one waiting behind a failing
    delivery, and a newer one): authors joined, seq range widened, newest state vector."""
    authors = list(older["authors"])
    authors.extend(a for a in newer["authors"] if a not in authors)
    return {
        **newer,
        "authors": authors,
        "first_seq": min(older["first_seq"], newer["first_seq"]),
        "last_seq": max(older["last_seq"], newer["last_seq"]),
    }


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
    """room.deleted: the room was deleted (moved to the trash, or erased at once)."""
    return Event(DELETED, room, {"at": now()})


def room_restored(room: str) -> Event:
    """room.restored: the room came back from the trash as it was."""
    return Event(RESTORED, room, {"at": now()})


def agent_session_reverted(room: str, session: str, by: str) -> Event:
    """agent.session.reverted: an agent session's edits were undone, by `by` (a display name)."""
    return Event(AGENT_REVERTED, room, {"session": session, "by": by, "at": now()})


def agent_session_started(room: str, session: str, agent: str, via: str) -> Event:
    """agent.session.started: an agent session began in the room (`via`: its first "edit"
    there, or its "presence"); `agent` is its name as edits credit it ("Scribe (for Ada)")."""
    fields = {"session": session, "agent": agent, "via": via, "at": now()}
    return Event(AGENT_STARTED, room, fields)


def agent_session_ended(room: str, session: str, agent: str, reason: str) -> Event:
    """agent.session.ended: the agent's presence in the room was "cleared" (DELETE) or
    "expired" (its ttl ran out: a crashed agent), or the session went "idle" (no edit or
    presence for the agent idle timeout)."""
    fields = {"session": session, "agent": agent, "reason": reason, "at": now()}
    return Event(AGENT_ENDED, room, fields)


def room_purged(room: str) -> Event:
    """room.purged: a room in the trash was erased (deleted forever, or its time was up)."""
    return Event(PURGED, room, {"at": now()})


MENTIONED = "comment.mentioned"
# The suggestion changes webhooks hear of (a suggestion's author changing or withdrawing it
# while it is open is for open editors only).
SUGGESTION_EVENTS = ("suggestion.created", "suggestion.accepted", "suggestion.rejected")


def comment_events(change: CommentChange) -> list[Event]:
    """The events of a change to a room's threads: its comment.* event, then comment.mentioned
    when a comment created mentions people, or an edit mentions someone new."""
    if change.action.startswith("suggestion."):
        return [suggestion_changed(change)] if change.action in SUGGESTION_EVENTS else []
    made = [comment_changed(change)]
    if change.mentioned and change.comment is not None:
        made.append(comment_mentioned(change))
    return made


def comment_mentioned(change: CommentChange) -> Event:
    """comment.mentioned: the comment (created, or edited: `action`) mentions these people
    (for an edit, only those it did not mention before), for the host to notify them."""
    event = comment_changed(change)
    mentioned = [
        {"person_id": m.person_id, "name": m.name, "email": m.email} for m in change.mentioned
    ]
    fields = {**event.fields, "action": change.action, "mentioned": mentioned}
    return Event(MENTIONED, change.room, fields)


def comment_changed(change: CommentChange) -> Event:
    """comment.created, .edited, .deleted, .resolved or .reopened: a comment thread of the room
    changed (`comment`: the comment concerned, with its author and text; null for a thread
    resolved or reopened)."""
    comment = change.comment
    shown = None
    if comment is not None:
        shown = {
            "id": comment.id,
            "author": comment.author.display,
            "author_person_id": comment.author.person,
            "body": comment.body,
            "created_at": comment.created_at.isoformat(),
            "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
        }
    fields: dict[str, Any] = {
        "thread": change.thread,
        "comment": shown,
        "by": change.by.display,
        "by_person_id": change.by.person,
        "at": change.at.isoformat(),
    }
    if change.action == "deleted":
        fields["thread_deleted"] = change.thread_deleted
    return Event(f"comment.{change.action}", change.room, fields)


def _proposed_text(suggestion: Suggestion) -> str:
    """The text a suggestion puts in ("" for a format suggestion, whose text holds its marks)."""
    return "" if suggestion.kind == "format" else suggestion.text


def suggestion_changed(change: CommentChange) -> Event:
    """suggestion.created, .accepted or .rejected: a suggestion of the room was made, or
    decided (`by`: who accepted or rejected it; an accepted one is in the document now,
    credited to `suggested_by`)."""
    suggestion = change.suggestion
    comment = change.comment
    fields: dict[str, Any] = {
        "thread": change.thread,
        "kind": None if suggestion is None else suggestion.kind,
        "text": None if suggestion is None else _proposed_text(suggestion),
        "marks": None if suggestion is None else suggestion.marks,
        "status": None if suggestion is None else suggestion.status,
        "comment": None if comment is None else {"id": comment.id, "body": comment.body},
        "suggested_by": None if change.suggested_by is None else change.suggested_by.display,
        "suggested_by_person_id": None
        if change.suggested_by is None
        else change.suggested_by.person,
        "by": change.by.display,
        "by_person_id": change.by.person,
        "at": change.at.isoformat(),
    }
    return Event(change.action, change.room, fields)
