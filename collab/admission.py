"""Admission: who is asking, and which role they hold on a room, as one step.

Identify (the host's on_authenticate hook, else the token, a share link's checked live in the
store), then authorize (the host's on_authorize hook, else the token's grants). REST requests
and WebSocket joins both come through `Admission.admit`; a host replaces the first half with
its on_authenticate hook and the second with on_authorize (README "Hooks").
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from collab.auth import Authenticator, Identity, Role
from collab.errors import (
    CollabError,
    Forbidden,
    LinkExpired,
    LinkRevoked,
    Unauthorized,
)
from collab.hooks import Authenticate, Authorize, HookRunner, RequestInfo
from collab.store.base import LinkStore, ShareLink


@dataclass(frozen=True, slots=True)
class Admitted:
    """Who was let in, the role they hold, and whether the host's hook named them."""

    identity: Identity
    role: Role
    by_hook: bool


def link_refusal(link: ShareLink | None, now: datetime) -> CollabError | None:
    """Why a share link admits nobody (LinkRevoked, LinkExpired), or None while it is live; an
    unknown link (its room deleted since) counts as revoked."""
    status = "revoked" if link is None else link.status(now)
    if status == "revoked":
        return LinkRevoked()
    return LinkExpired() if status == "expired" else None


async def authorized_role(
    runner: HookRunner,
    identity: Identity,
    room: str,
    info: RequestInfo | None,
    *,
    recheck: bool = False,
) -> Role | None:
    """The role `identity` has on `room`: the host's on_authorize hook, else its grants. An
    open connection's access is re-checked (recheck.py) with this same question."""
    if not runner.overrides("on_authorize"):
        return identity.role_for(room)
    event = Authorize(identity, room, info, recheck=recheck)
    return await runner.call("on_authorize", runner.hooks.on_authorize(event))


class Admission:
    """Identify, then authorize, for one room: the one seam a host's hooks replace."""

    def __init__(self, auth: Authenticator, hooks: HookRunner, links: LinkStore) -> None:
        self._auth = auth
        self._hooks = hooks
        self._links = links

    async def admit(
        self,
        info: RequestInfo,
        token: str | None,
        room: str,
        need: Role,
        *,
        fallback_name: str | None = None,
    ) -> Admitted:
        """Who is asking, if they hold at least `need` on `room` (401, 403 otherwise)."""
        identity, by_hook = await self.identify(info, token, fallback_name=fallback_name)
        role = await self.role(identity, room, info)
        if role is None or role < need:
            raise Forbidden(f"this needs the {need.name.lower()} role on room {room!r}")
        return Admitted(identity, role, by_hook)

    async def identify(
        self, info: RequestInfo, token: str | None, *, fallback_name: str | None = None
    ) -> tuple[Identity, bool]:
        """The identity the host's on_authenticate hook gives, else the token's (its share
        link checked live); True when the hook gave it."""
        hooked = await self._hook_identity(info)
        if hooked is not None:
            return hooked, True
        identity = self._auth.identify(token, fallback_name=fallback_name)
        return await self._live_link(identity), False

    async def role(self, identity: Identity, room: str, info: RequestInfo | None) -> Role | None:
        """The role `identity` has on `room`: the host's on_authorize hook, else its grants."""
        return await authorized_role(self._hooks, identity, room, info)

    async def roles(
        self, identity: Identity, rooms: Sequence[str], info: RequestInfo
    ) -> list[Role | None]:
        """The role `identity` has on each room, as `role` finds it, asked together: a room
        listing shows only what its reader may open."""
        return list(await asyncio.gather(*(self.role(identity, r, info) for r in rooms)))

    def listing_patterns(self, identity: Identity) -> list[str] | None:
        """Room name patterns a listing may filter by in the database before `roles` checks
        each room: the token's grants, or None (every room) when they cannot tell, because the
        host's on_authorize hook decides or a grant covers everything."""
        if self._hooks.overrides("on_authorize"):
            return None
        patterns = [grant.pattern for grant in identity.grants]
        return None if "*" in patterns else patterns

    async def _hook_identity(self, info: RequestInfo) -> Identity | None:
        """Without a token key (development mode), a host that authenticates refuses the rest
        (Unauthorized) rather than letting them in as anonymous admins."""
        runner = self._hooks
        if not runner.overrides("on_authenticate"):
            return None
        event = Authenticate(info)
        identity = await runner.call("on_authenticate", runner.hooks.on_authenticate(event))
        if identity is None and self._auth.development:
            raise Unauthorized("not signed in")
        return identity

    async def _live_link(self, identity: Identity) -> Identity:
        """`identity`, unless it came through a share link that is no longer live in the store
        (LinkRevoked 4403/403, LinkExpired 4419/401)."""
        if identity.link is None:
            return identity
        found = await self._links.find_links([identity.link])
        refusal = link_refusal(found.get(identity.link), datetime.now(UTC))
        if refusal is not None:
            raise refusal
        return identity
