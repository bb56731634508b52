"""What a room tells its opted-in clients (EVENT, docs/protocol.md "Events"), and the JSON
shape of a version that the REST API shares."""

from __future__ import annotations

from typing import Any

from collab.rooms.writer import PendingWrite
from collab.store.base import VersionInfo

Event = dict[str, Any]


def version_json(info: VersionInfo) -> dict[str, Any]:
    """The JSON shape of a version (REST responses and events alike)."""
    return info.to_json()


def version_event(info: VersionInfo, *, created: bool) -> Event:
    """A version was recorded (`created`) or an existing one was named."""
    return {"type": "version", "created": created, "version": version_json(info)}


def title_event(title: str | None, author: str | None) -> Event:
    """The document was renamed (None: its title was taken away) by `author`."""
    return {"type": "title", "title": title, "author": author}


def version_events(writes: list[PendingWrite]) -> list[Event]:
    """A version event per version these committed writes recorded, or named (a named save of
    a state an automatic version holds names that version)."""
    events = []
    for write in writes:
        result = write.version_result
        if write.version is None or result is None or not result.done():
            continue
        if result.cancelled() or result.exception() is not None:
            continue
        recorded = result.result()
        if recorded.created or write.version.kind == "named":
            events.append(version_event(recorded.info, created=recorded.created))
    return events


def restore_event(
    source: VersionInfo,
    *,
    author: str | None,
    changed: bool,
    safety: VersionInfo,
    version: VersionInfo | None,
) -> Event:
    """`author` restored `source`: the document now holds its content. `version` is what the
    restore recorded (None when it recorded nothing new), `safety` the state saved before."""
    return {
        "type": "restore",
        "author": author,
        "changed": changed,
        "source": version_json(source),
        "version": version_json(version) if version is not None else None,
        "safety": version_json(safety),
    }


def comment_event(action: str, thread: str, comment: str | None, author: str | None) -> Event:
    """A comment thread changed (`action`: created, edited, deleted, resolved, reopened) by
    `author`; `comment` names the comment concerned (None: the thread itself). Clients fetch
    the thread (GET /api/rooms/{room}/threads/{thread}) to show it."""
    return {
        "type": "comment",
        "action": action,
        "thread": thread,
        "comment": comment,
        "author": author,
    }


def suggestion_event(kind: str, thread: str, author: str | None) -> Event:
    """A suggestion changed (`kind`: suggestion.created, .changed, .withdrawn, .accepted,
    .rejected) by `author`. Clients fetch the room's suggestions (GET
    /api/rooms/{room}/suggestions) or the thread to show it; a withdrawn one is gone."""
    return {"type": kind, "thread": thread, "comment": None, "author": author}
