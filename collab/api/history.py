"""REST endpoints for version history under /api/rooms/{room}/versions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collab.api.access import authorize
from collab.api.http import (
    b64url,
    int_param,
    is_decimal,
    negotiate,
    read_json,
    resource,
    room_param,
    state_of,
)
from collab.auth import DEVELOPMENT, Identity, Role
from collab.errors import InvalidRequest
from collab.rooms.events import version_json
from collab.rooms.export import content_text, doc_from_update
from collab.types import MAX_AUTHOR_CHARS

MAX_PAGE = 200


def version_id(raw: str | None, what: str = "version id") -> int:
    """A positive integer id, or a clear 422."""
    if raw is None or not is_decimal(raw) or int(raw) < 1:
        raise InvalidRequest(f"{what} must be a positive integer, not {raw!r}")
    return int(raw)


async def list_versions(request: Request) -> JSONResponse:
    """GET .../versions: newest first; `cursor` is the id to continue below."""
    room = room_param(request)
    await authorize(request, room, Role.VIEWER)
    limit = int_param(request, "limit", default=50, low=1, high=MAX_PAGE)
    cursor = request.query_params.get("cursor")
    before = version_id(cursor, "cursor") if cursor is not None else None
    items = await state_of(request).versions.list(room, limit + 1, before)
    more = len(items) > limit
    page = items[:limit]
    next_cursor = str(page[-1].id) if more else None
    return JSONResponse({"items": [version_json(v) for v in page], "next_cursor": next_cursor})


async def create_version(request: Request) -> JSONResponse:
    """POST .../versions {"label": ..., "author"?: ...}: a named version of the current state."""
    room = room_param(request)
    identity = await authorize(request, room, Role.EDITOR)
    state = state_of(request)
    body = await read_json(request, state.settings.max_request_bytes)
    label = body.get("label") if isinstance(body, dict) else None
    if not isinstance(label, str) or not label.strip() or len(label) > 256:
        raise InvalidRequest('body must be {"label": "<1-256 characters>"}')
    author = _author(request, identity, body.get("author"))
    result = await state.versions.save(room, label.strip(), author)
    return JSONResponse(version_json(result.info), status_code=201 if result.created else 200)


async def get_version(request: Request) -> Response:
    """GET .../versions/{id}: metadata and text as JSON, or the Yjs state as octet-stream."""
    room = room_param(request)
    await authorize(request, room, Role.VIEWER)
    number = version_id(request.path_params["version"])
    media = negotiate(
        request.headers.get("accept"), ["application/json", "application/octet-stream"]
    )
    info, update = await state_of(request).versions.get(room, number)
    if media == "application/octet-stream":
        return Response(update, media_type=media)
    return JSONResponse({**version_json(info), "text": content_text(doc_from_update(update))})


async def diff_version(request: Request) -> JSONResponse:
    """GET .../versions/{id}/diff?against=<id>: line and character diffs (default: current)."""
    room = room_param(request)
    await authorize(request, room, Role.VIEWER)
    number = version_id(request.path_params["version"])
    against_raw = request.query_params.get("against")
    against = version_id(against_raw, "against") if against_raw is not None else None
    return JSONResponse(await state_of(request).versions.diff(room, number, against))


async def restore_version(request: Request) -> JSONResponse:
    """POST .../versions/{id}/restore: forward edit to the version's content, saved first."""
    room = room_param(request)
    identity = await authorize(request, room, Role.ADMIN)
    number = version_id(request.path_params["version"])
    body = await _optional_json(request)
    author = _author(request, identity, body.get("author"))
    outcome = await state_of(request).versions.restore(room, number, author)
    return JSONResponse(
        {
            "changed": outcome.changed,
            "safety": version_json(outcome.safety),
            "restored": version_json(outcome.restored),
            "state_vector": b64url(outcome.state_vector),
        }
    )


def _author(request: Request, identity: Identity, given: Any) -> str | None:
    """The token's identity when authenticated; else a body "author" or X-Collab-Author."""
    if identity is not DEVELOPMENT:
        return identity.display
    author = given or request.headers.get("x-collab-author")
    if author is not None and (not isinstance(author, str) or len(author) > MAX_AUTHOR_CHARS):
        raise InvalidRequest(f"author must be a string of at most {MAX_AUTHOR_CHARS} characters")
    return author


async def _optional_json(request: Request) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return {}
    body = await read_json(request, state_of(request).settings.max_request_bytes)
    return body if isinstance(body, dict) else {}


routes = [
    resource("/api/rooms/{room}/versions", get=list_versions, post=create_version),
    resource("/api/rooms/{room}/versions/{version}", get=get_version),
    resource("/api/rooms/{room}/versions/{version}/diff", get=diff_version),
    resource("/api/rooms/{room}/versions/{version}/restore", post=restore_version),
]
