"""Version history over the store and the live rooms: list, fetch, diff, save, restore."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Doc

from collab.content.diff import text_diff
from collab.content.export import diff_text, doc_from_update
from collab.content.restore import Edit, plan_restore
from collab.documents.comment_anchors import Detached, detached_in_version, reattach
from collab.documents.service import Documents
from collab.errors import RoomNotFound
from collab.protocol.yupdate import DEFAULT_MAX_DEPTH
from collab.rooms.events import restore_event
from collab.rooms.quarantine import check_version
from collab.store.base import VersionInfo, VersionResult
from collab.types import LocalOrigin


class VersionNotFound(RoomNotFound):
    """No such version in this room."""


@dataclass(frozen=True, slots=True)
class Restored:
    """The outcome of a restore."""

    safety: VersionInfo
    restored: VersionInfo
    changed: bool
    state_vector: bytes


class Versions:
    """The history of rooms; restores are forward edits of the live document."""

    def __init__(self, documents: Documents) -> None:
        self.documents = documents
        self.store = documents.store
        self.rooms = documents.rooms

    async def list(self, room: str, limit: int, before: int | None) -> list[VersionInfo]:
        """Newest first."""
        await self.documents.info(room)
        return await self.store.list_versions(room, limit, before=before)

    async def get(self, room: str, version_id: int) -> tuple[VersionInfo, bytes]:
        """A version and its state."""
        await self.documents.info(room)
        found = await self.store.get_version(room, version_id)
        if found is None:
            raise VersionNotFound(f"room {room!r} has no version {version_id}")
        await check_version(room, version_id, found[1], DEFAULT_MAX_DEPTH)
        return found

    async def save(self, room: str, label: str, author: str | None) -> VersionResult:
        """Record a named version of the current (committed) state."""
        await self.documents.info(room)
        live = await self.rooms.acquire(room)
        try:
            await self.rooms.catch_up(live)  # a version holds what other processes committed
            return await live.record_version("named", label=label, author=author)
        finally:
            self.rooms.release(live)

    async def diff(self, room: str, version_id: int, against: int | None) -> dict[str, Any]:
        """How the text changed from version `version_id` to `against` (default: now); a rich
        document's as Markdown (structure and formatting included)."""
        _, state = await self.get(room, version_id)
        old = diff_text(doc_from_update(state))
        if against is None:
            new = diff_text((await self.documents.snapshot(room)).doc())
        else:
            new = diff_text(doc_from_update((await self.get(room, against))[1]))
        return {"from": version_id, "to": against, **text_diff(old, new)}

    async def restore(self, room: str, version_id: int, author: str | None) -> Restored:
        """Save the current state and, in the same step, edit the live document forward to the
        version's content; then record the result as a restore version and tell the room's
        clients, after the restore's update (docs/protocol.md, Events). A comment thread the
        restore brings back (detached before, its passage in the version) is attached again."""
        source, state = await self.get(room, version_id)
        threads = await self.store.comments.list_threads(room, "all")
        detached: list[Detached] = []

        def plan(doc: Doc[Any]) -> Edit | None:
            change = plan_restore(doc, state)
            if change is not None and threads:  # where they stand just before the edit
                detached.extend(detached_in_version(doc, doc_from_update(state), threads))
            return change

        live = await self.rooms.acquire(room)
        try:
            await self.rooms.catch_up(live)  # the safety copy holds what others committed
            origin = LocalOrigin("restore", author)
            safety, seq = await live.checkpoint_then_edit(
                plan, f"Before restoring version {version_id}", origin
            )
            if seq is not None:
                await live.wait_committed(seq)  # the items the new anchors name are stored
            for again in reattach(live.doc, detached):
                passage = again.passage
                await self.store.comments.update_anchor(
                    room, again.thread, passage.start, passage.end
                )
            kind = "restore" if seq is not None else "auto"
            restored = await live.record_version(
                kind, label=f"Restored version {version_id}", author=author
            )
            changed = seq is not None
            recorded = restored.info if restored.created else None
            live.announce(
                restore_event(
                    source, author=author, changed=changed, safety=safety.info, version=recorded
                )
            )
            return Restored(safety.info, restored.info, changed, live.doc.get_state())
        finally:
            self.rooms.release(live)
