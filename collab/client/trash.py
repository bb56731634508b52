"""The trash half of the REST client: deleted documents the caller may restore, restoring
one and deleting one forever (mixed into CollabClient)."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

import httpx

from collab.api.models import rooms
from collab.api.models import trash as shapes
from collab.client.wire import parse


class _Transport(Protocol):
    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response: ...


def _trash_path(room: str, *rest: str) -> str:
    return "/".join(["/api/trash", quote(room, safe=""), *rest])


class TrashCalls:
    """The trash; needs the client's `_request`."""

    async def trash(self: _Transport) -> shapes.TrashPage:
        """The deleted documents the caller may restore (all of them for a server admin, a
        person's own), most recently deleted first, and how many days the trash keeps them."""
        return parse(shapes.TrashPage, await self._request("GET", "/api/trash"))

    async def restore_from_trash(self: _Transport, room: str) -> rooms.Room:
        """Bring `room` back from the trash as it was (content, history, comments, sharing,
        links); the room."""
        response = await self._request("POST", _trash_path(room, "restore"))
        return parse(rooms.Room, response)

    async def delete_forever(self: _Transport, room: str) -> None:
        """Erase `room`, in the trash, now: it cannot be restored, and its name is free."""
        await self._request("DELETE", _trash_path(room))
