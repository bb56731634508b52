"""Document operations behind the REST API: read committed state, edit, delete, copy."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pycrdt import Doc

from collab.content import crdt
from collab.content.export import RICH, TEXT, content_kind, doc_from_update
from collab.content.images import rehome_images
from collab.content.textops import InsertText, TextOp, replace_with, text_edit, utf8_size
from collab.documents.titles import NewTitle, create_titled
from collab.errors import (
    RoomDeleted,
    RoomExists,
    RoomNotFound,
    RoomTrashed,
    StoreUnavailable,
    WrongDocumentKind,
)
from collab.protocol.yupdate import DEFAULT_MAX_DEPTH
from collab.rooms.manager import RoomManager
from collab.rooms.quarantine import load_room
from collab.rooms.room import Room
from collab.store.base import NewUpdate, RoomHead, RoomInfo, Store
from collab.store.comments import ThreadStatus
from collab.types import Origin

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A committed state of a room: its full update and state vector."""

    update: bytes
    state_vector: bytes

    def doc(self) -> Doc[Any]:
        """The state as a fresh Doc."""
        return doc_from_update(self.update)


class Documents:
    """Rooms as documents: what the REST API and the CLI need, over the live rooms and the store."""

    def __init__(self, store: Store, rooms: RoomManager, *, commit_wait: float = 10.0) -> None:
        self.store = store
        self.rooms = rooms
        # How long a request waits for the database before answering 503 (it may be down).
        self.commit_wait = commit_wait
        # Called with the room's name after a delete removed it (webhooks); must not block.
        self.deleted_observers: list[Callable[[str], None]] = []

    def clients(self, room: str) -> int:
        """Connected clients of a room (0 when it is not loaded)."""
        live = self.rooms.rooms.get(room)
        return len(live.peers) if live else 0

    async def info(self, room: str) -> RoomInfo:
        """Stored metadata of an existing room."""
        found = await self.store.room_info(room)
        if found is None:
            if await self.store.trash.find(room) is not None:
                raise RoomTrashed(f"room {room!r} is in the trash")
            raise RoomNotFound(f"room {room!r} does not exist")
        return found

    async def snapshot(self, room: str) -> Snapshot:
        """The committed state: from the live room if loaded, else from storage (not loading it)."""
        live = self.rooms.rooms.get(room)
        if live is not None:
            # Read first, then wait for what was read to commit: waiting first would let
            # updates applied meanwhile (not yet committed) into the snapshot.
            snapshot = Snapshot(live.doc.get_update(), live.doc.get_state())
            await self._bounded(live.wait_flushed(), "the document's latest changes are not saved")
            return snapshot
        doc = await stored_doc(self.store, room)
        return Snapshot(doc.get_update(), doc.get_state())

    async def current(self, room: str) -> Doc[Any]:
        """A copy of the document as it stands: the live room's (with edits not committed
        yet) when loaded, else the stored one (not loading it). RoomNotFound if none."""
        await self.info(room)
        live = self.rooms.rooms.get(room)
        if live is not None:
            return doc_from_update(live.doc.get_update())
        return await stored_doc(self.store, room)

    async def apply_update(self, room: str, update: bytes, origin: Origin) -> bytes:
        """Validate an update on a scratch Doc, then apply it live as if a peer had sent it (the
        live room checks its nesting against the document)."""
        parsed = crdt.validate_update(update)
        return await self._change(
            room, lambda live: live.receive_update(update, origin, parsed=parsed)
        )

    async def edit_text(self, room: str, ops: Sequence[TextOp], origin: Origin) -> bytes:
        """Apply text operations to `content` as one server-side edit; return the state vector."""
        adds = sum(utf8_size(op.text) for op in ops if isinstance(op, InsertText))
        await self._refuse_rich(room)
        return await self._change(
            room, lambda live: live.edit(text_edit(ops), origin, adds_bytes=adds)
        )

    async def replace_text(self, room: str, text: str, origin: Origin) -> bytes:
        """Make `content` equal `text` with the smallest edit, so cursors keep their place. The
        diff is taken inside the edit, against the text as it is at that moment."""
        adds = utf8_size(text)
        await self._refuse_rich(room)
        return await self._change(
            room, lambda live: live.edit(replace_with(text), origin, adds_bytes=adds)
        )

    async def apply_edit(
        self, room: str, change: Callable[[Doc[Any]], None], origin: Origin, *, adds_bytes: int
    ) -> bytes:
        """Apply `change` to the live document (loading it) as one server-side edit, committed
        before this returns; the new state vector. `change` runs on the document as it is at
        that moment, and may refuse (a CollabError) before changing anything."""
        return await self._change(
            room, lambda live: live.edit(change, origin, adds_bytes=adds_bytes)
        )

    async def edit_rich(
        self, room: str, change: Callable[[Doc[Any]], None], origin: Origin, adds_bytes: int
    ) -> bytes:
        """Apply a server-side edit of a rich-text document (content/richedit.py) and wait for
        its commit; WrongDocumentKind (409) for a plain-text one, even while it is empty."""
        live = self.rooms.rooms.get(room)
        found = content_kind(live.doc) if live is not None else None
        if found == TEXT or (found is None and await self.kind(room) != RICH):
            raise WrongDocumentKind(
                "this document is plain text: edit it with PATCH .../text, not rich content"
            )
        return await self._change(
            room, lambda live: live.edit(change, origin, adds_bytes=adds_bytes)
        )

    async def _refuse_rich(self, room: str) -> None:
        """A rich-text room refuses plain-text edits even while it is empty: a string written
        into its `content` would make that root a text, which no rich editor can open
        (textops.plain_content refuses one that already holds rich text)."""
        info = await self.info(room)  # read only: kind() may record what it finds
        live = self.rooms.rooms.get(room)
        found = content_kind(live.doc) if live is not None else None
        if (found or info.kind) == RICH:
            raise WrongDocumentKind(
                "this document is rich text: plain-text edits would break its editors; change "
                "it with a Yjs update (POST .../updates) instead"
            )

    async def _change(self, room: str, change: Callable[[Room], Awaitable[int]]) -> bytes:
        """Run `change` on the live room (loading it), wait for its commit, return the new
        state vector."""
        await self.info(room)
        live = await self.rooms.acquire(room)
        try:
            seq = await self._bounded(change(live), "the edit could not be queued")
            await self._bounded(
                live.wait_committed(seq),
                "the edit is applied and will be saved when the database recovers; do not resend",
            )
            live.ensure_open()  # closed meanwhile: deleted, or a write of it was refused
            return live.doc.get_state()
        finally:
            self.rooms.release(live)

    async def _bounded(self, step: Awaitable[T], what: str) -> T:
        """Wait for a step that waits on the database, at most `commit_wait` seconds: while it
        is down or full, writes pause (nothing is lost), and the request says so (503)."""
        try:
            async with asyncio.timeout(self.commit_wait):
                return await step
        except TimeoutError:
            raise StoreUnavailable(f"saving is delayed: {what}; retry later") from None

    async def create(self, room: str, kind: str | None = None) -> bool:
        """Create an empty room of `kind` ("text" or "rich"); False if it existed (an existing
        room keeps its kind, whatever is asked: two people creating one document at once both
        get the first one's)."""
        return await self.store.create_room(room, kind)

    async def kind(self, room: str) -> str:
        """The room's document kind, "text" or "rich": what its content holds (a room holding an
        XmlFragment is rich whoever created it), else the kind chosen at creation, else "text".
        A room nobody chose a kind for is read once from the database and its kind recorded."""
        info = await self.info(room)
        live = self.rooms.rooms.get(room)
        if live is not None:
            found = content_kind(live.doc)
        elif info.kind is None:
            found = content_kind(await stored_doc(self.store, room)) or TEXT
        else:
            return info.kind
        if found is not None and found != info.kind:
            await self.store.set_kind(room, found)
        return found or info.kind or TEXT

    def listed_kind(self, info: RoomInfo) -> str:
        """The kind of a room in a listing: what a loaded room holds, else what is recorded."""
        live = self.rooms.rooms.get(info.name)
        found = content_kind(live.doc) if live is not None else None
        return found or info.kind or TEXT

    async def delete(self, room: str) -> bool:
        """Delete a room: close its clients (4410), then remove everything stored for it."""
        return await self._remove(room, self.store.delete_room)

    async def trash(self, room: str, by: str | None) -> bool:
        """Move a room to the trash: close its clients (4410) on every process as a delete
        does, keeping everything stored for it until it is restored or purged (store/trash.py)."""
        return await self._remove(room, lambda name: self.store.trash.move(name, by))

    async def _remove(self, room: str, remove: Callable[[str], Awaitable[RoomHead | None]]) -> bool:
        """Close the live room, commit what it holds, then `remove` it from the store and tell
        the other processes (by its tombstone) and the observers."""
        async with self.rooms.deleting(room) as live:
            if live is not None:
                live.close(RoomDeleted(f"room {room!r} was deleted"))
                await live.wait_flushed()
                self.rooms.forget(live)
            tombstone = await remove(room)
            if tombstone is not None and self.rooms.cluster is not None:
                self.rooms.cluster.deleted(room, tombstone)
            deleted = tombstone is not None or live is not None
            if deleted:
                for observer in self.deleted_observers:
                    observer(room)
            return deleted

    async def copy(
        self,
        source: str,
        target: str | NewTitle,
        title: str | None = None,
        *,
        comments: bool = False,
        resolved: bool = False,
    ) -> RoomInfo:
        """Copy the committed state of `source` into a new room: `target`, or one named after
        a title (documents/titles.py) when `target` is a NewTitle. With `comments`, its open
        comment threads go along (and its resolved ones too with `resolved`), under new ids, as
        they were: their anchors name items of the state copied, so they stand where they did. Its
        images always go along, under the same ids, and so does who wrote what (store/blame.py)."""
        # Threads first: the state read after holds every item their anchors name.
        status: ThreadStatus = "all" if resolved else "open"
        threads = await self.store.comments.list_threads(source, status) if comments else []
        snapshot = await self.snapshot(source)
        kind = await self.kind(source)
        if isinstance(target, NewTitle):
            target = await create_titled(self.store, target.title, kind, target.may_create)
        elif not await self.store.create_room(target, kind, title):
            raise RoomExists(f"room {target!r} already exists")
        # Who wrote what first, so the copy's own row (by "copy") is never taken for it.
        await self.store.blame.carry(source, target)
        await self.store.append([NewUpdate(target, snapshot.update, "copy")])
        if threads:
            await self.store.comments.carry_threads(target, threads, keep_ids=False)
        await self._copy_images(source, target, snapshot.update)
        return await self.info(target)

    async def _copy_images(self, source: str, target: str, update: bytes) -> None:
        """Every image of `source` into `target` under the same ids, and the copy's image nodes
        pointed at `target`'s (content/images.py), so its exports link to what it serves."""
        images = self.store.images
        found = [await images.get(source, info.id) for info in await images.list_for_room(source)]
        carried = [image for image in found if image is not None]
        await images.carry(target, carried)
        await rehome(self.store, target, update, {image.info.id for image in carried})


async def rehome(
    store: Store, room: str, update: bytes, ids: Collection[str], author: str = "copy"
) -> None:
    """Append the edit that points the image nodes of `update` (what `room` was just given)
    naming one of `ids` at `room`'s own images; nothing when none names another room."""
    if not ids:
        return
    doc = doc_from_update(update)
    before = doc.get_state()
    if rehome_images(doc, room, ids):
        await store.append([NewUpdate(room, doc.get_update(before), author)])


async def stored_doc(store: Store, room: str, max_depth: int = DEFAULT_MAX_DEPTH) -> Doc[Any]:
    """The committed document of `room` as the database holds it (the room is not loaded);
    RoomTrashed while it is in the trash, DocumentQuarantined if its data is refused."""
    if await store.room_info(room) is None:
        if await store.trash.find(room) is not None:
            raise RoomTrashed(f"room {room!r} is in the trash")
        raise RoomNotFound(f"room {room!r} does not exist")
    return (await load_room(store, room, max_depth)).doc
