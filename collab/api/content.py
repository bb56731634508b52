"""REST endpoints reading and editing a rich-text document as Markdown or ProseMirror JSON,
whole or a passage: GET /api/rooms/{room}/content and PATCH /api/rooms/{room}/content. An edit
is applied as the smallest change to the document (content/richedit.py), through the room's
writer like any edit (committed before it is relayed, credited to the caller, an agent's
recorded under its session), so people's carets, marks, comments and concurrent edits in what
did not change survive."""

from __future__ import annotations

import json

from starlette.responses import Response

from collab.api.http import b64url
from collab.api.models.content import (
    ContentEdit,
    ContentEdited,
    ContentParams,
    PassageParams,
    RichContent,
)
from collab.api.operations import (
    Header,
    JsonBody,
    Operation,
    Query,
    Reply,
    RoomCall,
    reply,
    resource,
)
from collab.api.rooms import AUTHOR, edit_origin
from collab.auth import Role
from collab.content.export import RICH
from collab.content.prosemirror_in import from_prosemirror
from collab.content.prosemirror_out import to_prosemirror
from collab.content.richedit import (
    MARKDOWN,
    PROSEMIRROR,
    content_edit,
    read_passage,
    rich_fragment,
)
from collab.content.richtext import blocks_markdown
from collab.content.textops import utf8_size
from collab.errors import WrongDocumentKind

_PASSAGES = (
    "A passage is top-level blocks `start` to `end`, or the section under a heading "
    "(`heading`, `occurrence`): the heading and the blocks up to the next heading of its level "
    "or above. Without either, the whole document."
)
_RICH_ONLY = "The document is plain text (PATCH .../text edits it)"

_READ_QUERY = Query(ContentParams)
GET_CONTENT = Operation(
    "getContent",
    "A rich-text document, or a passage of it, as Markdown or ProseMirror JSON, with its tag",
    {200: Reply("The passage", RichContent, headers={"ETag": "the passage's tag (`base`)"})},
    description=_PASSAGES + " The tag (`base`, also the ETag) changes whenever anything in "
    "the passage does; PATCH with it as `base` or If-Match edits only if nothing did.",
    role=Role.VIEWER,
    query=_READ_QUERY,
    problems={409: _RICH_ONLY},
)

IF_MATCH = Header("If-Match", "the passage's tag as read: 409 if it changed since (or `base`)")
_EDIT_QUERY = Query(PassageParams)
_EDIT = JsonBody(ContentEdit)
PATCH_CONTENT = Operation(
    "patchContent",
    "Edit a rich-text document or a passage: new Markdown or ProseMirror JSON, applied as the "
    "smallest change",
    {200: Reply("Applied and committed", ContentEdited)},
    description=_PASSAGES + " The passage is made to hold the new content with the smallest "
    "edit: unchanged blocks are not touched; a changed block of the same type keeps its node, "
    "its text changed by a character diff and its marks set where they differ; others are "
    "inserted or deleted. So carets, comments and what others type elsewhere stay. Markdown "
    "cannot say some things (underline, column widths): an edit sent as Markdown keeps them. "
    "ProseMirror JSON is checked against the editor's schema (422 names what it cannot open). "
    "With `base` or If-Match, the edit applies only if the passage's tag still is that (409 "
    "otherwise: read it again). A BlockNote document's top-level blocks are its blocks; the "
    "input is made into BlockNote's blocks, and a block paired with one already there keeps "
    "its id (422 for a table whose cells hold more than a paragraph). An agent's edit is "
    "recorded under its session.",
    role=Role.EDITOR,
    query=_EDIT_QUERY,
    body=_EDIT,
    headers=(IF_MATCH, AUTHOR),
    problems={
        409: "The document is plain text, or the passage changed since `base` was read",
    },
)


@GET_CONTENT.on_room
async def get_content(call: RoomCall[ContentParams, None]) -> Response:
    """GET /api/rooms/{room}/content."""
    documents = call.state.documents
    if await documents.kind(call.room) != RICH:
        raise WrongDocumentKind(
            "this document is plain text: read it with GET .../snapshot, edit it with "
            "PATCH .../text"
        )
    doc = await documents.current(call.room)
    found = read_passage(rich_fragment(doc), call.query.passage())
    markdown = prosemirror = None
    if call.query.format == "markdown":
        markdown = blocks_markdown(found.blocks) if found.blocks else ""
    else:
        prosemirror = to_prosemirror(found.blocks)
    content = RichContent(
        markdown=markdown,
        prosemirror=prosemirror,
        base=found.tag,
        start=found.start,
        end=found.end,
        blocks=found.total,
    )
    return reply(content, headers={"ETag": found.tag, "Cache-Control": "no-cache"})


@PATCH_CONTENT.on_room
async def patch_content(call: RoomCall[PassageParams, ContentEdit]) -> Response:
    """PATCH /api/rooms/{room}/content {"markdown": ...} or {"prosemirror": {...}}."""
    body = call.body
    if body.markdown is not None:
        size = utf8_size(body.markdown)
        from collab.content.markdown_in import to_nodes  # markdown-it: loaded on first use

        nodes, fidelity = to_nodes(body.markdown), MARKDOWN
    else:
        size = utf8_size(json.dumps(body.prosemirror, ensure_ascii=False))
        nodes, fidelity = from_prosemirror(body.prosemirror), PROSEMIRROR
    base = body.base if body.base is not None else IF_MATCH.read(call.request)
    if base is not None and base.strip() == "*":  # any version will do
        base = None
    change, outcome = content_edit(nodes, fidelity, call.query.passage(), base)
    origin = edit_origin(call.request, call.identity)
    vector = await call.state.documents.edit_rich(call.room, change, origin, size)
    edited = ContentEdited(
        state_vector=b64url(vector),
        base=outcome.tag,
        start=outcome.start,
        end=outcome.end,
        kept=outcome.kept,
        changed=outcome.changed,
        inserted=outcome.inserted,
        deleted=outcome.deleted,
    )
    return reply(edited, headers={"ETag": outcome.tag})


routes = [resource("/api/rooms/{room}/content", get=get_content, patch=patch_content)]
