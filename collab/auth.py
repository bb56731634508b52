"""Tokens to identities and per-room roles (PyJWT). No HTTP here."""

from __future__ import annotations

import dataclasses
import secrets
import time
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from collab.errors import TOKEN_EXPIRED, LinkExpired, TokenExpired, TokenInvalid, TokenMissing
from collab.types import MAX_AUTHOR_CHARS

TOKEN_PROTOCOL_PREFIX = "collab.token."
PROTOCOL = "collab"


class Role(IntEnum):
    """What a grant allows; each role includes the ones below it."""

    VIEWER = 1  # read and presence
    COMMENTER = 2  # also comment (never the text)
    EDITOR = 3  # also write
    ADMIN = 4  # also delete, restore, manage versions

    @classmethod
    def parse(cls, name: str) -> Role:
        """A role from its lowercase name."""
        try:
            return cls[name.upper()]
        except KeyError:
            raise ValueError(
                f"unknown role {name!r}: use viewer, commenter, editor or admin"
            ) from None


@dataclass(frozen=True, slots=True)
class Grant:
    """A role on a room name, or on every name with a prefix when `pattern` ends with '*'."""

    pattern: str
    role: Role

    def matches(self, room: str) -> bool:
        """Whether this grant covers `room`."""
        if self.pattern.endswith("*"):
            return room.startswith(self.pattern[:-1])
        return room == self.pattern


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a request or connection acts as, and what it may do."""

    user_id: str
    name: str | None
    grants: tuple[Grant, ...]
    expires_at: float | None = None
    # The share link this identity came through (its token's `lnk` claim), else None: the
    # link must still be live (store.links) wherever the identity is used.
    link: str | None = None
    # The person signed in (people.id) and their session's stored id, for identities of a
    # session cookie (people/sessions.py), else None.
    person: str | None = None
    session: str | None = None
    # For an agent's token (its `agt` claim): the agent's name, acting for `person` (whose
    # name is `name`), and the agent session its edits are recorded under (`ses`).
    agent: str | None = None
    agent_session: str | None = None

    @property
    def display(self) -> str:
        """The name attribution records (clipped to what storage holds): never a link's id;
        an agent's is "AGENT (for PERSON)"."""
        if self.agent is not None:
            return agent_display(self.agent, self.name or "someone")
        fallback = "Guest" if self.link is not None else self.user_id
        return (self.name or fallback)[:MAX_AUTHOR_CHARS]

    @property
    def server_admin(self) -> bool:
        """Whether a grant makes this identity an admin of every room (a server admin)."""
        return self.role_for("*") == Role.ADMIN

    def role_for(self, room: str) -> Role | None:
        """The highest role any grant gives on `room`."""
        roles = [grant.role for grant in self.grants if grant.matches(room)]
        return max(roles) if roles else None


# An agent's token names its session as its user: "agent:SESSION".
AGENT_USER = "agent:"


def is_agent_user(user_id: str) -> bool:
    """Whether a user id is an agent's (its token's subject, `issue_agent_token`)."""
    return user_id.startswith(AGENT_USER)


def agent_display(agent: str, person: str) -> str:
    """How an agent's edits are credited: "AGENT (for PERSON)"."""
    return f"{agent} (for {person})"[:MAX_AUTHOR_CHARS]


DEVELOPMENT = Identity("anonymous", None, (Grant("*", Role.ADMIN),))


class Authenticator:
    """Verifies tokens (HS256 with a secret, or RS256/ES256 with a public key); without either,
    development mode: everyone is an anonymous admin."""

    def __init__(self, secret: str | None = None, public_key: str | None = None) -> None:
        if secret is not None and not public_key:
            check_secret(secret)
        self._key: str | None = public_key or secret
        self._algorithms = ["RS256", "ES256"] if public_key else ["HS256"]

    @property
    def development(self) -> bool:
        """True when no key is configured: nothing is checked."""
        return self._key is None

    def identify(self, token: str | None, *, fallback_name: str | None = None) -> Identity:
        """The identity a token carries; development mode ignores tokens."""
        if self._key is None:
            if fallback_name:
                return Identity("anonymous", fallback_name, DEVELOPMENT.grants)
            return DEVELOPMENT
        if not token:
            raise TokenMissing("a token is required")
        return _identity(self._decode(token))

    def _decode(self, token: str) -> dict[str, Any]:
        assert self._key is not None
        import jwt  # with cryptography: loaded with the first token, not at start-up

        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key, algorithms=self._algorithms, options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError:
            raise _expired(token) from None
        except jwt.PyJWTError as error:
            raise TokenInvalid(f"invalid token: {error}") from None
        return claims


def _expired(token: str) -> TokenExpired:
    """LinkExpired for a share link's token (its signature was checked first), else
    TokenExpired: the web app tells the two apart by the close reason."""
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    return LinkExpired() if "lnk" in claims else TokenExpired(TOKEN_EXPIRED)


