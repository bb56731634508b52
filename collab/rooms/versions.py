"""Version history over the store and the live rooms: list, fetch, diff, save, restore."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pycrdt import Array, Doc, Map, Text

from collab.errors import RoomNotFound
from collab.rooms.diff import text_diff
from collab.rooms.documents import Documents, apply_text_ops, diff_ops
from collab.rooms.export import CONTENT, content_text, doc_from_update, doc_to_json
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
        return found

    async def save(self, room: str, label: str, author: str | None) -> VersionResult:
        """Record a named version of the current (committed) state."""
        await self.documents.info(room)
        live = await self.rooms.acquire(room)
        try:
            return await live.record_version("named", label=label, author=author)
        finally:
            self.rooms.release(live)

    async def diff(self, room: str, version_id: int, against: int | None) -> dict[str, Any]:
        """How the text changed from version `version_id` to `against` (default: now)."""
        _, state = await self.get(room, version_id)
        old = content_text(doc_from_update(state))
        if against is None:
            new = content_text((await self.documents.snapshot(room)).doc())
        else:
            new = content_text(doc_from_update((await self.get(room, against))[1]))
        return {"from": version_id, "to": against, **text_diff(old, new)}

    async def restore(self, room: str, version_id: int, author: str | None) -> Restored:
        """Save the current state and, in the same step, edit the live document forward to the
        version's content; then record the result as a restore version."""
        _, state = await self.get(room, version_id)
        target = doc_to_json(state)
        live = await self.rooms.acquire(room)
        try:
            origin = LocalOrigin("restore", author)
            safety, seq = await live.checkpoint_then_edit(
                lambda doc: _plan_restore(doc, target),
                f"Before restoring version {version_id}",
                origin,
            )
            if seq is not None:
                await live.wait_committed(seq)
            kind = "restore" if seq is not None else "auto"
            restored = await live.record_version(
                kind, label=f"Restored version {version_id}", author=author
            )
            return Restored(safety.info, restored.info, seq is not None, live.doc.get_state())
        finally:
            self.rooms.release(live)


def _plan_restore(doc: Doc[Any], target: dict[str, Any]) -> Callable[[Doc[Any]], None] | None:
    current = doc_to_json(doc.get_update())
    if current == target:
        return None
    return lambda live: _restore_into(live, current, target)


def _restore_into(doc: Doc[Any], current: dict[str, Any], target: dict[str, Any]) -> None:
    """Make every root type equal its value in `target` with forward edits."""
    for name in sorted(set(current) | set(target)):
        value, before = target.get(name), current.get(name)
        if value == before:
            continue
        if name == CONTENT or isinstance(value, str) or isinstance(before, str):
            text = doc.get(name, type=Text)
            apply_text_ops(text, diff_ops(str(text), value if isinstance(value, str) else ""))
        elif isinstance(value, dict) or isinstance(before, dict):
            _restore_map(doc.get(name, type=Map), value if isinstance(value, dict) else {})
        elif isinstance(value, list) or isinstance(before, list):
            array = doc.get(name, type=Array)
            array.clear()
            array.extend(value if isinstance(value, list) else [])


def _restore_map(target_map: Map[Any], value: dict[str, Any]) -> None:
    for key in list(target_map.keys()):
        if key not in value:
            del target_map[key]
    for key, item in value.items():
        if target_map.get(key) != item:
            target_map[key] = item
