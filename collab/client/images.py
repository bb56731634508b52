"""The images half of the REST client: upload an image into a document, get one back (mixed
into CollabClient)."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

import httpx

from collab.api.models.images import ImageOut
from collab.client.wire import parse, room_path


class _Transport(Protocol):
    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response: ...


class ImageCalls:
    """Images of documents; needs the client's `_request`."""

    async def upload_image(self: _Transport, room: str, data: bytes) -> ImageOut:
        """Store `data` (PNG, JPEG, GIF or WebP, told by its bytes) with `room`'s document;
        the answer's `url` goes in an image node's `src`."""
        headers = {"content-type": "application/octet-stream"}
        response = await self._request(
            "POST", room_path(room, "images"), content=data, headers=headers
        )
        return parse(ImageOut, response)

    async def image(self: _Transport, room: str, image_id: str) -> tuple[bytes, str]:
        """The bytes of an image of `room` and their content type."""
        response = await self._request("GET", room_path(room, "images", quote(image_id, safe="")))
        return response.content, response.headers.get("content-type", "")
