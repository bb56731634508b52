"""REST endpoints for documents: list, metadata, create, delete, copy and edits."""

from __future__ import annotations

import json
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from collab.api.access import authorize, identify
from collab.api.http import b64url, from_b64url, room_param, state_of
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
    reply,
    resource,
)
from collab.api.snapshots import get_snapshot
from collab.auth import DEVELOPMENT, Identity, Role
from collab.errors import InvalidRequest
from collab.rooms.documents import DeleteText, InsertText, TextOp
from collab.state import CollabState
from collab.store.base import RoomCursor, RoomInfo
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
    after = _decode_cursor(query.cursor)
    rooms = await _visible_rooms(state, identity, query.limit + 1, after, query.prefix)
    page, more = rooms[: query.limit], len(rooms) > query.limit
    documents = state.documents
    items = [
        Room.of(info, documents.clients(info.name), documents.listed_kind(info)) for info in page
    ]
    return reply(RoomPage(items=items, next_cursor=_encode_cursor(page[-1]) if more else None))


GET_ROOM = Operation(
    "getRoom", "A room's metadata", {200: Reply("The room", Room)}, role=Role.VIEWER
)


@GET_ROOM.handles
async def get_room(request: Request) -> Response:
    """GET /api/rooms/{room}."""
    room = room_param(request)
    await authorize(request, room, GET_ROOM.room_role)
    documents = state_of(request).documents
    kind = await documents.kind(room)
    return reply(Room.of(await documents.info(room), documents.clients(room), kind))


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


@PUT_ROOM.handles
async def put_room(request: Request) -> Response:
    """PUT /api/rooms/{room} [{"kind": "text"|"rich"}]: create if absent (idempotent); 201 when
    created, else 200 with the room as it is (its kind unchanged)."""
    room = room_param(request)
    await authorize(request, room, PUT_ROOM.room_role)
    body = await _NEW_ROOM.read_optional(request)
    documents = state_of(request).documents
    created = await documents.create(room, body.kind if body else None)
    info = await documents.info(room)
    kind = await documents.kind(room)
    return reply(Room.of(info, documents.clients(room), kind), 201 if created else 200)


DELETE_ROOM = Operation(
    "deleteRoom",
    "Delete a room and all it stores; its clients are closed with 4410",
    {204: Reply("Deleted")},
    role=Role.ADMIN,
)


@DELETE_ROOM.handles
async def delete_room(request: Request) -> Response:
    """DELETE /api/rooms/{room}: remove updates and versions; connected clients get 4410."""
    room = room_param(request)
    await authorize(request, room, DELETE_ROOM.room_role)
    documents = state_of(request).documents
    await documents.info(room)
    await documents.delete(room)
    return Response(status_code=204)


_COPY = JsonBody(CopyRoom)
COPY_ROOM = Operation(
    "copyRoom",
    "Copy the committed state into a new room",
    {201: Reply("The new room", Room)},
    description="Needs the viewer role on the room and the editor role on the new one.",
    role=Role.VIEWER,
    body=_COPY,
    problems={409: "The target room exists"},
)


@COPY_ROOM.handles
async def copy_room(request: Request) -> Response:
    """POST /api/rooms/{room}/copy {"to": NAME}: a new room with the committed state."""
    room = room_param(request)
    state = state_of(request)
    await authorize(request, room, COPY_ROOM.room_role)  # before reading what a stranger sends
    target = (await _COPY.read(request)).to
    await authorize(request, target, Role.EDITOR)
    info = await state.documents.copy(room, target)
    return reply(Room.of(info, 0, await state.documents.kind(target)), 201)


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


@POST_UPDATE.handles
async def post_update(request: Request) -> Response:
    """POST /api/rooms/{room}/updates: apply a binary Yjs update live, as if typed."""
    room = room_param(request)
    identity = await authorize(request, room, POST_UPDATE.room_role)
    update = await _UPDATE.read(request)
    origin = _origin(request, identity)
    vector = await state_of(request).documents.apply_update(room, update, origin)
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


@PATCH_TEXT.handles
async def patch_text(request: Request) -> Response:
    """PATCH /api/rooms/{room}/text: {"ops": [...]} or {"text": "..."} (a minimal diff)."""
    room = room_param(request)
    identity = await authorize(request, room, PATCH_TEXT.room_role)
    origin = _origin(request, identity)
    edit = (await _EDIT.read(request)).root
    documents = state_of(request).documents
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


def _origin(request: Request, identity: Identity) -> LocalOrigin:
    """Authenticated requests are attributed to the token's identity; in development mode an
    X-Collab-Author header names the author."""
    if identity is not DEVELOPMENT:
        return LocalOrigin("rest", identity.display)
    author = AUTHOR.read(request)
    return LocalOrigin("rest", author[:64] if author else None)


async def _visible_rooms(
    state: CollabState, identity: Identity, limit: int, after: RoomCursor | None, prefix: str
) -> list[RoomInfo]:
    """A page of rooms the identity may see: the database filters by the token's grants (the
    check below stays as a safety net)."""
    patterns: list[str] | None = [grant.pattern for grant in identity.grants]
    if patterns is not None and "*" in patterns:
        patterns = None
    visible: list[RoomInfo] = []
    while len(visible) < limit:
        batch = await state.store.list_rooms(limit, after=after, prefix=prefix, patterns=patterns)
        visible += [room for room in batch if identity.role_for(room.name) is not None]
        if len(batch) < limit:
            break
        after = RoomCursor(batch[-1].updated_at, batch[-1].name)
    return visible[:limit]


def _encode_cursor(room: RoomInfo) -> str:
    return b64url(json.dumps([room.updated_at.isoformat(), room.name]).encode())


def _decode_cursor(raw: str | None) -> RoomCursor | None:
    if raw is None:
        return None
    try:
        moment, name = json.loads(from_b64url(raw, "cursor"))
        return RoomCursor(datetime.fromisoformat(moment), str(name))
    except (ValueError, TypeError, RecursionError):
        raise InvalidRequest("cursor is not one this server issued") from None


routes = [
    resource("/api/rooms", get=list_rooms),
    resource("/api/rooms/{room}", get=get_room, put=put_room, delete=delete_room),
    resource("/api/rooms/{room}/copy", post=copy_room),
    resource("/api/rooms/{room}/snapshot", get=get_snapshot),
    resource("/api/rooms/{room}/updates", post=post_update),
    resource("/api/rooms/{room}/text", patch=patch_text),
]
