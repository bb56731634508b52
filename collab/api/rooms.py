"""REST endpoints for documents: list, metadata, create, delete, copy and edits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from collab.api.access import authorize, identify, request_info
from collab.api.catalog import create_titled_room, import_file, may_create, rename_room, room_reply
from collab.api.http import b64url, from_b64url, state_of
from collab.api.models.rooms import (
    CopyRoom,
    EditOps,
    NewRoom,
    Room,
    RoomListParams,
    RoomPage,
    StateVector,
    TextEdit,
)
from collab.api.operations import (
    YJS,
    BinaryBody,
    Header,
    JsonBody,
    Operation,
    Query,
    Reply,
    RoomCall,
    reply,
    resource,
)
from collab.api.ownership import owner_names, person_roles, take_ownership, with_owner
from collab.api.snapshots import get_snapshot
from collab.auth import DEVELOPMENT, Identity, Role
from collab.content.textops import DeleteText, InsertText, TextOp
from collab.documents.titles import NewTitle, present_names
from collab.errors import InvalidRequest
from collab.state import CollabState
from collab.store.base import RoomCursor, RoomInfo, RoomSort
from collab.types import LocalOrigin

AUTHOR = Header("X-Collab-Author", "development mode only: names the author of the edit")
_STATE_VECTOR = Reply("Applied and committed; the room's new state vector", StateVector)

_LIST_QUERY = Query(RoomListParams)
LIST_ROOMS = Operation(
    "listRooms",
    "List rooms, most recently edited first",
    {200: Reply("A page of the rooms the token grants a role on", RoomPage)},
    query=_LIST_QUERY,
)


@LIST_ROOMS.handles
async def list_rooms(request: Request) -> Response:
    """GET /api/rooms: newest edit first, paginated with an opaque cursor, filtered by prefix."""
    state = state_of(request)
    identity = await identify(request)
    query = _LIST_QUERY.parse(request)
    after = _decode_cursor(query.cursor, query.sort)
    listing = _Listing(query.prefix, query.q, query.sort, query.scope)
    rooms, roles = await _visible_rooms(request, identity, query.limit + 1, after, listing)
    page, more = rooms[: query.limit], len(rooms) > query.limit
    items = await _listed(state, page, roles)
    cursor = _encode_cursor(page[-1], query.sort) if more else None
    return reply(RoomPage(items=items, next_cursor=cursor))


async def _listed(
    state: CollabState, page: list[RoomInfo], roles: dict[str, Role | None]
) -> list[Room]:
    """The rooms of a page with their kind, live people, recent editors, owner and the
    caller's role."""
    documents = state.documents
    editors = await state.store.editors([info.name for info in page])
    owners = await owner_names(state, page)
    return [
        with_owner(
            Room.of(
                info,
                documents.clients(info.name),
                documents.listed_kind(info),
                present_names(documents.rooms.rooms.get(info.name)),
                editors.get(info.name),
            ),
            info,
            owners,
            roles.get(info.name),
        )
        for info in page
    ]


GET_ROOM = Operation(
    "getRoom", "A room's metadata", {200: Reply("The room", Room)}, role=Role.VIEWER
)


@GET_ROOM.on_room
async def get_room(call: RoomCall[None, None]) -> Response:
    """GET /api/rooms/{room}."""
    return await room_reply(call.request, call.room, 200)


_NEW_ROOM = JsonBody(NewRoom, required=False)
PUT_ROOM = Operation(
    "createRoom",
    "Create a room (idempotent), optionally of a kind",
    {
        201: Reply("Created", Room),
        200: Reply("Already existed: returned as it is, its kind unchanged", Room),
    },
    description="No body (or an empty one) creates a text document.",
    role=Role.EDITOR,
    body=_NEW_ROOM,
)


@PUT_ROOM.on_room
async def put_room(call: RoomCall[None, NewRoom | None]) -> Response:
    """PUT /api/rooms/{room} [{"kind": "text"|"rich"}]: create if absent (idempotent); 201 when
    created, else 200 with the room as it is (its kind unchanged)."""
    room, body = call.room, call.body
    created = await call.state.documents.create(room, body.kind if body else None)
    if created:
        await take_ownership(call.state, call.identity, room)
    return await room_reply(call.request, room, 201 if created else 200)


