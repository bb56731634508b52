"""Who is asking, and may they: bearer tokens on REST, subprotocol or query tokens on
WebSockets, Origin checks. Roles come from collab.auth."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request

from collab.auth import Identity, Role, token_from_protocols
from collab.errors import Forbidden
from collab.state import CollabState


def bearer_token(connection: HTTPConnection) -> str | None:
    """The token of an `Authorization: Bearer` header."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def identify(request: Request) -> Identity:
    """The identity behind a REST request (401 problems when the token is missing or bad)."""
    state: CollabState = request.app.state.collab
    return state.auth.identify(bearer_token(request))


def authorize(request: Request, room: str, role: Role) -> Identity:
    """The identity, if it holds at least `role` on `room` (403 otherwise)."""
    identity = identify(request)
    require(identity, room, role)
    return identity


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
