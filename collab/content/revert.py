"""Reverting an agent session as a forward edit (plain text): the characters the session
inserted that still stand are deleted, and the text it deleted comes back where it was, read
from the document as it stood before the session's first update. Edits others made meanwhile
stay: everything is found by Yjs item id, through relative positions (pycrdt `StickyIndex`):
a character stands when "before" and "after" it resolve one apart, and a deleted one resolves
to where it was.

Counts are yrs' indexes on both sides (the same units for reading and editing), so characters
beyond U+FFFF are handled as yrs counts them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pycrdt import Doc, StickyIndex, Text

from collab.content.export import RICH, content_kind
from collab.content.roots import content_root
from collab.errors import WrongDocumentKind
from collab.protocol.yupdate import parse_update

# Session updates are the server's own log rows (already checked when they arrived).
_DEPTH = 10_000

Id = tuple[int, int]

PLAIN_ONLY = "reverting an agent session is supported in plain text only, not rich text yet"


def revert(before: Doc[Any], current: Doc[Any], session: Iterable[bytes]) -> bytes | None:
    """The update that undoes `session`'s edits on `current` (changed in place), or None when
    nothing of them is left to undo. WrongDocumentKind (409) for rich text."""
    if content_kind(current) == RICH:
        raise WrongDocumentKind(PLAIN_ONLY)
    inserted, deleted = _ids(session)
    text = current.get(content_root(current), type=Text)
    start = current.get_state()
    with current.transaction():
        removed = _delete_standing(text, inserted)
        restored = _restore(before, text, [i for i in deleted if i not in inserted])
    return current.get_update(start) if removed or restored else None


def _ids(session: Iterable[bytes]) -> tuple[set[Id], list[Id]]:
    """The ids of the characters the session inserted, and of those it deleted (in order)."""
    inserted: set[Id] = set()
    deleted: list[Id] = []
    for update in session:
        parsed = parse_update(update, _DEPTH)
        for item in parsed.items:
            if not item.is_type:
                inserted.update((item.client, item.clock + k) for k in range(item.length))
        for client, ranges in parsed.deletes.items():
            for clock, length in ranges:
                deleted.extend((client, clock + k) for k in range(length))
    return inserted, sorted(set(deleted))


def _where(text: Text, id_: Id) -> tuple[int, bool]:
    """Where the character `id_` is (or was) in `text`, and whether it stands."""
    client, clock = id_
    at = {"item": {"client": client, "clock": clock}}
    before = StickyIndex.from_json({**at, "assoc": 0}, text).get_index()
    after = StickyIndex.from_json({**at, "assoc": -1}, text).get_index()
    return before, after == before + 1


def _delete_standing(text: Text, ids: set[Id]) -> int:
    """Delete the characters of `ids` that still stand, from the end (runs at a time); how
    many."""
    standing = sorted(index for index, stands in (_where(text, i) for i in ids) if stands)
    for start, length in reversed(list(_runs(standing))):
        del text[start : start + length]
    return len(standing)


def _runs(indexes: list[int]) -> Iterator[tuple[int, int]]:
    """Consecutive indexes as (start, length) runs."""
    start = previous = None
    for index in indexes:
        if start is None or previous is None or index != previous + 1:
            if start is not None and previous is not None:
                yield start, previous - start + 1
            start = index
        previous = index
    if start is not None and previous is not None:
        yield start, previous - start + 1


def _restore(before: Doc[Any], text: Text, ids: list[Id]) -> int:
    """Put back the characters of `ids` that stood in `before`, each run where it was; how
    many runs."""
    old = before.get(content_root(before), type=Text)
    old_text = str(old)
    found = sorted(
        (index, id_) for index, stands, id_ in ((*_where(old, i), i) for i in ids) if stands
    )
    runs: list[tuple[Id, str]] = []
    previous = -2
    for index, id_ in found:
        if index == previous + 1 and runs:
            runs[-1] = (runs[-1][0], runs[-1][1] + old_text[index])
        else:
            runs.append((id_, old_text[index]))
        previous = index
    for first, chars in reversed(runs):
        text.insert(_where(text, first)[0], chars)
    return len(runs)
