"""The rich-text half of the REST client: a rich document (or a passage of it) read and edited
as Markdown or ProseMirror JSON (mixed into CollabClient)."""

from __future__ import annotations

from typing import Any, Literal, Protocol

import httpx

from collab.api.models import content as shapes
from collab.client.wire import parse, room_path


class _Transport(Protocol):
    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response: ...


def _passage(
    start: int | None, end: int | None, heading: str | None, occurrence: int
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if start is not None:
        params["start"] = start
    if end is not None:
        params["end"] = end
    if heading is not None:
        params["heading"] = heading
        params["occurrence"] = occurrence
    return params


class ContentCalls:
    """Rich content; needs the client's `_request`."""

    async def read_content(
        self: _Transport,
        room: str,
        format: Literal["markdown", "prosemirror"] = "markdown",
        *,
        start: int | None = None,
        end: int | None = None,
        heading: str | None = None,
        occurrence: int = 1,
    ) -> shapes.RichContent:
        """A rich document, or the passage asked for (blocks `start` to `end`, or the section
        under `heading`), with its tag (`base`) for a conditional edit."""
        params = {"format": format, **_passage(start, end, heading, occurrence)}
        response = await self._request("GET", room_path(room, "content"), params=params)
        return parse(shapes.RichContent, response)

    async def edit_content(
        self: _Transport,
        room: str,
        *,
        markdown: str | None = None,
        prosemirror: dict[str, Any] | None = None,
        base: str | None = None,
        start: int | None = None,
        end: int | None = None,
        heading: str | None = None,
        occurrence: int = 1,
    ) -> shapes.ContentEdited:
        """Make a rich document (or the passage) hold `markdown` or `prosemirror`, applied as
        the smallest edit; with `base` (a tag read), only if the passage did not change since
        (CollabAPIError 409 otherwise)."""
        body: dict[str, Any] = {"markdown": markdown, "prosemirror": prosemirror, "base": base}
        body = {key: value for key, value in body.items() if value is not None}
        params = _passage(start, end, heading, occurrence)
        path = room_path(room, "content")
        return parse(
            shapes.ContentEdited, await self._request("PATCH", path, json=body, params=params)
        )
