"""Session cookies: a random token, signed with a key of this server (so a cookie of another
server is refused before the database is asked), whose SHA-256 names its stored session."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from collab.auth import Grant, Identity, Role
from collab.store.people import Person, Session, SqlPeople

COOKIE = "collab_session"
CSRF_HEADER = "x-csrf-token"
# Requests that change nothing, so need no CSRF token with a cookie.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PERSON_PREFIX = "person:"


def session_key(secret: str) -> bytes:
    """The key session cookies are signed with, derived from the server's secret."""
    return hmac.new(secret.encode(), b"collab session cookie", hashlib.sha256).digest()


def token_hash(token: str) -> str:
    """What a session is stored by: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CookieSession:
    """A live session, the cookie value that names it, and who it makes the request."""

    cookie: str
    session: Session

    @property
    def identity(self) -> Identity:
        return identity_of(self.session)


def identity_of(session: Session) -> Identity:
    """The identity a session gives: the person, by name; a server admin holds every room."""
    person = session.person
    grants = (Grant("*", Role.ADMIN),) if person.is_admin else ()
    expires = session.expires_at.timestamp()
    user = PERSON_PREFIX + person.id
    return Identity(user, person.name, grants, expires, person=person.id, session=session.id)


class Sessions:
    """Starts, finds and ends sessions; the cookie is `<token>.<signature>`."""

    def __init__(self, people: SqlPeople, secret: str, ttl: float) -> None:
        self.people = people
        self._key = session_key(secret)
        self.ttl = ttl

    def _sign(self, token: str) -> str:
        mac = hmac.new(self._key, token.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def _token(self, cookie: str | None) -> str | None:
        """The token of a cookie this server signed, else None."""
        if not cookie or len(cookie) > 256:
            return None
        token, _, signature = cookie.partition(".")
        if not token or not hmac.compare_digest(signature, self._sign(token)):
            return None
        return token

    async def start(self, person: Person) -> CookieSession:
        """A new session (a new token every time: a cookie planted before sign-in is never
        the signed-in one)."""
        token = secrets.token_urlsafe(32)
        session = await self.people.start_session(token_hash(token), person.id, self.ttl)
        return CookieSession(f"{token}.{self._sign(token)}", session)

    async def find(self, cookie: str | None) -> CookieSession | None:
        """The live session a cookie names, or None (unsigned, unknown, expired, signed out,
        or its person deactivated)."""
        token = self._token(cookie)
        if token is None:
            return None
        session = await self.people.session(token_hash(token))
        return None if session is None else CookieSession(cookie or "", session)

    async def end(self, cookie: str | None) -> bool:
        """Sign the session a cookie names out; False if there was none."""
        token = self._token(cookie)
        return token is not None and await self.people.end_session(token_hash(token))
