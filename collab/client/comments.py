"""The comments half of the REST client: threads on passages of a document and their comments
(mixed into CollabClient)."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

import httpx

from collab.api.models import comments as shapes
from collab.api.models.blame import BlameOut
from collab.api.models.people import PersonRef
from collab.client.wire import parse, room_path


class _Transport(Protocol):
    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response: ...


class CommentCalls:
    """Comment threads, and who wrote the passages they are on; needs the client's `_request`."""

    async def blame(
        self: _Transport, room: str, index: int | None = None, length: int | None = None
    ) -> BlameOut:
        """Who wrote the `length` characters from `index` of the room's text (default: all of
        it, up to the server's bound), as runs with their author and time."""
        params = {k: v for k, v in (("index", index), ("length", length)) if v is not None}
        response = await self._request("GET", room_path(room, "blame"), params=params)
        return parse(BlameOut, response)

    async def threads(
        self: _Transport,
        room: str,
        status: str = "open",
        *,
        index: int | None = None,
        length: int = 1,
    ) -> list[shapes.ThreadOut]:
        """The room's threads ("open", "resolved" or "all"), in document order; with `index`,
        only those on a passage overlapping the `length` characters from there."""
        params: dict[str, Any] = {"status": status}
        if index is not None:
            params.update(index=index, length=length)
        response = await self._request("GET", room_path(room, "threads"), params=params)
        return parse(shapes.ThreadPage, response).items

    async def thread(self: _Transport, room: str, thread: str) -> shapes.ThreadOut:
        """One thread of the room, with where its passage is now."""
        return parse(shapes.ThreadOut, await self._request("GET", _thread(room, thread)))

    async def comment_on(
        self: _Transport, room: str, index: int, length: int, body: str
    ) -> shapes.ThreadOut:
        """Start a thread on the `length` characters from `index` of the room's text."""
        return await _start_thread(
            self, room, {"passage": {"index": index, "length": length}}, body
        )

    async def comment_on_text(
        self: _Transport, room: str, text: str, body: str, *, occurrence: int = 1
    ) -> shapes.ThreadOut:
        """Start a thread on the `occurrence`-th place `text` stands in the room's text."""
        passage = {"text": text, "occurrence": occurrence}
        return await _start_thread(self, room, {"passage": passage}, body)

    async def reply(self: _Transport, room: str, thread: str, body: str) -> shapes.CommentOut:
        """Add a comment to a thread."""
        path = f"{_thread(room, thread)}/comments"
        return parse(shapes.CommentOut, await self._request("POST", path, json={"body": body}))

    async def edit_comment(
        self: _Transport, room: str, thread: str, comment: str, body: str
    ) -> shapes.CommentOut:
        """Change the text of one's own comment (any, as an admin of the room)."""
        path = f"{_thread(room, thread)}/comments/{_quote(comment)}"
        return parse(shapes.CommentOut, await self._request("PATCH", path, json={"body": body}))

    async def delete_comment(
        self: _Transport, room: str, thread: str, comment: str
    ) -> shapes.Deleted:
        """Delete a comment (its whole thread when it is the first)."""
        path = f"{_thread(room, thread)}/comments/{_quote(comment)}"
        return parse(shapes.Deleted, await self._request("DELETE", path))

    async def resolve(self: _Transport, room: str, thread: str) -> shapes.ThreadOut:
        """Mark a thread resolved."""
        path = f"{_thread(room, thread)}/resolve"
        return parse(shapes.ThreadOut, await self._request("POST", path))

    async def reopen(self: _Transport, room: str, thread: str) -> shapes.ThreadOut:
        """Reopen a resolved thread."""
        path = f"{_thread(room, thread)}/reopen"
        return parse(shapes.ThreadOut, await self._request("POST", path))

    async def mentionable(
        self: _Transport, room: str, q: str = "", limit: int = 8
    ) -> list[PersonRef]:
        """People who may be mentioned in the room's comments (who can read it), by name: those
        whose name or email holds `q`. Put `mention(person.id)` in a body to mention one."""
        params = {"q": q, "limit": str(limit)}
        response = await self._request("GET", room_path(room, "people"), params=params)
        return parse(shapes.Mentionable, response).items


def mention(person_id: str) -> str:
    """The token that mentions the person of this id in a comment's body (`<@ID>`)."""
    return f"<@{person_id}>"


async def _start_thread(
    client: _Transport, room: str, where: dict[str, Any], body: str
) -> shapes.ThreadOut:
    payload = {**where, "body": body}
    response = await client._request("POST", room_path(room, "threads"), json=payload)
    return parse(shapes.ThreadOut, response)


def _thread(room: str, thread: str) -> str:
    return room_path(room, "threads", _quote(thread))


def _quote(part: str) -> str:
    return quote(part, safe="")
