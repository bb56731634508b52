"""Documents by title: the URL name derived from a title, creating a titled document under a
free name, and who is in a live room right now."""

from __future__ import annotations

import contextlib
import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from collab.errors import InvalidRequest, NameInTrash
from collab.rooms.presence import announced_name
from collab.rooms.room import Room
from collab.store.base import Catalog

# Longest title a document may have, in characters.
MAX_TITLE = 200
# Longest slug taken from a title (room names allow 128: room for a "-NN" suffix).
MAX_SLUG = 60
# Most numbered names tried ("team-notes-2" ... ) before falling back to a random suffix.
_NUMBERED = 50
# Most people a listing names as present in one room.
MAX_PRESENT = 20
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(title: str) -> str | None:
    """The lowercase ASCII name a title suggests: accents dropped, every run of anything else
    made one '-'; None when nothing ASCII is left (a Japanese title, emoji only)."""
    decomposed = unicodedata.normalize("NFKD", title)
    ascii_only = decomposed.encode("ascii", "ignore").decode().lower()
    words = _NOT_SLUG.sub("-", ascii_only).strip("-")
    return words[:MAX_SLUG].rstrip("-") or None


def random_name() -> str:
    """A short random name, for titles with nothing ASCII to take one from."""
    return f"doc-{secrets.token_hex(4)}"


def candidate_names(title: str) -> Iterator[str]:
    """Names to try for a new document called `title`, in order: its slug, then the slug with
    -2, -3 ...; a random name when there is no slug or every numbered one is taken."""
    base = slug(title)
    if base is not None:
        yield base
        for number in range(2, _NUMBERED + 2):
            yield f"{base}-{number}"
    while True:
        yield random_name() if base is None else f"{base}-{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class NewTitle:
    """A document to create under a name derived from `title`; `may_create(name)` raises when
    the caller may not create that name."""

    title: str
    may_create: Callable[[str], Awaitable[None]]


async def create_titled(
    store: Catalog,
    title: str,
    kind: str | None,
    may_create: Callable[[str], Awaitable[None]],
) -> str:
    """Create an empty document titled `title` under the first free name it suggests; its
    name. `may_create(name)` raises when the caller may not create that name."""
    for attempt, name in enumerate(candidate_names(title)):
        if attempt > _NUMBERED + 10:
            break
        await may_create(name)
        with contextlib.suppress(NameInTrash):  # its name stays taken: try the next one
            if await store.create_room(name, kind, title):
                return name
    raise InvalidRequest(f"no free name could be found for {title!r}; choose another title")


def present_names(live: Room | None) -> list[str]:
    """The names people in a live room announce (their presence, this process's connections
    and those other processes relay), each once, in order of arrival."""
    if live is None:
        return []
    names: list[str] = []
    for entry in live.presence.states():
        name = announced_name([entry])
        if name is not None and name not in names:
            names.append(name)
    return names[:MAX_PRESENT]