DELETE_ROOM = Operation(
    "deleteRoom",
    "Delete a room: move it to the trash; its clients are closed with 4410",
    {204: Reply("Deleted (in the trash, or erased when COLLAB_TRASH_DAYS is 0)")},
    description="The document disappears from listings and cannot be opened (410); its name "
    "stays taken. Its owner or an admin may restore it (POST /api/trash/{room}/restore) until "
    "it is erased COLLAB_TRASH_DAYS days later, or at once with DELETE /api/trash/{room}. "
    "With COLLAB_TRASH_DAYS=0 the room and all it stores are erased at once.",
    role=Role.ADMIN,
)


@DELETE_ROOM.on_room
async def delete_room(call: RoomCall[None, None]) -> Response:
    """DELETE /api/rooms/{room}: to the trash (or erased); connected clients get 4410."""
    await call.state.documents.info(call.room)
    by = None if call.identity is DEVELOPMENT else call.identity.display
    await call.state.trash.delete(call.room, by)
    return Response(status_code=204)


_COPY = JsonBody(CopyRoom)
COPY_ROOM = Operation(
    "copyRoom",
    "Copy the committed state into a new room",
    {201: Reply("The new room", Room)},
    description="Needs the viewer role on the room and the editor role on the new one. "
    "Without `to`, the copy is named after its title as POST /api/rooms names a document, and "
    'titled "Copy of" the original unless `title` says otherwise. With `comments: true` its '
    "open comment threads are copied too (`resolved_comments: true`: the resolved ones as "
    "well), under new ids; by default none are.",
    role=Role.VIEWER,
    body=_COPY,
    problems={409: "The target room exists"},
)


@COPY_ROOM.on_room
async def copy_room(call: RoomCall[None, CopyRoom]) -> Response:
    """POST /api/rooms/{room}/copy {"to": NAME} or {"title": ...} [, "comments": true]: a new
    room with the committed state (and the comment threads when asked)."""
    room, body = call.room, call.body
    documents = call.state.documents
    comments, resolved = body.comments, body.comments and body.resolved_comments
    if body.to is not None:
        await authorize(call.request, body.to, Role.EDITOR)
        info = await documents.copy(room, body.to, body.title, comments=comments, resolved=resolved)
    else:
        title = body.title or f"Copy of {(await documents.info(room)).title or room}"
        target = NewTitle(title, may_create(call.request))
        info = await documents.copy(room, target, comments=comments, resolved=resolved)
    await take_ownership(call.state, call.identity, info.name)
    return reply(Room.of(info, 0, await documents.kind(info.name)), 201)


_UPDATE = BinaryBody(YJS, "a binary Yjs update (v1)")
POST_UPDATE = Operation(
    "postUpdate",
    "Apply a binary Yjs update live, broadcast to connected editors",
    {200: _STATE_VECTOR},
    description="Checked by the update validator and on a scratch document first.",
    role=Role.EDITOR,
    body=_UPDATE,
    headers=(AUTHOR,),
    problems={422: "Not a valid Yjs update, or nested deeper than the server accepts"},
)


@POST_UPDATE.on_room
async def post_update(call: RoomCall[None, bytes]) -> Response:
    """POST /api/rooms/{room}/updates: apply a binary Yjs update live, as if typed."""
    origin = edit_origin(call.request, call.identity)
    vector = await call.state.documents.apply_update(call.room, call.body, origin)
    return reply(StateVector(state_vector=b64url(vector)))


_EDIT = JsonBody(TextEdit)
PATCH_TEXT = Operation(
    "patchText",
    "Edit the text: operations, or a full replacement applied as a minimal diff",
    {200: _STATE_VECTOR},
    description="Indexes count Unicode code points of `content`; the operations are all "
    "checked before any applies.",
    role=Role.EDITOR,
    body=_EDIT,
    headers=(AUTHOR,),
    problems={409: "The document is rich text (an XmlFragment at content)"},
)


