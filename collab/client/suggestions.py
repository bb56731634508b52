"""The suggestions half of the REST client: proposed edits as comment threads, made by passage
(or an editor's anchors), changed, withdrawn, accepted and rejected (mixed into CollabClient)."""

from __future__ import annotations

from typing import Any, Literal, Protocol
from urllib.parse import quote

import httpx

from collab.api.models import comments as shapes
from collab.api.models import suggestions as suggestion_shapes
from collab.client.wire import parse, room_path

Kind = Literal["insert", "delete", "replace", "format"]


class _Transport(Protocol):
    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response: ...


class SuggestionCalls:
    """Suggestions; needs the client's `_request`."""

    async def suggestions(
        self: _Transport, room: str, status: str = "open"
    ) -> list[shapes.ThreadOut]:
        """The room's suggestions ("open", "accepted", "rejected" or "all"), each the thread
        carrying it, in document order."""
        response = await self._request(
            "GET", room_path(room, "suggestions"), params={"status": status}
        )
        return parse(suggestion_shapes.SuggestionPage, response).items

    async def suggest(self: _Transport, room: str, body: dict[str, Any]) -> shapes.ThreadOut:
        """Post a suggestion as the API takes it (`kind`, `text`, and `at`, `anchor` or
        `passage`; optional `body`)."""
        return await _post(self, room, body)

    async def suggest_insert(
        self: _Transport, room: str, index: int, text: str, *, body: str = ""
    ) -> shapes.ThreadOut:
        """Suggest inserting `text` at code point `index` of the room's text."""
        payload = {"kind": "insert", "passage": {"index": index, "length": 0}, "text": text}
        return await _post(self, room, {**payload, "body": body})

    async def suggest_change(
        self: _Transport,
        room: str,
        passage: str,
        text: str,
        *,
        occurrence: int = 1,
        body: str = "",
    ) -> shapes.ThreadOut:
        """Suggest replacing the `occurrence`-th place `passage` stands in the room's text by
        `text` (deleting it when `text` is "")."""
        kind: Kind = "replace" if text else "delete"
        payload = {
            "kind": kind,
            "passage": {"text": passage, "occurrence": occurrence},
            "text": text,
            "body": body,
        }
        return await _post(self, room, payload)

    async def suggest_format(
        self: _Transport,
        room: str,
        passage: str,
        marks: dict[str, bool],
        *,
        occurrence: int = 1,
        body: str = "",
    ) -> shapes.ThreadOut:
        """Suggest adding (True) or removing (False) `marks` ("bold", "italic", "strike",
        "underline", "code") over the `occurrence`-th place `passage` stands in the room's
        rich text."""
        payload = {
            "kind": "format",
            "passage": {"text": passage, "occurrence": occurrence},
            "marks": marks,
            "body": body,
        }
        return await _post(self, room, payload)

    async def change_suggestion(
        self: _Transport, room: str, thread: str, changes: dict[str, Any]
    ) -> shapes.ThreadOut:
        """Change one's own open suggestion: `text`, `anchor` or `at`."""
        response = await self._request("PATCH", _suggestion(room, thread), json=changes)
        return parse(shapes.ThreadOut, response)

    async def withdraw_suggestion(self: _Transport, room: str, thread: str) -> None:
        """Withdraw one's own open suggestion (it and its thread are gone)."""
        await self._request("DELETE", _suggestion(room, thread))

    async def accept_suggestion(self: _Transport, room: str, thread: str) -> shapes.ThreadOut:
        """Accept a suggestion: its edit is applied, credited to its author."""
        response = await self._request("POST", f"{_suggestion(room, thread)}/accept")
        return parse(shapes.ThreadOut, response)

    async def reject_suggestion(self: _Transport, room: str, thread: str) -> shapes.ThreadOut:
        """Reject a suggestion."""
        response = await self._request("POST", f"{_suggestion(room, thread)}/reject")
        return parse(shapes.ThreadOut, response)

    async def accept_all_suggestions(self: _Transport, room: str, author: str) -> int:
        """Accept every open suggestion of `author` (a person's id, or a name); how many."""
        path = room_path(room, "suggestions", "accept-all")
        response = await self._request("POST", path, json={"author": author})
        return parse(suggestion_shapes.AcceptedAll, response).accepted

    async def reject_all_suggestions(self: _Transport, room: str, author: str) -> int:
        """Reject every open suggestion of `author`; how many."""
        path = room_path(room, "suggestions", "reject-all")
        response = await self._request("POST", path, json={"author": author})
        return parse(suggestion_shapes.RejectedAll, response).rejected


async def _post(client: _Transport, room: str, payload: dict[str, Any]) -> shapes.ThreadOut:
    response = await client._request("POST", room_path(room, "suggestions"), json=payload)
    return parse(shapes.ThreadOut, response)


def _suggestion(room: str, thread: str) -> str:
    return room_path(room, "suggestions", quote(thread, safe=""))
