"""REST endpoints for share links (README "Sharing"): mint, list and revoke, admins only.

A link is a stored grant (collab/store/links.py) and a signed token naming it (`lnk` claim):
the token can only be checked, so revocation lives in the database, and everything else about
tokens stays stateless.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from collab.api.models.links import Link, LinkPage, MintedLink, NewLink, RevokedLink
from collab.api.operations import JsonBody, Operation, Reply, RoomCall, reply, resource
from collab.auth import Role, issue_link_token
from collab.errors import LinkNotFound, LinkRevoked, LinksUnavailable
from collab.state import CollabState

_ROLES = {"viewer": Role.VIEWER, "commenter": Role.COMMENTER, "editor": Role.EDITOR}
_CANNOT_SIGN = "This server cannot sign links: no COLLAB_SECRET, or a public key only"

_NEW_LINK = JsonBody(NewLink)
CREATE_LINK = Operation(
    "createLink",
    "Make a share link: a viewer, commenter or editor grant on the room, until it expires or "
    "is revoked",
    {201: Reply("The link, with its token and URL (shown this once)", MintedLink)},
    description="The URL starts with COLLAB_PUBLIC_URL, else the URL the request came to.",
    role=Role.ADMIN,
    body=_NEW_LINK,
    problems={409: _CANNOT_SIGN},
)


@CREATE_LINK.on_room
async def create_link(call: RoomCall[None, NewLink]) -> Response:
    """POST /api/rooms/{room}/links {role, expires_in | expires_at, label}: a new link."""
    room, body, state = call.room, call.body, call.state
    secret = _signing_secret(state)
    expires_at = body.expiry()
    link = await state.store.links.create_link(
        room,
        body.role,
        created_by=call.identity.display,
        expires_at=expires_at,
        label=body.label or None,
    )
    expiry = expires_at.timestamp() if expires_at is not None else None
    role = _ROLES[body.role]
    token = issue_link_token(secret, link=link.id, room=room, role=role, expires_at=expiry)
    url = f"{_base_url(call.request, state)}/d/{room}#token={token}"
    shown = Link.of(link, datetime.now(UTC)).model_dump()
    return reply(MintedLink.model_validate({**shown, "token": token, "url": url}), 201)


LIST_LINKS = Operation(
    "listLinks",
    "Every share link of the room, newest first, live, expired or revoked (never a token)",
    {200: Reply("The links", LinkPage)},
    role=Role.ADMIN,
)


@LIST_LINKS.on_room
async def list_links(call: RoomCall[None, None]) -> Response:
    """GET /api/rooms/{room}/links."""
    links = await call.state.store.links.list_links(call.room)
    now = datetime.now(UTC)
    return reply(LinkPage(items=[Link.of(link, now) for link in links]))


REVOKE_LINK = Operation(
    "revokeLink",
    "Revoke a share link and close the connections that came through it",
    {200: Reply("The link, revoked (revoking again changes nothing)", RevokedLink)},
    description="Its connections on this process close at once with 4403 `link revoked`; "
    "other processes of a cluster close theirs within COLLAB_LINK_RECHECK seconds.",
    role=Role.ADMIN,
)


@REVOKE_LINK.on_room
async def revoke_link(call: RoomCall[None, None]) -> Response:
    """DELETE /api/rooms/{room}/links/{link}."""
    room, state = call.room, call.state
    link_id = call.request.path_params["link"]
    link = await state.store.links.revoke_link(room, link_id, datetime.now(UTC))
    if link is None:
        raise LinkNotFound(f"room {room!r} has no link {link_id!r}")
    closed = state.access.close_link(link.id, LinkRevoked())
    shown = Link.of(link, datetime.now(UTC)).model_dump()
    return reply(RevokedLink.model_validate({**shown, "closed_connections": closed}))


def _signing_secret(state: CollabState) -> str:
    secret = state.settings.secret
    if secret is None or state.settings.public_key:
        raise LinksUnavailable(
            "this server cannot sign share links: they need COLLAB_SECRET (and no "
            "COLLAB_PUBLIC_KEY, whose tokens are signed elsewhere)"
        )
    return secret


def _base_url(request: Request, state: CollabState) -> str:
    """COLLAB_PUBLIC_URL when set, else the URL this request came to."""
    if state.settings.public_url:
        return state.settings.public_base_url()
    return str(request.base_url).rstrip("/")


routes = [
    resource("/api/rooms/{room}/links", get=list_links, post=create_link),
    resource("/api/rooms/{room}/links/{link}", delete=revoke_link),
]
