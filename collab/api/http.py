"""Request helpers shared by the REST endpoints: bounded bodies, JSON, negotiation, encodings."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from starlette.requests import Request

from collab.api.access import origin_allowed
from collab.errors import (
    Forbidden,
    InvalidRequest,
    MessageTooBig,
    NotAcceptable,
    RoomNotFound,
    UnsupportedData,
)
from collab.state import CollabState
from collab.types import is_decimal, is_valid_room_name


def state_of(request: Request) -> CollabState:
    """The app's CollabState."""
    state: CollabState = request.app.state.collab
    return state


def room_param(request: Request, name: str = "room") -> str:
    """A room name from the path; an impossible name is simply not found."""
    room: str = request.path_params[name]
    if not is_valid_room_name(room):
        raise RoomNotFound(f"room {room!r} does not exist (invalid room name)")
    return room


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and is_decimal(declared) and int(declared) > limit:
        raise MessageTooBig(f"request body of {declared} bytes exceeds the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise MessageTooBig(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int, *, optional: bool = False) -> Any:
    """A JSON body (any Content-Type that is JSON), bounded by `limit`; with `optional`, None
    for an empty body."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise InvalidRequest(f"expected Content-Type application/json, got {media or 'none'}")
    body = await read_body(request, limit)
    if optional and not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRequest(f"body is not valid JSON: {error}") from None
    except RecursionError:
        raise InvalidRequest("body is not valid JSON: nested too deeply") from None


def negotiate(accept: str | None, offers: list[str]) -> str:
    """The offer Accept prefers: each offer takes the quality of the most specific range that
    matches it (so "application/json;q=0, */*" refuses JSON); the highest wins, ties going to
    the range the client listed first, then to the order of `offers`."""
    if not accept:
        return offers[0]
    ranges = [_media_range(part) for part in accept.split(",")]
    best: tuple[float, int, int] | None = None
    chosen = None
    for rank, offer in enumerate(offers):
        matches = [
            (specificity, quality, position)
            for position, (media, quality) in enumerate(ranges)
            if (specificity := _specificity(media, offer)) is not None
        ]
        if not matches:
            continue
        _, quality, position = max(matches, key=lambda match: (match[0], -match[2]))
        key = (-quality, position, rank)
        if quality > 0 and (best is None or key < best):
            best, chosen = key, offer
    if chosen is None:
        raise NotAcceptable(f"can produce only {', '.join(offers)}; Accept was {accept!r}")
    return chosen


def _media_range(part: str) -> tuple[str, float]:
    media, *params = [p.strip() for p in part.split(";")]
    quality = 1.0
    for param in params:
        if param.startswith("q="):
            try:
                quality = float(param[2:])
            except ValueError:
                quality = 0.0
    return media.lower(), quality


def _specificity(media: str, offer: str) -> int | None:
    """How specifically `media` names `offer`: 2 exactly, 1 as type/*, 0 as */*."""
    if media == offer:
        return 2
    if media == offer.split("/")[0] + "/*":
        return 1
    return 0 if media == "*/*" else None


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str, what: str) -> bytes:
    """Decode base64url with or without padding; a clear 422 otherwise."""
    try:
        padded = text + "=" * (-len(text) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"{what} is not valid base64url") from None


def strong_etag(*parts: bytes) -> str:
    """A strong ETag over the given bytes."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return f'"{b64url(digest.digest()[:18])}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match (weak comparison)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return etag in candidates


# Bodies a cross-site form or `fetch(..., {mode: "no-cors"})` can send without a CORS preflight.
_SIMPLE_MEDIA = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
_CHANGES = {"POST", "PUT", "PATCH", "DELETE"}


def refuse_cross_site(request: Request) -> None:
    """A state-changing request must come from an allowed Origin (browsers send one with every
    such request) and carry JSON or a Yjs update, never a body a cross-site form could send:
    in development mode, where no token is needed, any web page could otherwise write to a
    local server with a simple POST."""
    if request.method not in _CHANGES:
        return
    if not origin_allowed(request, state_of(request).settings.allowed_origins):
        raise Forbidden(
            f"cross-site request from {request.headers.get('origin')!r} refused; "
            "allow the origin with COLLAB_ALLOWED_ORIGINS"
        )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in _SIMPLE_MEDIA:
        raise UnsupportedData(
            f"Content-Type {media} is not accepted; send application/json, or "
            "application/octet-stream for a Yjs update"
        )
