"""The REST API as an async client over httpx: rooms, snapshots and edits, and people: signing
in, sharing with them (collab/client/people.py)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

import httpx

from collab.api.models import rooms as shapes
from collab.api.models import versions as version_shapes
from collab.client.agents import AgentCalls
from collab.client.comments import CommentCalls
from collab.client.content import ContentCalls
from collab.client.images import ImageCalls
from collab.client.live import Backoff, LiveDocument, websocket_base
from collab.client.people import PeopleCalls
from collab.client.suggestions import SuggestionCalls
from collab.client.trash import TrashCalls
from collab.client.wire import CollabAPIError, parse, raise_for_status, room_path

YJS = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Room:
    """A room's metadata."""

    name: str
    created_at: datetime
    updated_at: datetime
    size_bytes: int
    clients: int
    # "text" (a Y.Text at content) or "rich" (an XmlFragment at content).
    kind: str = "text"
    # The title as typed (None: none, show the name); who is in it now, as the answering
    # process sees it; who edited it lately (listings).
    title: str | None = None
    present: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()
    # Who owns it (their name; None: nobody), and the caller's role on it.
    owner: str | None = None
    role: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Room:
        """Parse the JSON shape the server returns (validated by the server's own model)."""
        return cls.of(shapes.Room.model_validate({"kind": "text", **data}))

    @classmethod
    def of(cls, room: shapes.Room) -> Room:
        """The client's view of the API's Room."""
        return cls(
            room.name,
            room.created_at,
            room.updated_at,
            room.size_bytes,
            room.clients,
            room.kind,
            room.title,
            tuple(room.present),
            tuple(room.editors),
            room.owner.name if room.owner is not None else None,
            room.role,
        )


# Seconds the client's own HTTP client waits for each answer.
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class RoomPage:
    """One page of rooms, newest edit first, and the cursor of the next page (None at the end)."""

    items: tuple[Room, ...]
    next_cursor: str | None


