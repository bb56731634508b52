"""The MCP tools: list, read, edit, comment on documents, suggest edits and list their
versions. Each one works through collab's REST client, so the REST API's checks (who may read,
edit, comment, suggest) and its edits' live path apply unchanged; an API error becomes a tool
error carrying the problem document's message."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any, Literal, TypeVar

import httpx
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from collab.client import CollabAPIError, CollabClient
from collab.config import package_version

# Gives the client a tool call acts with: one fixed client over stdio, one per HTTP request
# (the caller's own token) on the server.
ClientSource = Callable[[Context], AbstractAsyncContextManager[CollabClient]]
T = TypeVar("T")
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

RoomArg = Annotated[str, Field(description="the document's name (as list_documents gives it)")]
# A rich document's Markdown read, changed and sent back conditionally: tries when others
# keep changing it in between.
_RICH_TRIES = 3


class DocumentInfo(BaseModel):
    """One document of a listing."""

    name: str = Field(description="pass as `room` to the other tools")
    title: str | None = Field(description="the title as typed (null: none, the name shows)")
    kind: str = Field(description='"text" (plain text) or "rich" (rich text)')
    updated_at: str = Field(description="last edit, ISO 8601")
    role: str | None = Field(description="the caller's role on it, when the server says")


class DocumentList(BaseModel):
    """A page of documents, newest edit first."""

    documents: list[DocumentInfo]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")


class Edited(BaseModel):
    """What an edit did."""

    room: str
    replaced: Literal["passage", "text"] = Field(description="a passage, or the whole text")


class ThreadInfo(BaseModel):
    """The comment thread a comment started."""

    thread: str = Field(description="the thread's id")
    quote: str = Field(description="the passage it is on")
    index: int | None = Field(description="where the passage starts (code points)")


class SuggestionInfo(BaseModel):
    """The suggestion a suggest_edit posted (an editor of the document accepts or rejects it)."""

    thread: str = Field(description="the suggestion's thread id")
    kind: Literal["insert", "delete", "replace", "format"]
    quote: str = Field(description="the passage it would change, or the text it would insert")
    index: int | None = Field(description="where it stands in the text now (code points)")


class VersionInfo(BaseModel):
    """One recorded version."""

    id: int
    created_at: str
    kind: str = Field(description='"auto", "named" or "restore"')
    label: str | None
    author: str | None
    authors: list[str] = Field(description="people whose edits it holds since the previous one")


class VersionList(BaseModel):
    """A page of versions, newest first."""

    versions: list[VersionInfo]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")


def build_server(
    clients: ClientSource, log_level: LogLevel = "INFO", edited: set[str] | None = None
) -> MCPServer:
    """An MCP server whose tools act through the clients `clients` gives. `log_level` is the
    SDK's, for a process whose logging nobody configured yet (`collab mcp`); `edited`, if
    given, gathers the documents `edit_document` changed."""
    server: MCPServer = MCPServer(
        "collab",
        version=package_version(),
        log_level=log_level,
        instructions="Real-time collaborative documents: list them, read them as Markdown, "
        "edit them (rich-text ones as Markdown), comment on passages, suggest edits for a "
        "person to accept, and list their versions. Edits reach everyone who has the document "
        "open at once.",
    )
    tools = _Tools(clients, edited)
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    server.add_tool(tools.list_documents, annotations=read_only)
    server.add_tool(tools.read_document, annotations=read_only)
    server.add_tool(
        tools.edit_document,
        annotations=ToolAnnotations(destructive_hint=True, open_world_hint=False),
    )
    server.add_tool(tools.comment, annotations=ToolAnnotations(open_world_hint=False))
    server.add_tool(tools.suggest_edit, annotations=ToolAnnotations(open_world_hint=False))
    server.add_tool(tools.list_versions, annotations=read_only)
    return server


class _Tools:
    """The tools' bodies; each docstring is the description the agent reads."""

    def __init__(self, clients: ClientSource, edited: set[str] | None = None) -> None:
        self._clients = clients
        self._edited = edited

    async def list_documents(
        self,
        ctx: Context,
        search: Annotated[
            str, Field(description="only documents whose title or name holds this (any case)")
        ] = "",
        limit: Annotated[int, Field(ge=1, le=100, description="page size")] = 20,
        cursor: Annotated[str | None, Field(description="next_cursor of the last page")] = None,
    ) -> DocumentList:
        """List the documents the caller may open, newest edit first, optionally searching
        titles and names."""
        page = await self._call(ctx, lambda c: c.list_rooms(limit, cursor=cursor, search=search))
        items = [
            DocumentInfo(
                name=room.name,
                title=room.title,
                kind=room.kind,
                updated_at=room.updated_at.isoformat(),
                role=room.role,
            )
            for room in page.items
        ]
        return DocumentList(documents=items, next_cursor=page.next_cursor)

    async def read_document(
        self,
        ctx: Context,
        room: RoomArg,
        format: Annotated[
            Literal["markdown", "text"],
            Field(description="markdown (headings, lists, emphasis of rich text) or plain text"),
        ] = "markdown",
    ) -> str:
        """Read a document's current text, as Markdown or plain text."""
        if format == "text":
            return await self._call(ctx, lambda c: c.snapshot_text(room))
        return await self._call(ctx, lambda c: c.snapshot_markdown(room))

    async def edit_document(
        self,
        ctx: Context,
        room: RoomArg,
        new_text: Annotated[
            str, Field(description="the text to put in (Markdown for a rich-text document)")
        ],
        old_text: Annotated[
            str | None,
            Field(
                description="the passage to replace, quoted exactly as read_document gives it "
                "(Markdown for a rich-text document); omit it to replace the whole document "
                "with new_text"
            ),
        ] = None,
        occurrence: Annotated[
            int, Field(ge=1, description="which occurrence of old_text (1: the first)")
        ] = 1,
    ) -> Edited:
        """Edit a document: replace a quoted passage (as it stands now) with new text, or the
        whole document. A rich-text document is read and written as Markdown (headings, lists,
        emphasis, links, tables). Either way the change is applied as the smallest edit, so
        unchanged parts, their formatting and the comments on them stay. It reaches open
        editors live."""
        done = await self._call(ctx, lambda c: _edit(c, room, new_text, old_text, occurrence))
        if self._edited is not None:
            self._edited.add(room)
        return done

    async def comment(
        self,
        ctx: Context,
        room: RoomArg,
        quote: Annotated[str, Field(description="the passage to comment on, quoted exactly")],
        body: Annotated[str, Field(description="the comment")],
        occurrence: Annotated[
            int, Field(ge=1, description="which occurrence of quote (1: the first)")
        ] = 1,
    ) -> ThreadInfo:
        """Start a comment thread on a quoted passage of a document."""
        thread = await self._call(
            ctx, lambda c: c.comment_on_text(room, quote, body, occurrence=occurrence)
        )
        index = thread.range.index if thread.range is not None else None
        return ThreadInfo(thread=thread.id, quote=thread.quote, index=index)

    async def suggest_edit(
        self,
        ctx: Context,
        room: RoomArg,
        passage: Annotated[
            str,
            Field(
                description="the passage to change, quoted exactly as it stands now; empty to "
                "insert at `index` instead"
            ),
        ],
        replacement: Annotated[
            str,
            Field(description='the text to put in its place ("" to delete the passage)'),
        ],
        occurrence: Annotated[
            int, Field(ge=1, description="which occurrence of the passage (1: the first)")
        ] = 1,
        index: Annotated[
            int | None,
            Field(
                ge=0,
                description="with an empty passage: where to insert the replacement (code "
                "points into the text read_document gives)",
            ),
        ] = None,
        reason: Annotated[
            str, Field(description="optional: why (the thread's first comment)")
        ] = "",
    ) -> SuggestionInfo:
        """Suggest an edit of a document (plain or rich text) without making it: replace or
        delete a quoted passage, or insert text at an index. The document does not change
        until one of its editors accepts the suggestion; the edit is then credited to you.
        Works with a token limited to commenting."""
        if passage:
            body: dict[str, Any] = {
                "kind": "replace" if replacement else "delete",
                "passage": {"text": passage, "occurrence": occurrence},
                "text": replacement,
            }
        elif index is None or not replacement:
            raise ToolError(
                "quote the passage to change, or leave it empty and give `index` and the "
                "text to insert as `replacement`"
            )
        else:
            body = {"kind": "insert", "passage": {"index": index, "length": 0}, "text": replacement}
        thread = await self._call(ctx, lambda c: c.suggest(room, {**body, "body": reason}))
        suggestion = thread.suggestion
        assert suggestion is not None
        where = suggestion.range
        return SuggestionInfo(
            thread=thread.id,
            kind=suggestion.kind,
            quote=thread.quote,
            index=where.index if where is not None else None,
        )

    async def list_versions(
        self,
        ctx: Context,
        room: RoomArg,
        limit: Annotated[int, Field(ge=1, le=100, description="page size")] = 20,
        cursor: Annotated[str | None, Field(description="next_cursor of the last page")] = None,
    ) -> VersionList:
        """List a document's recorded versions (automatic, named and restores), newest
        first."""
        page = await self._call(ctx, lambda c: c.versions(room, limit, cursor))
        items = [
            VersionInfo(
                id=v.id,
                created_at=v.created_at.isoformat(),
                kind=v.kind,
                label=v.label,
                author=v.author,
                authors=v.authors,
            )
            for v in page.items
        ]
        return VersionList(versions=items, next_cursor=page.next_cursor)

    async def _call(self, ctx: Context, call: Callable[[CollabClient], Awaitable[T]]) -> T:
        async with self._clients(ctx) as client, _tool_errors():
            return await call(client)