def _identity(claims: dict[str, Any]) -> Identity:
    rooms = claims.get("rooms")
    if not isinstance(rooms, dict) or not rooms:
        raise TokenInvalid('invalid token: "rooms" must map room patterns to roles')
    try:
        grants = tuple(
            Grant(str(pattern), Role.parse(str(role))) for pattern, role in rooms.items()
        )
    except ValueError as error:
        raise TokenInvalid(f"invalid token: {error}") from None
    name = claims.get("name")
    link = claims.get("lnk")
    if link is not None and not isinstance(link, str):
        raise TokenInvalid('invalid token: "lnk" must be a link id')
    user = str(claims["sub"])
    identity = Identity(user, str(name) if name else None, grants, float(claims["exp"]), link)
    return _agent(identity, claims) if "agt" in claims else identity


def _agent(identity: Identity, claims: dict[str, Any]) -> Identity:
    """An agent's identity: its name, the person it acts for, and its session."""
    agent, person, session = claims.get("agt"), claims.get("for"), claims.get("ses")
    if not all(isinstance(v, str) and v for v in (agent, person, session)):
        raise TokenInvalid('invalid token: an agent\'s "agt", "for" and "ses" must be strings')
    if len(str(session)) > MAX_SESSION_CHARS:
        raise TokenInvalid(f'invalid token: "ses" is longer than {MAX_SESSION_CHARS} characters')
    return dataclasses.replace(
        identity, agent=str(agent), person=str(person), agent_session=str(session)
    )


MIN_SECRET_BYTES = 32


def check_secret(secret: str) -> None:
    """HS256 secrets shorter than the hash (32 bytes) are guessable; refuse them."""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(
            f"the token secret must be at least {MIN_SECRET_BYTES} bytes (got "
            f"{len(secret.encode())}); generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'"
        )


def issue_token(
    secret: str,
    *,
    user: str,
    name: str | None,
    grants: dict[str, str],
    ttl_seconds: float,
    algorithm: str = "HS256",
) -> str:
    """Sign a token; `grants` maps room patterns to role names."""
    import jwt  # with cryptography: loaded with the first token, not at start-up

    if algorithm == "HS256":
        check_secret(secret)
    for role in grants.values():
        Role.parse(role)
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user,
        "rooms": grants,
        "iat": now,
        "exp": now + int(ttl_seconds),
    }
    if name:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm=algorithm)


def issue_agent_token(
    secret: str,
    *,
    agent: str,
    person: str,
    person_name: str,
    grants: dict[str, str],
    ttl_seconds: float,
    session: str | None = None,
) -> tuple[str, str]:
    """Sign an agent's token (its role on each room is capped by `person`'s when used) and
    return it with its agent session id (a new one unless `session` is given)."""
    import jwt  # with cryptography: loaded with the first token, not at start-up

    check_secret(secret)
    for role in grants.values():
        Role.parse(role)
    if not agent.strip() or len(agent) > MAX_AGENT_CHARS:
        raise ValueError(f"an agent's name must be 1-{MAX_AGENT_CHARS} characters")
    if session is not None and not 0 < len(session) <= MAX_SESSION_CHARS:
        raise ValueError(f"an agent session id must be 1-{MAX_SESSION_CHARS} characters")
    session = session or secrets.token_hex(8)
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": f"{AGENT_USER}{session}",
        "name": person_name,
        "agt": agent.strip(),
        "for": person,
        "ses": session,
        "rooms": grants,
        "iat": now,
        "exp": now + int(ttl_seconds),
    }
    return jwt.encode(claims, secret, algorithm="HS256"), session


MAX_AGENT_CHARS = 64
# Sessions are stored in updates.agent_session (32 characters, with room for a revert's mark).
MAX_SESSION_CHARS = 24


# A link that never expires still needs a token `exp` (every token has one): this far ahead.
NEVER_SECONDS = 100 * 365 * 86400


def issue_link_token(
    secret: str, *, link: str, room: str, role: Role, expires_at: float | None
) -> str:
    """Sign the token of a share link (its `lnk` claim names the stored link, which must stay
    live): `role` on the one room, until `expires_at` (None: never)."""
    import jwt  # with cryptography: loaded with the first token, not at start-up

    check_secret(secret)
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": f"link:{link}",
        "lnk": link,
        "rooms": {room: role.name.lower()},
        "iat": now,
        "exp": int(expires_at) if expires_at is not None else now + NEVER_SECONDS,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def token_from_protocols(protocols: list[str]) -> str | None:
    """The token a browser put in Sec-WebSocket-Protocol as 'collab.token.<jwt>'."""
    for protocol in protocols:
        if protocol.startswith(TOKEN_PROTOCOL_PREFIX):
            return protocol[len(TOKEN_PROTOCOL_PREFIX) :]
    return None
