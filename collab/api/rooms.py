"""REST endpoints for documents: list, metadata, create, delete, copy, snapshots and edits."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collab.api.access import authorize, identify
from collab.api.history import version_id
from collab.api.http import (
    b64url,
    etag_matches,
    from_b64url,
    int_param,
    negotiate,
    read_body,
    read_json,
    resource,
    room_param,
    state_of,
    strong_etag,
)
from collab.auth import DEVELOPMENT, Identity, Role
from collab.errors import InvalidRequest, UnsupportedData
from collab.rooms import crdt
from collab.rooms.documents import DeleteText, InsertText, Snapshot, TextOp
from collab.rooms.export import DOCUMENT_KINDS, doc_from_update, doc_to_json, render_content
from collab.state import CollabState
from collab.store.base import RoomCursor, RoomInfo
from collab.types import LocalOrigin, is_valid_room_name

TEXT, JSON, YJS = "text/plain", "application/json", "application/octet-stream"
MARKDOWN, HTML = "text/markdown", "text/html"
_FORMATS = {"text": TEXT, "json": JSON, "yjs": YJS, "markdown": MARKDOWN, "html": HTML}
_RENDERED = {TEXT: "text", MARKDOWN: "markdown", HTML: "html"}
MAX_PAGE = 200


def room_json(info: RoomInfo, clients: int, kind: str) -> dict[str, Any]:
    """The JSON shape of a room."""
    return {
        "name": info.name,
        "kind": kind,
        "created_at": info.created_at.isoformat(),
        "updated_at": info.updated_at.isoformat(),
        "size_bytes": info.size_bytes,
        "clients": clients,
    }


async def list_rooms(request: Request) -> JSONResponse:
    """GET /api/rooms: newest edit first, paginated with an opaque cursor, filtered by prefix."""
    state = state_of(request)
    identity = await identify(request)
    limit = int_param(request, "limit", default=50, low=1, high=MAX_PAGE)
    after = _decode_cursor(request.query_params.get("cursor"))
    prefix = request.query_params.get("prefix", "")
    rooms = await _visible_rooms(state, identity, limit + 1, after, prefix)
    page, more = rooms[:limit], len(rooms) > limit
    next_cursor = _encode_cursor(page[-1]) if more else None
    documents = state.documents
    items = [
        room_json(room, documents.clients(room.name), documents.listed_kind(room)) for room in page
    ]
    return JSONResponse({"items": items, "next_cursor": next_cursor})


async def get_room(request: Request) -> JSONResponse:
    """GET /api/rooms/{room}."""
    room = room_param(request)
    await authorize(request, room, Role.VIEWER)
    documents = state_of(request).documents
    kind = await documents.kind(room)
    return JSONResponse(room_json(await documents.info(room), documents.clients(room), kind))


async def put_room(request: Request) -> JSONResponse:
    """PUT /api/rooms/{room} [{"kind": "text"|"rich"}]: create if absent (idempotent); 201 when
    created, else 200 with the room as it is (its kind unchanged)."""
    room = room_param(request)
    state = state_of(request)
    await authorize(request, room, Role.EDITOR)
    kind = await _requested_kind(request, state.settings.max_request_bytes)
    documents = state.documents
    created = await documents.create(room, kind)
    info = await documents.info(room)
    return JSONResponse(
        room_json(info, documents.clients(room), await documents.kind(room)),
        status_code=201 if created else 200,
    )


async def _requested_kind(request: Request, max_bytes: int) -> str | None:
    """The kind asked for in a PUT body: none (no body), "text" or "rich"."""
    if "content-type" not in request.headers:
        return None
    body = await read_json(request, max_bytes, optional=True)
    if body is None:
        return None
    kind = body.get("kind") if isinstance(body, dict) else None
    if not isinstance(body, dict) or set(body) - {"kind"} or kind not in (None, *DOCUMENT_KINDS):
        raise InvalidRequest('body must be empty or {"kind": "text"} or {"kind": "rich"}')
    return kind


async def delete_room(request: Request) -> Response:
    """DELETE /api/rooms/{room}: remove updates and versions; connected clients get 4410."""
    room = room_param(request)
    await authorize(request, room, Role.ADMIN)
    documents = state_of(request).documents
    await documents.info(room)
    await documents.delete(room)
    return Response(status_code=204)


async def copy_room(request: Request) -> JSONResponse:
    """POST /api/rooms/{room}/copy {"to": NAME}: a new room with the committed state."""
    room = room_param(request)
    state = state_of(request)
    await authorize(request, room, Role.VIEWER)  # before reading anything a stranger sends
    body = await read_json(request, state.settings.max_request_bytes)
    target = body.get("to") if isinstance(body, dict) else None
    if not isinstance(target, str) or not is_valid_room_name(target):
        raise InvalidRequest('body must be {"to": "<valid room name>"}')
    await authorize(request, target, Role.EDITOR)
    info = await state.documents.copy(room, target)
    return JSONResponse(room_json(info, 0, await state.documents.kind(target)), status_code=201)


async def get_snapshot(request: Request) -> Response:
    """GET /api/rooms/{room}/snapshot: text, JSON or Yjs by Accept (or ?format=)."""
    room = room_param(request)
    await authorize(request, room, Role.VIEWER)
    since_param = request.query_params.get("since")
    media = _snapshot_media(request, since_param is not None)
    snapshot = await _snapshot_or_version(request, room)
    since = from_b64url(since_param, "since") if since_param is not None else None
    # Over the whole encoded state: a deletion leaves the state vector as it was.
    etag = strong_etag(media.encode(), snapshot.update, since or b"")
    headers = {"ETag": etag, "Vary": "Accept", "Cache-Control": "no-cache"}
    headers["X-State-Vector"] = b64url(snapshot.state_vector)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if since is not None:
        body = crdt.missing_since(snapshot.doc(), since)
        return Response(body, media_type=YJS, headers=headers)
    if media == YJS:
        return Response(snapshot.update, media_type=YJS, headers=headers)
    if media in _RENDERED:
        rendered = render_content(snapshot.doc(), _RENDERED[media])
        return Response(rendered, media_type=f"{media}; charset=utf-8", headers=headers)
    return JSONResponse(doc_to_json(snapshot.update), headers=headers)


async def _snapshot_or_version(request: Request, room: str) -> Snapshot:
    state = state_of(request)
    raw = request.query_params.get("version")
    if raw is None:
        return await state.documents.snapshot(room)
    _, update = await state.versions.get(room, version_id(raw))
    return Snapshot(update, doc_from_update(update).get_state())


def _snapshot_media(request: Request, has_since: bool) -> str:
    chosen = request.query_params.get("format")
    if chosen is not None:
        if chosen not in _FORMATS:
            raise InvalidRequest(f"format must be one of {', '.join(_FORMATS)}")
        media = _FORMATS[chosen]
    elif has_since:
        media = negotiate(request.headers.get("accept"), [YJS])
    else:
        media = negotiate(request.headers.get("accept"), [JSON, TEXT, YJS, MARKDOWN, HTML])
    if has_since and media != YJS:
        raise InvalidRequest("since= returns a Yjs update: ask for application/octet-stream")
    return media


async def post_update(request: Request) -> JSONResponse:
    """POST /api/rooms/{room}/updates: apply a binary Yjs update live, as if typed."""
    room = room_param(request)
    identity = await authorize(request, room, Role.EDITOR)
    state = state_of(request)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != YJS:
        raise UnsupportedData(f"send the Yjs update as {YJS}, not {media or 'no Content-Type'}")
    update = await read_body(request, state.settings.max_request_bytes)
    if not update:
        raise InvalidRequest("the body must be a binary Yjs update")
    vector = await state.documents.apply_update(room, update, _origin(request, identity))
    return JSONResponse({"state_vector": b64url(vector)})


async def patch_text(request: Request) -> JSONResponse:
    """PATCH /api/rooms/{room}/text: {"ops": [...]} or {"text": "..."} (a minimal diff)."""
    room = room_param(request)
    identity = await authorize(request, room, Role.EDITOR)
    origin = _origin(request, identity)
    state = state_of(request)
    body = await read_json(request, state.settings.max_request_bytes)
    documents = state.documents
    if isinstance(body, dict) and set(body) == {"text"} and isinstance(body["text"], str):
        vector = await documents.replace_text(room, body["text"], origin)
    elif isinstance(body, dict) and set(body) == {"ops"} and isinstance(body["ops"], list):
        vector = await documents.edit_text(room, _parse_ops(body["ops"]), origin)
    else:
        raise InvalidRequest('body must be {"text": "..."} or {"ops": [...]}')
    return JSONResponse({"state_vector": b64url(vector)})


def _parse_ops(raw: list[Any]) -> list[TextOp]:
    ops: list[TextOp] = []
    for position, op in enumerate(raw):
        kind = op.get("op") if isinstance(op, dict) else None
        index = op.get("index") if isinstance(op, dict) else None
        if not isinstance(index, int) or isinstance(index, bool):
            raise InvalidRequest(f"ops[{position}].index must be an integer")
        if (
            kind == "insert"
            and isinstance(op.get("text"), str)
            and set(op) == {"op", "index", "text"}
        ):
            ops.append(InsertText(index, op["text"]))
        elif (
            kind == "delete" and _is_int(op.get("length")) and set(op) == {"op", "index", "length"}
        ):
            ops.append(DeleteText(index, op["length"]))
        else:
            raise InvalidRequest(
                f'ops[{position}] must be {{"op": "insert", "index": i, "text": s}} '
                f'or {{"op": "delete", "index": i, "length": n}}'
            )
    return ops


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _origin(request: Request, identity: Identity) -> LocalOrigin:
    """Authenticated requests are attributed to the token's identity; in development mode an
    X-Collab-Author header names the author."""
    if identity is not DEVELOPMENT:
        return LocalOrigin("rest", identity.display)
    author = request.headers.get("x-collab-author")
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