class CollabClient(
    PeopleCalls, CommentCalls, SuggestionCalls, TrashCalls, ImageCalls, AgentCalls, ContentCalls
):
    """Async client for one collab server: every REST endpoint, plus `live()` documents. It
    acts with a token, or as a person once `sign_in` has run (their session cookie).

    Without an `http` client of the caller's, it makes one that waits up to `timeout` seconds
    for each answer (connecting, reading, writing): a PDF of a long document, an import or a
    copy can take longer than httpx's default 5 s on a busy server."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        http: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout)
        self._owns_http = http is None
        self.csrf_token: str | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            await self._http.aclose()

    def live(
        self, room: str, *, name: str | None = None, backoff: Backoff | None = None
    ) -> LiveDocument:
        """A live-synced document for `room`; use as `async with client.live(room) as live:`."""
        base = websocket_base(self.base_url)
        return LiveDocument(base, room, token=self.token, name=name, backoff=backoff)

    # -- rooms -----------------------------------------------------------------------------

    async def list_rooms(
        self,
        limit: int = 50,
        prefix: str = "",
        cursor: str | None = None,
        *,
        search: str = "",
        sort: str = "edited",
        scope: str = "all",
    ) -> RoomPage:
        """One page of rooms whose names start with `prefix` and whose title or name holds
        `search` (any case), in `sort` order: "edited", "title" or "created". Signed in as a
        person, `scope` chooses "all" they may open, "mine", "shared" (with them), "recent"."""
        params: dict[str, str | int] = {"limit": limit, "prefix": prefix, "sort": sort}
        if scope != "all":
            params["scope"] = scope
        if search:
            params["q"] = search
        if cursor is not None:
            params["cursor"] = cursor
        response = await self._request("GET", "/api/rooms", params=params)
        page = parse(shapes.RoomPage, response)
        return RoomPage(tuple(Room.of(room) for room in page.items), page.next_cursor)

    async def iter_rooms(self, prefix: str = "", page_size: int = 50) -> AsyncIterator[Room]:
        """Every room whose name starts with `prefix`, following cursors page by page."""
        cursor: str | None = None
        while True:
            page = await self.list_rooms(page_size, prefix, cursor)
            for room in page.items:
                yield room
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def get_room(self, room: str) -> Room:
        """A room's metadata."""
        return Room.of(parse(shapes.Room, await self._request("GET", room_path(room))))

    async def create_room(self, room: str, kind: str | None = None) -> tuple[Room, bool]:
        """Create a room if absent (of `kind`: "text" or "rich"); return it and whether this
        call created it."""
        body = {"json": {"kind": kind}} if kind is not None else {}
        response = await self._request("PUT", room_path(room), **body)
        return Room.of(parse(shapes.Room, response)), response.status_code == 201

    async def create_titled(self, title: str, kind: str | None = None) -> Room:
        """Create a document named after `title` (the server picks a free name); the room."""
        body: dict[str, str] = {"title": title, **({"kind": kind} if kind else {})}
        return Room.of(parse(shapes.Room, await self._request("POST", "/api/rooms", json=body)))

    async def rename(self, room: str, title: str | None) -> Room:
        """Give `room` a new title (None: none); its name stays."""
        response = await self._request("PATCH", room_path(room), json={"title": title})
        return Room.of(parse(shapes.Room, response))

    async def import_file(self, title: str, data: bytes, fmt: str) -> Room:
        """Create a document named after `title` holding `data`: "text", "markdown" (a
        rich-text document), "json" (as the JSON snapshot gives it), "yjs" (a Yjs update) or
        "collab" (the document with its comment threads, as `collab export --format collab`
        writes it)."""
        response = await self._request(
            "POST",
            "/api/imports",
            params={"title": title, "format": fmt},
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        return Room.of(parse(shapes.Room, response))

    async def delete_room(self, room: str) -> None:
        """Delete a room: it moves to the trash (`trash()`, `restore_from_trash()`), or is
        erased at once on a server whose COLLAB_TRASH_DAYS is 0; its live clients are closed
        with 4410."""
        await self._request("DELETE", room_path(room))

    async def copy_room(
        self, room: str, to: str, *, comments: bool = False, resolved_comments: bool = False
    ) -> Room:
        """Copy the committed state of `room` into the new room `to`; with `comments`, its open
        comment threads too (with `resolved_comments`, the resolved ones as well), under new
        ids."""
        body = {"to": to, "comments": comments, "resolved_comments": resolved_comments}
        response = await self._request("POST", room_path(room, "copy"), json=body)
        return Room.of(parse(shapes.Room, response))

    # -- snapshots -------------------------------------------------------------------------

    async def snapshot_text(self, room: str) -> str:
        """The committed root Text `content`."""
        return (await self._snapshot(room, "text")).text

    async def snapshot_markdown(self, room: str) -> str:
        """The committed root `content` as Markdown (plain text comes back as it is)."""
        return (await self._snapshot(room, "markdown")).text

    async def snapshot_json(self, room: str) -> dict[str, Any]:
        """Every root type of the committed document as JSON."""
        data: dict[str, Any] = (await self._snapshot(room, "json")).json()
        return data

    async def snapshot_update(self, room: str, since: bytes | None = None) -> bytes:
        """The committed document as a Yjs update, or only what a `since` state vector lacks."""
        params = {"since": _b64url(since)} if since is not None else {}
        return (await self._snapshot(room, "yjs", params)).content

    async def snapshot_collab(self, room: str) -> bytes:
        """The committed document with its comment threads, as a collab file (what
        `import_file(title, data, "collab")` and `collab import` read)."""
        return (await self._snapshot(room, "collab")).content

    async def snapshot_file(self, room: str, format: str, version: int | None = None) -> bytes:
        """The document (or one of its versions) as a file to print or edit elsewhere: "pdf" or
        "docx" (named after the title in the answer's Content-Disposition)."""
        params = {"version": str(version)} if version is not None else {}
        return (await self._snapshot(room, format, params)).content

    async def snapshot_text_if_changed(self, room: str, etag: str | None) -> tuple[str | None, str]:
        """The text and its ETag, or (None, etag) when unchanged since `etag` (304)."""
        headers = {"If-None-Match": etag} if etag else {}
        response = await self._send(
            "GET", room_path(room, "snapshot"), params={"format": "text"}, headers=headers
        )
        if response.status_code == 304:
            return None, response.headers.get("etag", etag or "")
        raise_for_status(response)
        return response.text, response.headers["etag"]

    async def _snapshot(
        self, room: str, format: str, params: dict[str, str] | None = None
    ) -> httpx.Response:
        query = {"format": format, **(params or {})}
        return await self._request("GET", room_path(room, "snapshot"), params=query)

    # -- versions --------------------------------------------------------------------------

    async def versions(
        self, room: str, limit: int = 50, cursor: str | None = None
    ) -> version_shapes.VersionPage:
        """One page of the room's recorded versions, newest first."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = await self._request("GET", room_path(room, "versions"), params=params)
        return parse(version_shapes.VersionPage, response)

    async def save_version(self, room: str, label: str) -> version_shapes.Version:
        """Record the current state as a version named `label`; the version."""
        path = room_path(room, "versions")
        return parse(
            version_shapes.Version, await self._request("POST", path, json={"label": label})
        )

    # -- edits -----------------------------------------------------------------------------

    async def apply_update(self, room: str, update: bytes, *, author: str | None = None) -> bytes:
        """Apply a binary Yjs update live; return the room's new state vector once committed."""
        headers = {"Content-Type": YJS, **_author(author)}
        path = room_path(room, "updates")
        response = await self._request("POST", path, content=update, headers=headers)
        return _state_vector(response)

    async def edit_text(
        self, room: str, ops: list[dict[str, Any]], *, author: str | None = None
    ) -> bytes:
        """Apply insert/delete ops to `content` (see the TextOp schema); return the state vector."""
        return await self._patch_text(room, {"ops": ops}, author)

    async def replace_text(self, room: str, text: str, *, author: str | None = None) -> bytes:
        """Make `content` equal `text` by a minimal diff; return the state vector."""
        return await self._patch_text(room, {"text": text}, author)

    async def _patch_text(self, room: str, body: dict[str, Any], author: str | None) -> bytes:
        path = room_path(room, "text")
        response = await self._request("PATCH", path, json=body, headers=_author(author))
        return _state_vector(response)

    # -- transport -------------------------------------------------------------------------

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self._send(method, path, **kwargs)
        raise_for_status(response)
        return response

    async def _send(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(headers or {})
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.csrf_token is not None and method.upper() not in ("GET", "HEAD"):
            headers["X-CSRF-Token"] = self.csrf_token
        return await self._http.request(method, self.base_url + path, headers=headers, **kwargs)


def _author(author: str | None) -> dict[str, str]:
    return {"X-Collab-Author": author} if author else {}


def _state_vector(response: httpx.Response) -> bytes:
    encoded = parse(shapes.StateVector, response).state_vector
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raise CollabAPIError(response.status_code, "state_vector is not base64url") from None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
