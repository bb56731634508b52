"""Where the host's hooks meet rooms: initial content, the awareness filter, and after-commit
notifications (changes and versions) from the writer's observers."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pycrdt import Doc

from collab.content import crdt
from collab.errors import CollabError
from collab.hooks import AwarenessState, Change, CreateDocument, HookRunner, VersionRecorded
from collab.protocol.awareness import AwarenessEntry
from collab.protocol.messages import is_empty_update
from collab.rooms.peer import Peer
from collab.rooms.room import Room
from collab.store.base import Appended, NewUpdate, NewVersion, RoomLog
from collab.types import LocalOrigin

log = logging.getLogger(__name__)

INITIAL = LocalOrigin("initial content")


async def create_initial_content(room: Room, runner: HookRunner, store: RoomLog, seq: int) -> None:
    """Fill a room that has nothing stored with the host's content, committed as a normal
    update. The hook's run is the widest window for another process to create the room too,
    so storage is asked again after it whether the log moved past `seq`, where it stood at the
    load (two processes loading a new room at the same moment can still both add content:
    README "Hooks")."""
    doc: Doc[Any] = Doc()
    try:
        given = await runner.call(
            "on_create_document", runner.hooks.on_create_document(CreateDocument(room.name, doc))
        )
        update = given if given is not None else doc.get_update()
        if is_empty_update(update):
            return
        head = (await store.room_heads([room.name])).get(room.name)
        if head is not None and head.seq > seq:
            log.info("room %s: created elsewhere meanwhile; no initial content", room.name)
            return
        await room.edit(lambda live: crdt.apply_update(live, update), INITIAL)
    except CollabError as error:
        log.error("room %s: no initial content: %s", room.name, error.detail)
    except Exception:
        log.exception("room %s: no initial content", room.name)


def awareness_filter(runner: HookRunner, room: str) -> Any:
    """The room's filter of announced awareness states (None unless the host overrides it)."""
    if not runner.overrides("on_awareness"):
        return None

    async def apply(peer: Peer, entries: list[AwarenessEntry]) -> list[AwarenessEntry]:
        kept = []
        for entry in entries:
            if entry.removed:
                kept.append(entry)
                continue
            origin = peer.origin
            event = AwarenessState(
                room,
                origin.connection_id,
                origin.principal,
                entry.client_id,
                entry.clock,
                json.loads(entry.state_json),
            )
            try:
                state = await runner.call("on_awareness", runner.hooks.on_awareness(event))
            except CollabError:
                continue  # a failed filter drops the state: it is not known to be safe to share
            if state is None:
                continue
            same = state == event.state
            kept.append(entry if same else replace(entry, state_json=json.dumps(state)))
        return kept

    return apply


class CommitHooks:
    """A writer observer: calls on_change once per room per committed transaction, and
    on_version per version, in background tasks (the writer never waits for the host)."""

    def __init__(self, runner: HookRunner, rooms: Mapping[str, Room]) -> None:
        self._runner = runner
        self._rooms = rooms
        self._changes = runner.overrides("on_change")
        self._versions = runner.overrides("on_version")

    def __call__(self, rows: list[NewUpdate | NewVersion], appended: Appended) -> None:
        """Observe one committed transaction."""
        if self._changes:
            self._changed(rows, appended)
        if self._versions:
            versions = [row for row in rows if isinstance(row, NewVersion)]
            for row, result in zip(versions, appended.versions, strict=False):
                event = VersionRecorded(row.room, result.info, result.created)
                self._runner.spawn("on_version", self._runner.hooks.on_version(event))

    def _changed(self, rows: list[NewUpdate | NewVersion], appended: Appended) -> None:
        authors: dict[str, set[str]] = {}
        for row in rows:
            if isinstance(row, NewUpdate):
                authors.setdefault(row.room, set())
                if row.author is not None:
                    authors[row.room].add(row.author)
        for name, who in authors.items():
            first, last = appended.seqs.get(name, (0, 0))
            live = self._rooms.get(name)
            vector = live.doc.get_state() if live is not None else None
            event = Change(name, tuple(sorted(who)), vector, first, last)
            self._runner.spawn("on_change", self._runner.hooks.on_change(event))
