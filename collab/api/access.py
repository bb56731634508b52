"""Who is asking, and may they, as HTTP sees it: bearer tokens on REST, subprotocol or query
tokens on WebSockets, Origin checks. The admission itself is collab/admission.py's."""

from __future__ import annotations

import logging
from typing import Literal
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request

from collab.auth import Identity, Role, token_from_protocols
from collab.errors import Forbidden
from collab.hooks import RequestInfo
from collab.state import CollabState

log = logging.getLogger(__name__)


def bearer_token(connection: HTTPConnection) -> str | None:
    """The token of an `Authorization: Bearer` header."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def request_info(connection: HTTPConnection, kind: Literal["websocket", "http"]) -> RequestInfo:
    """What the host's hooks see of a request."""
    return RequestInfo(
        kind,
        connection.url.path,
        dict(connection.headers),
        dict(connection.cookies),
        dict(connection.query_params),
        connection.client.host if connection.client else None,
        connection.scope.get("method", "GET"),
    )


async def identify(request: Request) -> Identity:
    """The identity behind a REST request: the host's hook, else the bearer token (401
    problems when it is missing or bad)."""
    state: CollabState = request.app.state.collab
    info = request_info(request, "http")
    identity, _ = await state.admission.identify(info, bearer_token(request))
    return identity


async def authorize(request: Request, room: str, role: Role) -> Identity:
    """The identity, if it holds at least `role` on `room` (403 otherwise)."""
    state: CollabState = request.app.state.collab
    info = request_info(request, "http")
    admitted = await state.admission.admit(info, bearer_token(request), room, role)
    return admitted.identity


def require(identity: Identity, room: str, role: Role) -> None:
    """Raise Forbidden unless `identity` holds `role` on `room`."""
    held = identity.role_for(room)
    if held is None or held < role:
        need = role.name.lower()
        raise Forbidden(f"this needs the {need} role on room {room!r}")


def websocket_token(connection: HTTPConnection) -> str | None:
    """Sec-WebSocket-Protocol 'collab.token.<jwt>' first (what browsers can set); then an
    `Authorization: Bearer` header (non-browser clients); the `token` query parameter as a last
    fallback (redacted from logs)."""
    protocols = connection.scope.get("subprotocols") or []
    return (
        token_from_protocols(list(protocols))
        or bearer_token(connection)
        or connection.query_params.get("token")
    )


def origin_allowed(connection: HTTPConnection, allowed: str) -> bool:
    """Browsers send Origin; it must be listed, or equal this server's own origin when nothing
    is listed. No Origin (a non-browser client) is allowed: tokens, not cookies, carry identity."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    listed = {item.strip().rstrip("/") for item in allowed.split(",") if item.strip()}
    if "*" in listed:
        return True
    if listed:
        return origin.rstrip("/") in listed
    host = connection.headers.get("host", "")
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc == host