@PATCH_TEXT.on_room
async def patch_text(call: RoomCall[None, TextEdit]) -> Response:
    """PATCH /api/rooms/{room}/text: {"ops": [...]} or {"text": "..."} (a minimal diff)."""
    room, edit = call.room, call.body.root
    origin = edit_origin(call.request, call.identity)
    documents = call.state.documents
    if isinstance(edit, EditOps):
        vector = await documents.edit_text(room, _text_ops(edit), origin)
    else:
        vector = await documents.replace_text(room, edit.text, origin)
    return reply(StateVector(state_vector=b64url(vector)))


def _text_ops(edit: EditOps) -> list[TextOp]:
    return [
        InsertText(op.index, op.text) if op.op == "insert" else DeleteText(op.index, op.length)
        for op in edit.ops
    ]


def edit_origin(request: Request, identity: Identity) -> LocalOrigin:
    """Authenticated requests are attributed to the token's identity; in development mode an
    X-Collab-Author header names the author."""
    if identity is not DEVELOPMENT:
        return LocalOrigin("rest", identity.display, identity.agent_session)
    author = AUTHOR.read(request)
    return LocalOrigin("rest", author[:64] if author else None)


@dataclass(frozen=True, slots=True)
class _Listing:
    """What a listing asks for besides its page: a name prefix, a search and an order."""

    prefix: str
    search: str
    sort: RoomSort
    scope: str = "all"


async def _visible_rooms(
    request: Request,
    identity: Identity,
    limit: int,
    after: RoomCursor | None,
    listing: _Listing,
) -> tuple[list[RoomInfo], dict[str, Role | None]]:
    """A page of rooms the identity may open: the database filters by the token's grants when
    they tell, and each room then passes the authorization that opening it would (the host's
    on_authorize hook, when it has one)."""
    state = state_of(request)
    admission = state.admission
    person = admission.person_scope(identity, listing.scope)
    if person is not None:  # exactly what the person may open: no room left to check
        found = await state.store.list_rooms(
            limit,
            after=after,
            prefix=listing.prefix,
            search=listing.search,
            sort=listing.sort,
            person=person,
        )
        return found, await person_roles(state, identity, [room.name for room in found])
    patterns = admission.listing_patterns(identity)
    visible: list[RoomInfo] = []
    held: dict[str, Role | None] = {}
    while len(visible) < limit:
        batch = await state.store.list_rooms(
            limit,
            after=after,
            prefix=listing.prefix,
            patterns=patterns,
            search=listing.search,
            sort=listing.sort,
        )
        names = [room.name for room in batch]
        roles = await admission.roles(identity, names, request_info(request, "http"))
        for room, role in zip(batch, roles, strict=True):
            if role is not None:
                visible.append(room)
                held[room.name] = role
        if len(batch) < limit:
            break
        after = batch[-1].cursor(listing.sort)
    return visible[:limit], held


def _encode_cursor(room: RoomInfo, sort: RoomSort) -> str:
    cursor = room.cursor(sort)
    key = cursor.key if isinstance(cursor.key, str) else cursor.key.isoformat()
    return b64url(json.dumps([sort, key, cursor.name]).encode())


def _decode_cursor(raw: str | None, sort: RoomSort) -> RoomCursor | None:
    """A cursor this server issued for a listing in `sort` order (one issued before sorting
    existed, [moment, name], continues the default order)."""
    if raw is None:
        return None
    try:
        parts = json.loads(from_b64url(raw, "cursor"))
        issued, key, name = parts if len(parts) == 3 else ["edited", *parts]
        if issued != sort:
            raise ValueError("another order")
        if sort == "title":
            return RoomCursor(str(key), str(name))
        return RoomCursor(datetime.fromisoformat(key), str(name))
    except (ValueError, TypeError, RecursionError):
        raise InvalidRequest("cursor is not one this server issued for this order") from None


routes = [
    resource("/api/rooms", get=list_rooms, post=create_titled_room),
    resource("/api/imports", post=import_file),
    resource(
        "/api/rooms/{room}", get=get_room, put=put_room, patch=rename_room, delete=delete_room
    ),
    resource("/api/rooms/{room}/copy", post=copy_room),
    resource("/api/rooms/{room}/snapshot", get=get_snapshot),
    resource("/api/rooms/{room}/updates", post=post_update),
    resource("/api/rooms/{room}/text", patch=patch_text),
]
