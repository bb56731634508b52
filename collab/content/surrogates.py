"""One text for everyone when a Yjs client splits a surrogate pair (issue 10 item 5).

Yjs counts text in UTF-16 units, so a JavaScript client can insert, delete or format at an
index between the two halves of a character beyond U+FFFF (an emoji). Yjs then splits the string
item there and turns both halves into U+FFFD. yrs splits it as well but keeps the character
whole on one side, with item lengths that no longer match their strings (yrs `block.rs`
`ItemContent::splice` leaves the U+FFFD replacement as a TODO): its text shows the emoji, and
every encoding of its state then shifts the clocks of what follows, so a client that joins later
gets a third text. Nothing can change an item's content, so before yrs sees such an update the
room repairs the pair with two updates of its own, applied in order, each in a transaction
and a stored row of its own (`SeparateUpdate`: group commit must not merge them):

1. deletion of the whole pair, at character boundaries: garbage collection turns it into
   deleted content, which splits by count, not by character;
2. a U+FFFD right after each half that the update leaves standing, by a client with id 0. A
   lower client id wins every tie for a place, so an item of client 0 lands immediately after
   its origin whatever else arrives: each U+FFFD takes the place its half has in Yjs.

Connected clients keep the text they show (U+FFFD halves), and every later encoding, a
compaction, a version or a restart replays the same items: the newcomer's text is theirs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from pycrdt import Doc

from collab.errors import InvalidUpdate
from collab.protocol.encoding import write_var_bytes, write_var_uint
from collab.protocol.yupdate import ID, ParsedUpdate, parse_update

log = logging.getLogger(__name__)

# The client id of the repairs' U+FFFD items (see the module docstring). Yjs and yrs clients
# pick theirs at random among 2**32, so one taking 0 is as unlikely as two clients meeting.
REPAIR_CLIENT = 0
_REPLACEMENT = "\ufffd".encode()
# Item info bytes: string content with a left origin, with or without a right origin.
_STRING_AFTER = 0x84
_STRING_BETWEEN = 0xC4
# Lead bytes of 4-byte UTF-8 sequences: a state without any holds no surrogate pair.
_FOUR_BYTE_LEADS = frozenset(range(0xF0, 0xF5))


class SurrogatePairs:
    """The surrogate pairs a document holds whole (client -> clocks of their first halves),
    and the repairs an update that would split one of them needs first."""

    def __init__(self, doc: Doc[Any], max_depth: int) -> None:
        self._doc = doc
        self._max_depth = max_depth
        self._pairs: dict[int, set[int]] | None = None  # read from the document when first needed
        self._reading = asyncio.Lock()
        # Updates applied while the document's pairs are read (they are not in what is read).
        self._backlog: list[tuple[ParsedUpdate, dict[int, int]]] = []

    async def ready(self) -> None:
        """Read the document's pairs, once: its encoded state is walked in a worker thread,
        as a room's stored updates are when it loads."""
        async with self._reading:
            if self._pairs is None:
                pairs = await asyncio.to_thread(_read, self._doc.get_update(), self._max_depth)
                for update, before in self._backlog:
                    _note(pairs, update, before)
                self._backlog.clear()
                self._pairs = pairs

    def repairs(self, update: ParsedUpdate, state: Callable[[], dict[int, int]]) -> list[bytes]:
        """The updates to apply, in order, before `update`: none if it splits no pair, else
        the deletion of the pairs it splits and then (if any half stays) their U+FFFD halves.
        `state` gives the document's state vector. Call `ready` first, or the document is
        read here, on the caller's thread."""
        if not update.items and not update.deletes:
            return []
        if self._pairs is None:
            self._pairs = _read(self._doc.get_update(), self._max_depth)
        if not self._pairs:
            return []
        vector = state()
        split = _split_by(update, self._pairs, vector)
        if not split:
            return []
        deletion = _deletion(split)
        halves = _standing_halves(split, update)
        if not halves:
            return [deletion]
        return [deletion, _replacements(halves, vector.get(REPAIR_CLIENT, 0))]

    def applied(self, update: ParsedUpdate, before: dict[int, int]) -> None:
        """Note what an applied update changed: the pairs it added (those past `before`, the
        state vector before it: yrs skips what it has) and the pairs its deletions ended."""
        if self._pairs is not None:
            _note(self._pairs, update, before)
        elif self._reading.locked():
            self._backlog.append((update, before))
        # else: read from the document, with this update in it, when first needed


