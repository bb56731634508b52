"""REST endpoints for version history under /api/rooms/{room}/versions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collab.api.http import b64url, negotiate
from collab.api.models.common import positive_id
from collab.api.models.versions import (
    Diff,
    DiffParams,
    NewVersion,
    Restored,
    RestoreVersion,
    Version,
    VersionAgent,
    VersionListParams,
    VersionPage,
    VersionWithText,
)
from collab.api.operations import YJS, JsonBody, Operation, Query, Reply, RoomCall, reply, resource
from collab.api.rooms import AUTHOR
from collab.auth import DEVELOPMENT, Identity, Role
from collab.content.export import content_text, doc_from_update
from collab.errors import InvalidRequest
from collab.state import CollabState
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


@LIST_VERSIONS.on_room
async def list_versions(call: RoomCall[VersionListParams, None]) -> Response:
    """GET .../versions: newest first; `cursor` is the id to continue below."""
    query = call.query
    items = await call.state.versions.list(call.room, query.limit + 1, query.cursor)
    page = items[: query.limit]
    next_cursor = str(page[-1].id) if len(items) > query.limit else None
    shown = await with_agents(call.state, [Version.of(v) for v in page])
    return reply(VersionPage(items=shown, next_cursor=next_cursor))


async def with_agents(state: CollabState, versions: list[Version]) -> list[Version]:
    """The versions (of one room) with the agents among their authors named
    (store/agent_sessions.py)."""
    if not versions:
        return versions
    names = {name for v in versions for name in [*v.authors, v.author] if name is not None}
    found = await state.store.agent_sessions.agent_authors(versions[0].room, names)
    for version in versions:
        names_here = [version.author, *version.authors] if version.author else version.authors
        version.agents = [
            VersionAgent(name=a.name, agent=a.agent, person=a.person)
            for a in (found[name] for name in dict.fromkeys(names_here) if name in found)
        ]
    return versions


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


@CREATE_VERSION.on_room
async def create_version(call: RoomCall[None, NewVersion]) -> Response:
    """POST .../versions {"label": ..., "author"?: ...}: a named version of the current state."""
    author = _author(call.request, call.identity, call.body.author)
    result = await call.state.versions.save(call.room, call.body.label, author)
    (made,) = await with_agents(call.state, [Version.of(result.info)])
    return reply(made, 201 if result.created else 200)


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


@GET_VERSION.on_room
async def get_version(call: RoomCall[None, None]) -> Response:
    """GET .../versions/{id}: metadata and text as JSON, or the Yjs state as octet-stream."""
    number = version_id(call.request.path_params["version"])
    media = negotiate(call.request.headers.get("accept"), ["application/json", YJS])
    info, update = await call.state.versions.get(call.room, number)
    if media == YJS:
        return Response(update, media_type=media)
    text = content_text(doc_from_update(update))
    (shown,) = await with_agents(call.state, [Version.of(info)])
    return reply(VersionWithText.model_validate({**shown.model_dump(), "text": text}))


_DIFF_QUERY = Query(DiffParams)
DIFF_VERSION = Operation(
    "diffVersion",
    "Line and character diff from this version to another (default: the current document)",
    {200: Reply("The diff", Diff)},
    role=Role.VIEWER,
    query=_DIFF_QUERY,
)


@DIFF_VERSION.on_room
async def diff_version(call: RoomCall[DiffParams, None]) -> Response:
    """GET .../versions/{id}/diff?against=<id>: line and character diffs (default: current)."""
    number = version_id(call.request.path_params["version"])
    diff = await call.state.versions.diff(call.room, number, call.query.against)
    return reply(Diff.model_validate(diff))


_RESTORE = JsonBody(RestoreVersion, required=False)
RESTORE_VERSION = Operation(
    "restoreVersion",
    "Save the current state, then edit the live document to equal the version",
    {200: Reply("Restored (live)", Restored)},
    role=Role.ADMIN,
    body=_RESTORE,
    headers=(AUTHOR,),
)


@RESTORE_VERSION.on_room
async def restore_version(call: RoomCall[None, RestoreVersion | None]) -> Response:
    """POST .../versions/{id}/restore: forward edit to the version's content, saved first."""
    number = version_id(call.request.path_params["version"])
    body = call.body
    author = _author(call.request, call.identity, body.author if body else None)
    outcome = await call.state.versions.restore(call.room, number, author)
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
