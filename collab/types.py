"""Small value types shared by every layer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NewType

RoomName = NewType("RoomName", str)

# 1-128 URL-safe characters starting with a letter or digit (the REST schema quotes it).
ROOM_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._~:@+-]{0,127}"
_ROOM_PATTERN = re.compile(ROOM_NAME_PATTERN)


def is_valid_room_name(name: str) -> bool:
    """True for 1-128 URL-safe characters that start with a letter or digit."""
    return _ROOM_PATTERN.fullmatch(name) is not None


@dataclass(frozen=True, slots=True)
class PeerOrigin:
    """An update that arrived over a WebSocket connection."""

    connection_id: int
    user: str | None = None
    # The authenticated subject (None in development mode): the same person may take over
    # their own awareness client ids from a connection that died unnoticed.
    principal: str | None = None
    # The agent session (auth.Identity.agent_session) of an agent's connection, else None:
    # stored with each update it makes, so the session can be reverted.
    agent_session: str | None = None


@dataclass(frozen=True, slots=True)
class LocalOrigin:
    """An update made by the server itself (REST edit, restore, import)."""

    source: str
    user: str | None = None
    agent_session: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteOrigin:
    """An update relayed from another collab process (already stored there)."""

    node: str


Origin = PeerOrigin | LocalOrigin | RemoteOrigin


# Longest name attribution stores (the width of the `author` columns).
MAX_AUTHOR_CHARS = 256
# Longest display name a client may pick for itself (`?name=`, awareness `user.name`).
MAX_NAME_CHARS = 64


def clean_name(value: object) -> str | None:
    """A display name a client chose, tidied: whitespace runs become one space, control and
    format characters (bidi overrides) go, at most MAX_NAME_CHARS; None for a non-string or
    nothing left."""
    if not isinstance(value, str):
        return None
    printable = "".join(c for c in value if c.isprintable() or c.isspace())
    name = " ".join(printable.split())[:MAX_NAME_CHARS].strip()
    return name or None


def origin_session(origin: Origin) -> str | None:
    """The agent session an origin's updates are recorded under, if any."""
    return None if isinstance(origin, RemoteOrigin) else origin.agent_session


def origin_user(origin: Origin) -> str | None:
    """The person an origin is attributed to, if known."""
    return None if isinstance(origin, RemoteOrigin) else origin.user


def is_decimal(raw: str) -> bool:
    """1 to 18 ASCII digits: "²".isdigit() is True, yet int("²") fails, and int() refuses
    strings of over 4300 digits."""
    return 0 < len(raw) <= 18 and raw.isascii() and raw.isdigit()
