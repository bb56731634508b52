"""Blame (issue 26): a passage of a document's text as runs, each credited to who wrote it.

Every character of a Yjs text is an item id (client, clock); who wrote a clock range is known
from the update log (store/blame.py gives `Span`s). The characters' ids are read as
content/passages.py reads them, through public pycrdt calls on a copy: deleting a character
makes a transaction whose update's delete set is exactly that character's id. The passage is
deleted one character at a time from its end, so the cost is linear in its length, which the
caller bounds.

Text deleted and typed again is new items: it is credited to who typed it again. The newline
between two text nodes of a rich document (passages count one) has no item: it joins the run
before it (the first run, when the passage starts with one)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pycrdt import Doc, TransactionEvent

from collab.content.passages import Node, copy_of, joined, node_string, text_nodes, utf8
from collab.errors import InvalidRequest
from collab.protocol.yupdate import ID, parse_update

# How deep the copy's own one-deletion updates are parsed (they hold no content).
_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Span:
    """Clocks [start, end) of Yjs client `client`, written by `author` (None: unknown) at `at`."""

    client: int
    start: int
    end: int
    author: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive characters written by one author; `at`: the latest of their writes (None
    when no record says who wrote them: text folded before blame was recorded)."""

    text: str
    author: str | None
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Blame:
    """Runs covering `length` code points from `index` of a text `total` code points long."""

    runs: list[Run]
    index: int
    length: int
    total: int


class Authorship:
    """Who wrote a clock: each client's spans made disjoint, sorted by start. Where two cover
    the same clocks (an item stored twice, a copy's own row), the one given first keeps them."""

    def __init__(self, spans: Sequence[Span]) -> None:
        by_client: dict[int, list[Span]] = {}
        for span in spans:
            by_client.setdefault(span.client, []).append(span)
        self._spans = {client: _disjoint(found) for client, found in by_client.items()}
        self._starts = {client: [s.start for s in found] for client, found in self._spans.items()}

    def of(self, id_: ID | None) -> Span | None:
        """The span holding `id_`, or None."""
        if id_ is None:
            return None
        client, clock = id_
        spans = self._spans.get(client)
        if not spans:
            return None
        spot = bisect_right(self._starts[client], clock) - 1
        return spans[spot] if spot >= 0 and clock < spans[spot].end else None


def _disjoint(spans: list[Span]) -> list[Span]:
    """The clocks of `spans`, each kept by the first span (in the given order) covering it."""
    kept: list[Span] = []  # disjoint, sorted by start
    for span in spans:
        starts = [k.start for k in kept]
        spot = bisect_right(starts, span.start)
        at = span.start
        if spot and kept[spot - 1].end > at:
            at = kept[spot - 1].end
        pieces: list[Span] = []
        while at < span.end:
            following = kept[spot] if spot < len(kept) else None
            stop = min(span.end, following.start) if following is not None else span.end
            if stop > at:
                pieces.append(Span(span.client, at, stop, span.author, span.at))
            if following is None or following.start >= span.end:
                break
            at, spot = following.end, spot + 1
        kept = sorted([*kept, *pieces], key=lambda k: k.start)
    return kept


def blame(doc: Doc[Any], index: int, length: int | None, most: int, who: Authorship) -> Blame:
    """The runs of the `length` code points from `index` of the document's text (to its end,
    or `most` of them, by default); InvalidRequest outside the text or over `most`. `doc` is
    not changed."""
    copy = copy_of(doc)
    nodes = text_nodes(copy)
    strings = [node_string(node) for node in nodes]
    total = len(joined(strings))
    if length is None:
        length = min(max(total - index, 0), most)
    if index > total or index + length > total:
        raise InvalidRequest(
            f"the passage of {length} at {index} is not inside the text (length {total})"
        )
    if length > most:
        raise InvalidRequest(f"blame covers at most {most} characters a request; ask in parts")
    chars = _char_ids(copy, nodes, strings, index, length)
    return Blame(_runs(chars, who), index, length, total)


def _char_ids(
    copy: Doc[Any], nodes: list[Node], strings: list[str], index: int, length: int
) -> list[tuple[str, ID | None]]:
    """Each code point of the passage with its item id (None: the break between two nodes)."""
    deleted: list[bytes] = []

    def seen(event: TransactionEvent) -> None:
        deleted.append(event.update)

    subscription = copy.observe(seen)
    found: list[tuple[str, ID | None]] = []
    end, begin = index + length, 0
    try:
        for number, (node, string) in enumerate(zip(nodes, strings, strict=True)):
            first, last = max(index - begin, 0), min(end - begin, len(string))
            found.extend(_node_ids(node, string, first, last, deleted))
            begin += len(string)
            if number < len(nodes) - 1 and index <= begin < end:
                found.append(("\n", None))
            begin += 1
            if begin >= end:
                break
    finally:
        copy.unobserve(subscription)
    return found


def _node_ids(
    node: Node, string: str, first: int, last: int, deleted: list[bytes]
) -> list[tuple[str, ID | None]]:
    """The ids of code points [first, last) of `node`, deleting them from the last: the
    tombstones gather after the place yrs looks up next, not before it (from the first, a
    fragmented text took 120 µs a character instead of 16, as each lookup walked them all)."""
    ids: list[tuple[str, ID | None]] = []
    offset = utf8(string, last)
    for char in reversed(string[first:last]):
        size = len(char.encode("utf-8", "surrogatepass"))
        offset -= size
        deleted.clear()
        del node[offset : offset + size]
        ids.append((char, _first_deleted(deleted)))
    ids.reverse()
    return ids


def _first_deleted(updates: list[bytes]) -> ID | None:
    for update in updates:
        for client, ranges in parse_update(update, _DEPTH).deletes.items():
            if ranges:
                return client, min(clock for clock, _ in ranges)
    return None


def _runs(chars: list[tuple[str, ID | None]], who: Authorship) -> list[Run]:
    """Consecutive characters of one author as one run."""
    runs: list[tuple[list[str], str | None, datetime | None]] = []
    pending: list[str] = []  # node breaks before the first character
    for char, id_ in chars:
        if id_ is None:
            (runs[-1][0] if runs else pending).append(char)
            continue
        span = who.of(id_)
        author, at = (span.author, span.at) if span is not None else (None, None)
        if runs and runs[-1][1] == author:
            text, _, before = runs[-1]
            text.append(char)
            runs[-1] = (text, author, max(filter(None, (before, at)), default=None))
        else:
            runs.append(([*pending, char], author, at))
            pending = []
    if pending:
        runs.append((pending, None, None))
    return [Run("".join(text), author, at) for text, author, at in runs]
