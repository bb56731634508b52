"""Admission: who is asking, and which role they hold on a room, as one step.

Identify (the host's on_authenticate hook, else the token, a share link's checked live in the
store, else the session cookie of a person signed in), then authorize (the host's on_authorize
hook, else the token's grants and, for a person, what the store gives them). REST requests
and WebSocket joins both come through `Admission.admit`; a host replaces the first half with
its on_authenticate hook and the second with on_authorize (README "Hooks").
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from collab.auth import Authenticator, Identity, Role
from collab.errors import (
    CollabError,
    Forbidden,
    LinkExpired,
    LinkRevoked,
    TokenMissing,
    Unauthorized,
)
from collab.hooks import Authenticate, Authorize, HookRunner, RequestInfo
from collab.people.access import PersonAccess
from collab.people.sessions import COOKIE, CSRF_HEADER, SAFE_METHODS, Sessions
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
    people: PersonAccess | None = None,
    claim: bool = False,
) -> Role | None:
    """The role `identity` has on `room`: the host's on_authorize hook, else its grants and,
    for a person signed in, what `people` gives them (`claim`: a room nobody stored yet is made
    theirs). An open connection's access is re-checked (recheck.py) with this same question."""
    if not runner.overrides("on_authorize"):
        if people is not None and identity.person is not None:
            return await people.role(identity, room, claim=claim)
        return identity.role_for(room)
    event = Authorize(identity, room, info, recheck=recheck)
    return await runner.call("on_authorize", runner.hooks.on_authorize(event))


class Admission:
    """Identify, then authorize, for one room: the one seam a host's hooks replace."""

    def __init__(
        self,
        auth: Authenticator,
        hooks: HookRunner,
        links: LinkStore,
        sessions: Sessions | None = None,
        people: PersonAccess | None = None,
        *,
        cookie_origins: str = "",
    ) -> None:
        self._auth = auth
        self._hooks = hooks
        self._links = links
        self.sessions = sessions
        self.people = people
        # Browser origins besides this server's own that may use a session cookie on a
        # WebSocket ("*" does not count: a cookie must not open to every site).
        self._cookie_origins = {
            o.strip().rstrip("/") for o in cookie_origins.split(",") if o.strip() not in ("", "*")
        }

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
        # A person opening a document nobody stored yet becomes its owner (REST operations
        # that create one make their caller its owner once it exists: api/ownership.py).
        claim = info.kind == "websocket"
        role = await authorized_role(
            self._hooks, identity, room, info, people=self.people, claim=claim
        )
        if role is None or role < need:
            raise Forbidden(f"this needs the {need.name.lower()} role on room {room!r}")
        if info.kind == "websocket" and identity.person is not None and identity.agent is None:
            if self.people is not None:
                await self.people.store.visit(room, identity.person)
        return Admitted(identity, role, by_hook)

    async def identify(
        self, info: RequestInfo, token: str | None, *, fallback_name: str | None = None
    ) -> tuple[Identity, bool]:
        """The identity the host's on_authenticate hook gives, else the token's (its share
        link checked live); True when the hook gave it."""
        hooked = await self._hook_identity(info)
        if hooked is not None:
            return hooked, True
        if not token and self.sessions is not None and not self._auth.development:
            signed_in = await self._session_identity(info)
            if signed_in is not None:
                return signed_in, False
            raise TokenMissing("not signed in: sign in at /signin, or send a token")
        identity = self._auth.identify(token, fallback_name=fallback_name)
        if identity.link is not None and fallback_name:  # the name a link's visitor picked
            identity = dataclasses.replace(identity, name=fallback_name)
        return await self._live_link(identity), False

    async def _session_identity(self, info: RequestInfo) -> Identity | None:
        """The person whose session cookie `info` carries (None: no live session). A request
        that changes something must carry the session's CSRF token too, and a WebSocket must
        come from this server's own origin or one listed (403 otherwise)."""
        assert self.sessions is not None
        cookie = info.cookies.get(COOKIE)
        if not cookie:
            return None
        found = await self.sessions.find(cookie)
        if found is None:
            return None
        if info.kind == "http" and info.method.upper() not in SAFE_METHODS:
            sent = info.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), found.session.csrf.encode()):
                raise Forbidden(
                    "this request needs the session's CSRF token in the X-CSRF-Token header "
                    "(GET /api/me gives it)"
                )
        if info.kind == "websocket" and not self._origin_may_use_cookie(info):
            raise Forbidden("a session cookie is only accepted from this server's own pages")
        return found.identity

    def _origin_may_use_cookie(self, info: RequestInfo) -> bool:
        origin = info.headers.get("origin")
        if origin is None:
            return True
        if origin.rstrip("/") in self._cookie_origins:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc == info.headers.get("host")

    async def role(self, identity: Identity, room: str, info: RequestInfo | None) -> Role | None:
        """The role `identity` has on `room`: the host's on_authorize hook, else its grants
        (and, for a person, what the store gives them)."""
        return await authorized_role(self._hooks, identity, room, info, people=self.people)

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
        if identity.person is not None and self.people is not None:
            return None  # a person's listing is filtered by `person_scope` instead
        patterns = [grant.pattern for grant in identity.grants]
        return None if "*" in patterns else patterns

    def person_scope(self, identity: Identity, scope: str) -> tuple[str, str] | None:
        """For a person's listing without the host's on_authorize hook: (their id, `scope`),
        which lists exactly what they may open; None (every room, each then checked) for a
        server admin's "all" and for everyone else."""
        if self._hooks.overrides("on_authorize") or self.people is None:
            return None
        if identity.person is None or (scope == "all" and identity.server_admin):
            return None
        return identity.person, scope

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
