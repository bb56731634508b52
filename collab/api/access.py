"""Who is asking, and may they: bearer tokens on REST, subprotocol or query tokens on
WebSockets, Origin checks. Roles come from collab.auth."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request

from collab.auth import Identity, Role, token_from_protocols
from collab.errors import Forbidden, StoreUnavailable, Unauthorized
from collab.hooks import Authenticate, Authorize, RequestInfo
from collab.recheck import link_refusal
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
    )


async def hook_identity(state: CollabState, info: RequestInfo) -> Identity | None:
    """The identity the host's on_authenticate hook gives, if it is overridden and gives one.
    Without a token key (development mode), a host that authenticates refuses the rest
    (Unauthorized) rather than letting them in as anonymous admins."""
    runner = state.hooks
    if not runner.overrides("on_authenticate"):
        return None
    event = Authenticate(info)
    identity = await runner.call("on_authenticate", runner.hooks.on_authenticate(event))
    if identity is None and state.auth.development:
        raise Unauthorized("not signed in")
    return identity


async def room_role(
    state: CollabState, identity: Identity, room: str, info: RequestInfo
) -> Role | None:
    """The role `identity` has on `room`: its grants, or the host's on_authorize hook."""
    runner = state.hooks
    if not runner.overrides("on_authorize"):
        return identity.role_for(room)
    event = Authorize(identity, room, info)
    return await runner.call("on_authorize", runner.hooks.on_authorize(event))


async def live_link(state: CollabState, identity: Identity) -> Identity:
    """`identity`, unless it came through a share link that is no longer live in the store
    (LinkRevoked 4403/403, LinkExpired 4419/401)."""
    if identity.link is None:
        return identity
    try:
        found = await state.store.links.find_links([identity.link])
    except Exception:
        log.exception("share link %s could not be checked", identity.link)
        raise StoreUnavailable("the share link could not be checked; retry later") from None
    refusal = link_refusal(found.get(identity.link), datetime.now(UTC))
    if refusal is not None:
        raise refusal
    return identity


async def token_identity(
    state: CollabState, token: str | None, *, fallback_name: str | None = None
) -> Identity:
    """The identity a token carries, its share link (if any) checked live."""
    return await live_link(state, state.auth.identify(token, fallback_name=fallback_name))


async def identify(request: Request) -> Identity:
    """The identity behind a REST request: the host's hook, else the bearer token (401
    problems when it is missing or bad)."""
    state: CollabState = request.app.state.collab
    identity = await hook_identity(state, request_info(request, "http"))
    return identity or await token_identity(state, bearer_token(request))


async def authorize(request: Request, room: str, role: Role) -> Identity:
    """The identity, if it holds at least `role` on `room` (403 otherwise)."""
    state: CollabState = request.app.state.collab
    info = request_info(request, "http")
    identity = await hook_identity(state, info) or await token_identity(
        state, bearer_token(request)
    )
    held = await room_role(state, identity, room, info)
    if held is None or held < role:
        raise Forbidden(f"this needs the {role.name.lower()} role on room {room!r}")
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