def _read(state: bytes, max_depth: int) -> dict[int, set[int]]:
    """The pairs of a document's strings that are not deleted, from its encoded state (none,
    logged, should its encoding be one the walk refuses: the room must stay writable)."""
    pairs: dict[int, set[int]] = {}
    if _FOUR_BYTE_LEADS.isdisjoint(state):
        return pairs
    try:
        parsed = parse_update(state, max_depth)
    except InvalidUpdate:
        log.exception("a document's own state could not be walked for surrogate pairs")
        return pairs
    _note(pairs, parsed, {})
    return pairs


def _note(pairs: dict[int, set[int]], update: ParsedUpdate, before: dict[int, int]) -> None:
    """Add the pairs `update` brings past `before`; forget those its deletions touch."""
    for client, clock in update.pairs:
        if clock >= before.get(client, 0):
            pairs.setdefault(client, set()).add(clock)
    for client, ranges in update.deletes.items():
        found = pairs.get(client)
        if found:
            for clock, length in ranges:
                _discard_range(found, clock - 1, clock + length)


def _split_by(update: ParsedUpdate, pairs: dict[int, set[int]], state: dict[int, int]) -> list[ID]:
    """First halves of the pairs that `update` would split (an insertion between the halves,
    a deletion starting or ending between them), each once."""
    split: dict[ID, None] = {}
    for item in update.items:
        if item.clock < state.get(item.client, 0):
            continue  # yrs has it already and skips it
        if item.origin is not None and _holds(pairs, state, item.origin):
            split[item.origin] = None
        if item.right_origin is not None:
            before = (item.right_origin[0], item.right_origin[1] - 1)
            if _holds(pairs, state, before):
                split[before] = None
    for client, ranges in update.deletes.items():
        for clock, length in ranges:
            for first in ((client, clock - 1), (client, clock + length - 1)):
                if _holds(pairs, state, first):
                    split[first] = None
    return list(split)


def _holds(pairs: dict[int, set[int]], state: dict[int, int], first: ID) -> bool:
    """Whether `first` is the first half of a pair the document holds whole (both halves
    integrated: a pending struct is not in the state vector yet)."""
    client, clock = first
    return clock in pairs.get(client, ()) and clock + 2 <= state.get(client, 0)


def _discard_range(clocks: set[int], start: int, end: int) -> None:
    """Forget the pairs whose first half lies in [start, end)."""
    if end - start <= len(clocks):
        for clock in range(start, end):
            clocks.discard(clock)
    else:
        clocks.difference_update([c for c in clocks if start <= c < end])


def _standing_halves(split: list[ID], update: ParsedUpdate) -> list[tuple[ID, ID | None]]:
    """(origin, right origin) of each U+FFFD to insert: one right after each half `update`
    does not delete, the first half's bounded by the second."""
    halves: list[tuple[ID, ID | None]] = []
    for client, clock in sorted(split):
        ranges = update.deletes.get(client, [])
        if not _deleted(ranges, clock):
            halves.append(((client, clock), (client, clock + 1)))
        if not _deleted(ranges, clock + 1):
            halves.append(((client, clock + 1), None))
    return halves


def _deleted(ranges: list[tuple[int, int]], clock: int) -> bool:
    return any(start <= clock < start + length for start, length in ranges)


def _deletion(split: list[ID]) -> bytes:
    """An update with no structs that deletes each pair whose first half is in `split`."""
    firsts: dict[int, list[int]] = {}
    for client, clock in sorted(split):
        firsts.setdefault(client, []).append(clock)
    out = [write_var_uint(0), write_var_uint(len(firsts))]
    for client, clocks in firsts.items():
        out += [write_var_uint(client), write_var_uint(len(clocks))]
        for clock in clocks:
            out += [write_var_uint(clock), write_var_uint(2)]
    return b"".join(out)


def _replacements(halves: list[tuple[ID, ID | None]], clock: int) -> bytes:
    """An update of client REPAIR_CLIENT from `clock` on: one U+FFFD per (origin, right
    origin), and an empty delete set."""
    out = [write_var_uint(1), write_var_uint(len(halves))]
    out += [write_var_uint(REPAIR_CLIENT), write_var_uint(clock)]
    for origin, right_origin in halves:
        out.append(bytes([_STRING_AFTER if right_origin is None else _STRING_BETWEEN]))
        out += [write_var_uint(origin[0]), write_var_uint(origin[1])]
        if right_origin is not None:
            out += [write_var_uint(right_origin[0]), write_var_uint(right_origin[1])]
        out.append(write_var_bytes(_REPLACEMENT))
    out.append(write_var_uint(0))
    return b"".join(out)
