"""REST endpoints for version history under /api/rooms/{room}/versions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collab.api.access import authorize
from collab.api.http import b64url, negotiate, room_param, state_of
from collab.api.models.common import positive_id
from collab.api.models.versions import (
    Diff,
    DiffParams,
    NewVersion,
    Restored,
    RestoreVersion,
    Version,
    VersionListParams,
    VersionPage,
    VersionWithText,
)
from collab.api.operations import YJS, JsonBody, Operation, Query, Reply, reply, resource
from collab.api.rooms import AUTHOR
from collab.auth import DEVELOPMENT, Identity, Role
from collab.content.export import content_text, doc_from_update
from collab.errors import InvalidRequest
from collab.types import MAX_AUTHOR_CHARS


def version_id(raw: str | None, what: str = "version id") -> int:
    """A positive integer id, or a clear 422."""
    try:
        return positive_id(raw)
    except ValueError as error:
        raise InvalidRequest(f"{what} {error}") from None


_LIST_QUERY = Query(VersionListParams)
LIST_VERSIONS = Operation(
    "listVersions",
    "Versions, newest first",
    {200: Reply("A page of versions", VersionPage)},
    role=Role.VIEWER,
    query=_LIST_QUERY,
)


@LIST_VERSIONS.handles
async def list_versions(request: Request) -> Response:
    """GET .../versions: newest first; `cursor` is the id to continue below."""
    room = room_param(request)
    await authorize(request, room, LIST_VERSIONS.room_role)
    query = _LIST_QUERY.parse(request)
    items = await state_of(request).versions.list(room, query.limit + 1, query.cursor)
    page = items[: query.limit]
    next_cursor = str(page[-1].id) if len(items) > query.limit else None
    return reply(VersionPage(items=[Version.of(v) for v in page], next_cursor=next_cursor))


_NEW_VERSION = JsonBody(NewVersion)
CREATE_VERSION = Operation(
    "createVersion",
    "Save a named version of the current document",
    {
        201: Reply("Recorded", Version),
        200: Reply("This state was already recorded: that version, now named", Version),
    },
    role=Role.EDITOR,
    body=_NEW_VERSION,
    headers=(AUTHOR,),
)


@CREATE_VERSION.handles
async def create_version(request: Request) -> Response:
    """POST .../versions {"label": ..., "author"?: ...}: a named version of the current state."""
    room = room_param(request)
    identity = await authorize(request, room, CREATE_VERSION.room_role)
    body = await _NEW_VERSION.read(request)
    author = _author(request, identity, body.author)
    result = await state_of(request).versions.save(room, body.label, author)
    return reply(Version.of(result.info), 201 if result.created else 200)


GET_VERSION = Operation(
    "getVersion",
    "A version: metadata and text (JSON) or its Yjs state (octet-stream), by Accept",
    {
        200: Reply(
            "The version",
            VersionWithText,
            content={YJS: {"schema": {"type": "string", "contentEncoding": "binary"}}},
        )
    },
    role=Role.VIEWER,
    problems={406: "No format the Accept header allows"},
)


@GET_VERSION.handles
async def get_version(request: Request) -> Response:
    """GET .../versions/{id}: metadata and text as JSON, or the Yjs state as octet-stream."""
    room = room_param(request)
    await authorize(request, room, GET_VERSION.room_role)
    number = version_id(request.path_params["version"])
    media = negotiate(request.headers.get("accept"), ["application/json", YJS])
    info, update = await state_of(request).versions.get(room, number)
    if media == YJS:
        return Response(update, media_type=media)
    text = content_text(doc_from_update(update))
    return reply(VersionWithText.model_validate({**Version.of(info).model_dump(), "text": text}))


_DIFF_QUERY = Query(DiffParams)
DIFF_VERSION = Operation(
    "diffVersion",
    "Line and character diff from this version to another (default: the current document)",
    {200: Reply("The diff", Diff)},
    role=Role.VIEWER,
    query=_DIFF_QUERY,
)


@DIFF_VERSION.handles
async def diff_version(request: Request) -> Response:
    """GET .../versions/{id}/diff?against=<id>: line and character diffs (default: current)."""
    room = room_param(request)
    await authorize(request, room, DIFF_VERSION.room_role)
    number = version_id(request.path_params["version"])
    against = _DIFF_QUERY.parse(request).against
    return reply(Diff.model_validate(await state_of(request).versions.diff(room, number, against)))


_RESTORE = JsonBody(RestoreVersion, required=False)
RESTORE_VERSION = Operation(
    "restoreVersion",
    "Save the current state, then edit the live document to equal the version",
    {200: Reply("Restored (live)", Restored)},
    role=Role.ADMIN,
    body=_RESTORE,
    headers=(AUTHOR,),
)


@RESTORE_VERSION.handles
async def restore_version(request: Request) -> Response:
    """POST .../versions/{id}/restore: forward edit to the version's content, saved first."""
    room = room_param(request)
    identity = await authorize(request, room, RESTORE_VERSION.room_role)
    number = version_id(request.path_params["version"])
    body = await _RESTORE.read_optional(request)
    author = _author(request, identity, body.author if body else None)
    outcome = await state_of(request).versions.restore(room, number, author)
    return reply(
        Restored(
            changed=outcome.changed,
            safety=Version.of(outcome.safety),
            restored=Version.of(outcome.restored),
            state_vector=b64url(outcome.state_vector),
        )
    )


def _author(request: Request, identity: Identity, given: str | None) -> str | None:
    """The token's identity when authenticated; else a body "author" or X-Collab-Author."""
    if identity is not DEVELOPMENT:
        return identity.display
    author = given or AUTHOR.read(request)
    if author is not None and len(author) > MAX_AUTHOR_CHARS:
        raise InvalidRequest(f"author must be a string of at most {MAX_AUTHOR_CHARS} characters")
    return author


routes = [
    resource("/api/rooms/{room}/versions", get=list_versions, post=create_version),
    resource("/api/rooms/{room}/versions/{version}", get=get_version),
    resource("/api/rooms/{room}/versions/{version}/diff", get=diff_version),
    resource("/api/rooms/{room}/versions/{version}/restore", post=restore_version),
]