async def _edit(
    client: CollabClient, room: str, new_text: str, old_text: str | None, occurrence: int
) -> Edited:
    # Asked first: the server takes a plain-text edit of a rich document that is still empty.
    if (await client.get_room(room)).kind == "rich":
        return await _edit_rich(client, room, new_text, old_text, occurrence)
    if old_text is None:
        await client.replace_text(room, new_text)
        return Edited(room=room, replaced="text")
    index = _find(await client.snapshot_text(room), old_text, occurrence)
    ops: list[dict[str, Any]] = [
        {"op": "delete", "index": index, "length": len(old_text)},
        {"op": "insert", "index": index, "text": new_text},
    ]
    await client.edit_text(room, ops)
    return Edited(room=room, replaced="passage")


async def _edit_rich(
    client: CollabClient, room: str, new_text: str, old_text: str | None, occurrence: int
) -> Edited:
    """A rich document as Markdown: the whole of it, or its Markdown with the passage replaced,
    sent back on condition that nobody changed it since it was read (read again if so). The
    server applies it as the smallest edit: blocks whose Markdown is unchanged stay as they are."""
    if old_text is None:
        await client.edit_content(room, markdown=new_text)
        return Edited(room=room, replaced="text")
    for attempt in range(_RICH_TRIES):
        read = await client.read_content(room)
        markdown = read.markdown or ""
        index = _find(markdown, old_text, occurrence)
        changed = markdown[:index] + new_text + markdown[index + len(old_text) :]
        try:
            await client.edit_content(room, markdown=changed, base=read.base)
        except CollabAPIError as error:
            if error.status != 409 or "changed since" not in error.detail:
                raise
            if attempt == _RICH_TRIES - 1:
                raise ToolError("the document keeps changing: try the edit again") from None
            continue
        break
    return Edited(room=room, replaced="passage")


def _find(text: str, passage: str, occurrence: int) -> int:
    if not passage:
        raise ToolError("old_text is empty: quote the passage to replace, or omit old_text")
    start = -1
    for _ in range(occurrence):
        start = text.find(passage, start + 1)
        if start < 0:
            raise ToolError(f"old_text not found (occurrence {occurrence}) in the document")
    return start


@asynccontextmanager
async def _tool_errors() -> AsyncIterator[None]:
    """An API error as a tool error with the problem document's message."""
    try:
        yield
    except CollabAPIError as error:
        raise ToolError(str(error)) from None
    except httpx.HTTPError as error:
        raise ToolError(f"the collab server did not answer: {error!r}") from None
