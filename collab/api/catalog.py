"""REST endpoints that name documents by title: create one from a title, rename one, and
create one from an uploaded file (rooms.py assembles the routes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from collab.api.access import authorize, identify
from collab.api.http import state_of
from collab.api.models.rooms import ImportParams, NewTitledRoom, Rename, Room
from collab.api.operations import (
    YJS,
    BinaryBody,
    JsonBody,
    Operation,
    Query,
    Reply,
    RoomCall,
    reply,
)
from collab.api.ownership import owner_names, take_ownership, with_owner
from collab.auth import DEVELOPMENT, Identity, Role
from collab.documents.titles import create_titled, present_names
from collab.documents.transfer import check_import, import_room
from collab.rooms.events import title_event

_NEW = JsonBody(NewTitledRoom)
CREATE_TITLED = Operation(
    "createTitledRoom",
    "Create a document from a title, under a name derived from it",
    {201: Reply("Created; `name` is where it lives (/d/{name})", Room)},
    description="The name is the title as lowercase ASCII (accents dropped, anything else made "
    "'-'), with -2, -3 ... when taken, or a short random name when the title has no ASCII "
    "letters or digits. The title is kept as typed. Needs the editor role on that name.",
    body=_NEW,
)


@CREATE_TITLED.handles
async def create_titled_room(request: Request) -> Response:
    """POST /api/rooms {"title": "Team notes"}: a new empty document named team-notes."""
    body = await _NEW.read(request)
    state = state_of(request)
    name = await create_titled(state.store, body.title, body.kind, may_create(request))
    await take_ownership(state, await identify(request), name)
    return await room_reply(request, name, 201)


_RENAME = JsonBody(Rename)
RENAME_ROOM = Operation(
    "renameRoom",
    "Change a document's title; its name (and every link to it) stays",
    {200: Reply("Renamed", Room)},
    role=Role.EDITOR,
    body=_RENAME,
)


@RENAME_ROOM.on_room
async def rename_room(call: RoomCall[None, Rename]) -> Response:
    """PATCH /api/rooms/{room} {"title": ...}: editors rename, as in shared office documents."""
    room, body, identity = call.room, call.body, call.identity
    documents = call.state.documents
    await documents.info(room)
    await documents.store.set_title(room, body.title)
    live = documents.rooms.rooms.get(room)
    if live is not None:  # the editors open here show the new title at once
        author = None if identity is DEVELOPMENT else identity.display
        live.announce(title_event(body.title, author))
    return await room_reply(call.request, room, 200)


_IMPORT_QUERY = Query(ImportParams)
_FILE = BinaryBody(YJS, "a non-empty file")
IMPORT_ROOM = Operation(
    "importRoom",
    "Create a document from a file: text, Markdown, our JSON export, a Yjs update or a collab file",
    {201: Reply("Created with the file's content", Room)},
    description="Named from the title as POST /api/rooms names it. The file is checked before "
    "anything is created: text must be UTF-8, JSON an object of root types as the json snapshot "
    "gives it, a Yjs update one the server accepts, a collab file (`collab export --format "
    "collab`: the document with its comment threads, which keep their authors, times and "
    "resolved state) one whose every part is readable. Markdown (CommonMark with GitHub's tables, "
    "strikethrough and task lists) makes a rich-text document: headings, lists, quotes, code, "
    "tables, marks and links (http, https, mailto or relative; others keep their text only); raw "
    "HTML stays as text. To keep a Markdown file as plain text, import it as `text`.",
    query=_IMPORT_QUERY,
    body=_FILE,
)


@IMPORT_ROOM.handles
async def import_file(request: Request) -> Response:
    """POST /api/imports?title=...&format=...: a new document holding the uploaded file."""
    query = _IMPORT_QUERY.parse(request)
    data = await _FILE.read(request)
    fmt = query.format
    check_import(data, fmt)
    state = state_of(request)
    identity = await identify(request)
    kind = {"text": "text", "markdown": "rich"}.get(fmt)
    name = await create_titled(state.store, query.title, kind, may_create(request))
    await take_ownership(state, identity, name)
    try:
        await import_room(state.store, name, data, fmt, _author(identity))
    except BaseException:
        await state.documents.delete(name)  # nothing half-imported is left behind
        raise
    return await room_reply(request, name, 201)


def may_create(request: Request) -> Callable[[str], Awaitable[None]]:
    """Refuses (403) a name the caller may not create a document under."""

    async def check(name: str) -> None:
        await authorize(request, name, Role.EDITOR)

    return check


def _author(identity: Identity) -> str:
    return "import" if identity is DEVELOPMENT else identity.display


async def room_reply(request: Request, room: str, status: int) -> Response:
    """The room's metadata, with its owner and the caller's role."""
    state = state_of(request)
    documents = state.documents
    live = documents.rooms.rooms.get(room)
    info = await documents.info(room)
    kind = await documents.kind(room)
    identity = await identify(request)
    role = await state.admission.role(identity, room, None)
    editors = (await state.store.editors([room])).get(room)
    shown = Room.of(info, documents.clients(room), kind, present_names(live), editors)
    return reply(with_owner(shown, info, await owner_names(state, [info]), role), status)
