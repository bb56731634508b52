"""Open connections' access, re-checked with the host's on_authorize hook (or, for people signed
in, their session and what the store gives them): periodically and when asked
(`CollabState.recheck_access`, a share removed, a person deactivated); a connection that lost
it is closed with 4403.
Connections admitted through a share link are closed when it is revoked here (`close_link`)
and, for one revoked on another process of a cluster, by a periodic check of their links."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from collab.admission import authorized_role, link_refusal
from collab.auth import Identity, Role
from collab.errors import (
    CollabError,
    Forbidden,
    HookFailed,
    LinkRevoked,
    StoreUnavailable,
    Unauthorized,
)
from collab.hooks import HookRunner
from collab.people.access import PersonAccess
from collab.people.sessions import identity_of
from collab.store.base import LinkStore
from collab.store.people import SqlPeople

log = logging.getLogger(__name__)


def session_expired() -> Unauthorized:
    """What a person's editor is closed with when their session has run out, by a re-check
    or by its timer (api/ws.py): 4401, and the page offers to sign in again."""
    return Unauthorized("session expired: sign in again")


# Re-checks run at most this many at once.
_CONCURRENCY = 32


@dataclass(eq=False, slots=True)
class Watched:
    """One open connection: who, where, with which role, and how to close it."""

    identity: Identity
    room: str
    role: Role
    fail: Callable[[CollabError], None]


class AccessWatch:
    """The connections whose access is re-checked."""

    def __init__(
        self,
        runner: HookRunner,
        interval: float,
        links: LinkStore | None = None,
        link_interval: float = 0.0,
        people: PersonAccess | None = None,
        sessions: SqlPeople | None = None,
    ) -> None:
        self._runner = runner
        self._interval = interval
        self._links = links
        self._link_interval = link_interval
        self._people = people
        self._sessions = sessions
        self._watched: set[Watched] = set()
        # Links revoked on this process: a connection admitted just before the revocation,
        # and watched just after it, is closed as it starts being watched.
        self._revoked: set[str] = set()
        self._limit = asyncio.Semaphore(_CONCURRENCY)

    @property
    def active(self) -> bool:
        """Only a host's own on_authorize hook can change its answer while connected."""
        return self._runner.overrides("on_authorize")

    def _rechecked(self, watched: Watched) -> bool:
        """Whether `watched`'s access can change while connected: the host's hook decides,
        or it is a person's (a session ends, a share is removed)."""
        return self.active or (self._people is not None and watched.identity.person is not None)

    def watch(self, watched: Watched) -> None:
        """Re-check `watched` until `unwatch`."""
        link = watched.identity.link
        if link is not None and link in self._revoked:
            watched.fail(LinkRevoked())
        elif self._rechecked(watched) or link is not None:
            self._watched.add(watched)

    def unwatch(self, watched: Watched) -> None:
        """Stop re-checking `watched` (its connection closed)."""
        self._watched.discard(watched)

    async def run(self) -> None:
        """Re-check every connection each interval, and every link in use each link interval,
        until cancelled."""
        async with asyncio.TaskGroup() as group:
            if (self.active or self._people is not None) and self._interval > 0:
                group.create_task(_every(self._interval, self.recheck))
            if self._links is not None and self._link_interval > 0:
                group.create_task(_every(self._link_interval, self.check_links))

    def close_link(self, link: str, refusal: CollabError) -> int:
        """Close every connection admitted through `link` with `refusal`; how many."""
        if isinstance(refusal, LinkRevoked):
            self._revoked.add(link)
        chosen = [w for w in list(self._watched) if w.identity.link == link]
        for watched in chosen:
            self._close(watched, refusal)
        return len(chosen)

    async def check_links(self) -> int:
        """Close the connections whose share link is no longer live (revoked on another
        process, say); how many. A store that fails leaves them open (logged)."""
        in_use = {w.identity.link for w in self._watched if w.identity.link is not None}
        if self._links is None or not in_use:
            return 0
        try:
            found = await self._links.find_links(in_use)
        except StoreUnavailable as error:
            log.warning("share links could not be checked (%s)", error.cause)
            return 0
        except Exception:
            log.exception("share links could not be checked")
            return 0
        now = datetime.now(UTC)
        closed = 0
        for link in in_use:
            refusal = link_refusal(found.get(link), now)
            if refusal is not None:
                closed += self.close_link(link, refusal)
        return closed

    async def recheck(self, *, room: str | None = None, user_id: str | None = None) -> int:
        """Re-check the connections to `room` and/or of `user_id` (all when both are None) now;
        how many were closed."""
        chosen = [
            w
            for w in list(self._watched)
            if self._rechecked(w)
            and (room is None or w.room == room)
            and (user_id is None or user_id in _acting(w.identity))
        ]
        closed = await asyncio.gather(*(self._check(w) for w in chosen))
        return sum(closed)

    async def _check(self, watched: Watched) -> bool:
        """Close `watched` if the hook now gives it no role, or a lower one (4403; one that
        lost write access reconnects as a viewer); True if it did. A hook that fails leaves it
        open (logged: the host's error is not the person's)."""
        async with self._limit:
            try:
                role = await self._role(watched)
            except (HookFailed, StoreUnavailable):
                return False
            except CollabError as error:
                refusal = error
            else:
                if role is not None and role >= watched.role:
                    return False
                refusal = Forbidden(f"access to room {watched.room!r} was revoked")
            if watched not in self._watched:
                return False
            self._close(watched, refusal)
            return True

    async def _role(self, watched: Watched) -> Role | None:
        """The role `watched` holds now: none once a person's session has ended (signed out,
        expired, or the person deactivated); for a live one, asked as the person stands now
        (a server admin no more holds every room)."""
        identity = watched.identity
        if identity.session is not None and self._sessions is not None:
            found = await self._sessions.session(identity.session)
            if found is None:
                if await self._sessions.expired(identity.session):
                    raise session_expired()
                return None
            identity = identity_of(found)
        return await authorized_role(
            self._runner, identity, watched.room, None, recheck=True, people=self._people
        )

    def _close(self, watched: Watched, refusal: CollabError) -> None:
        log.info("access of %s to room %s revoked", watched.identity.user_id, watched.room)
        self._watched.discard(watched)
        watched.fail(refusal)


def _acting(identity: Identity) -> tuple[str, ...]:
    """The user ids whose access changes re-check `identity`: its own, and for an agent the
    person's it acts for (an agent holds at most what its person holds)."""
    if identity.agent is not None and identity.person is not None:
        return identity.user_id, f"person:{identity.person}"
    return (identity.user_id,)


async def _every(interval: float, check: Callable[[], Awaitable[int]]) -> None:
    while True:
        await asyncio.sleep(interval)
        await check()
