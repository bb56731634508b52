"""REST endpoints of the trash: list the deleted documents the caller may restore, restore
one as it was, delete one forever.

Who may: a server admin (every document), a document's owner (their own, as in shared office
suites), and a token holding the admin role on the name (development mode: everyone). The
host's on_authorize hook is not asked: it answers about documents that exist, and a trashed one
does not. The trash lists only what the caller may manage; restoring or erasing anything else
is refused (403).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collab.api.access import identify
from collab.api.catalog import room_reply
from collab.api.http import room_param, state_of
from collab.api.models.rooms import Room, RoomOwner
from collab.api.models.trash import TrashedDocument, TrashPage
from collab.api.operations import Operation, Reply, reply, resource
from collab.auth import Identity, Role
from collab.documents.trash import Trash
from collab.errors import Forbidden, RoomNotFound
from collab.state import CollabState
from collab.store.trash import TrashedRoom


def may_manage(identity: Identity, found: TrashedRoom) -> bool:
    """Whether `identity` may see, restore and delete forever this trashed document."""
    role = identity.role_for(found.name)
    if role is not None and role >= Role.ADMIN:
        return True
    return identity.person is not None and identity.person == found.owner_id


LIST_TRASH = Operation(
    "listTrash",
    "List the deleted documents the caller may restore, most recently deleted first",
    {200: Reply("The trash as the caller sees it", TrashPage)},
    description="A server admin sees every one; a person, those they own; a token, those it "
    "holds the admin role on. Each is erased for good at `purge_at` (COLLAB_TRASH_DAYS after "
    "its delete) unless restored.",
)


@LIST_TRASH.handles
async def list_trash(request: Request) -> Response:
    """GET /api/trash."""
    state = state_of(request)
    identity = await identify(request)
    mine = identity.person if identity.person is not None and not identity.server_admin else None
    found = await state.store.trash.list(mine)
    shown = [room for room in found if may_manage(identity, room)]
    owners = await _owner_names(state, shown)
    items = [_document(state.trash, room, owners) for room in shown]
    return reply(TrashPage(items=items, days=state.trash.days))


RESTORE = Operation(
    "restoreFromTrash",
    "Restore a deleted document as it was: content, history, comments, sharing and links",
    {200: Reply("Restored", Room)},
    description="Needs the admin role on it, or to own it.",
    role=Role.ADMIN,
    in_trash=True,
)


@RESTORE.handles
async def restore_from_trash(request: Request) -> Response:
    """POST /api/trash/{room}/restore."""
    state, room = state_of(request), room_param(request)
    await _managed(request, state, room)
    await state.trash.restore(room)
    return await room_reply(request, room, 200)


DELETE_FOREVER = Operation(
    "deleteForever",
    "Erase a deleted document now: its content, history, comments, sharing and links",
    {204: Reply("Erased; its name is free again")},
    description="Needs the admin role on it, or to own it. This cannot be undone.",
    role=Role.ADMIN,
    in_trash=True,
)


@DELETE_FOREVER.handles
async def delete_forever(request: Request) -> Response:
    """DELETE /api/trash/{room}."""
    state, room = state_of(request), room_param(request)
    await _managed(request, state, room)
    await state.trash.delete_forever(room)
    return Response(status_code=204)


async def _managed(request: Request, state: CollabState, room: str) -> TrashedRoom:
    """The trashed room, if the caller may manage it: Forbidden if they hold neither the admin
    role on it nor own it, RoomNotFound if it is not in the trash."""
    identity = await identify(request)
    found = await state.store.trash.find(room)
    if found is None or not may_manage(identity, found):
        role = identity.role_for(room)
        if role is None or role < Role.ADMIN:
            raise Forbidden(f"this needs the admin role on room {room!r}, or to own it")
        raise RoomNotFound(f"room {room!r} is not in the trash")
    return found


async def _owner_names(state: CollabState, rooms: list[TrashedRoom]) -> dict[str, str]:
    ids = {room.owner_id for room in rooms if room.owner_id is not None}
    if not ids:
        return {}
    found = await state.store.people.find(ids)
    return {pid: person.name for pid, person in found.items()}


def _document(trash: Trash, room: TrashedRoom, owners: dict[str, str]) -> TrashedDocument:
    owner = None
    if room.owner_id is not None and room.owner_id in owners:
        owner = RoomOwner(id=room.owner_id, name=owners[room.owner_id])
    return TrashedDocument(
        name=room.name,
        title=room.title,
        kind="rich" if room.kind == "rich" else "text",
        deleted_at=room.trashed_at,
        deleted_by=room.trashed_by,
        purge_at=trash.purge_at(room.trashed_at),
        owner=owner,
        size_bytes=room.size_bytes,
    )


routes = [
    resource("/api/trash", get=list_trash),
    resource("/api/trash/{room}", delete=delete_forever),
    resource("/api/trash/{room}/restore", post=restore_from_trash),
]
