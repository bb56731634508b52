"""Anchors of comment threads: a passage of a plain-text document's `content` held by two Yjs
relative positions (pycrdt `StickyIndex`), so it follows the text through everyone's edits.

The start sticks to the passage's first character (`Assoc.AFTER`), the end to its last
(`Assoc.BEFORE`): typing just before or just after the passage leaves it as it was. When the
whole passage is deleted both resolve to the same place: the thread is detached.

Indexes and lengths here count Unicode code points, as the REST API's text edits do; pycrdt's
`StickyIndex` takes and gives UTF-8 byte offsets, as its `Text` indexes are (the anchors it
encodes name items by their Yjs clocks, which count UTF-16 units, as JavaScript clients do)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Assoc, Doc, StickyIndex

from collab.content.textops import plain_content
from collab.contract import CONTENT
from collab.errors import InvalidRequest, WrongDocumentKind
from collab.protocol.yupdate import parse_state_vector

# The attribute that splits a copy's items at a passage's ends (never stored).
_SPLIT = "collab-anchor"


@dataclass(frozen=True, slots=True)
class Passage:
    """A new anchor: its encoded start and end, and the text between them now."""

    start: bytes
    end: bytes
    quote: str


@dataclass(frozen=True, slots=True)
class Located:
    """Where an anchored passage stands in the current text (code points), and its text."""

    index: int
    length: int
    text: str


def anchor(doc: Doc[Any], index: int, length: int) -> Passage:
    """Anchor the `length` code points of `content` from `index` (422 outside the text or when
    empty; 409 for a rich-text document). `doc` is not changed."""
    current = str(plain_content(doc))
    if length < 1 or index < 0 or index + length > len(current):
        raise InvalidRequest(
            f"the passage of {length} at {index} is not inside the text (length "
            f"{len(current)}): give an index and a length of at least 1 within it"
        )
    # yrs walks the items before an index by their UTF-8 length but takes the rest as a clock
    # offset (UTF-16) inside the item it lands in: on a copy, the passage's first and last
    # characters are made items of their own (a format splits items; clocks stay), so that
    # rest is 0 and the anchors name the very characters a JavaScript client sees there.
    copy: Doc[Any] = Doc()
    copy.apply_update(doc.get_update())
    text = plain_content(copy)
    first, last = _utf8(current, index), _utf8(current, index + length)
    text.format(first, _utf8(current, index + 1), {_SPLIT: True})
    text.format(_utf8(current, index + length - 1), last, {_SPLIT: True})
    start = StickyIndex.new(text, first, Assoc.AFTER)
    # yrs looks for the character before an index one byte back: the last character's first
    # byte plus one finds its start, whatever its length.
    end = StickyIndex.new(text, _utf8(current, index + length - 1) + 1, Assoc.BEFORE)
    return Passage(start.encode(), end.encode(), current[index : index + length])


def locate(doc: Doc[Any], start: bytes, end: bytes) -> Located | None:
    """Where the passage between these anchors stands in `doc`'s `content` now; None when it is
    gone (every character of it deleted), its anchors name nothing this document holds, or
    the document is rich text now."""
    try:
        text = plain_content(doc)
    except WrongDocumentKind:
        return None
    current = str(text)
    known = parse_state_vector(doc.get_state())
    first, last = StickyIndex.decode(start), StickyIndex.decode(end)
    if not (_resolvable(first, known) and _resolvable(last, known)):
        return None
    if current.isascii():  # a byte is a UTF-16 unit: yrs's offsets are exact
        with doc.transaction() as txn:
            begin, finish = first.get_index(txn), last.get_index(txn)
        index, stop = _code_points(current, begin), _code_points(current, finish)
    else:
        copy: Doc[Any] = Doc()
        copy.apply_update(doc.get_update())
        index, stop = _settled(copy, current, first), _settled(copy, current, last)
    if stop <= index:
        return None
    return Located(index, stop - index, current[index:stop])


# The most splits `_settled` makes before it answers with where it stands.
_MAX_SETTLING = 64


def _settled(copy: Doc[Any], current: str, position: StickyIndex) -> int:
    """The code point index `position` names in `copy` (whose text is `current`). yrs adds a
    UTF-16 offset inside an item to the UTF-8 length of the items before it, so the index it
    gives is early by the extra bytes of what precedes the position in its item; splitting the
    copy's items at that index (a format: clocks stay) moves it on, until it stands still."""
    text = plain_content(copy)
    index = -1
    for _ in range(_MAX_SETTLING):
        with copy.transaction() as txn:
            offset = position.get_index(txn)
        # An end (Assoc.BEFORE) comes back one byte after its character's first byte.
        before = position.assoc == Assoc.BEFORE
        found = (
            _code_point_at(current, offset - 1) + 1 if before else _code_point_at(current, offset)
        )
        if found == index:
            break
        index = found
        for left in (index - 1, index):
            if 0 <= left < len(current):
                text.format(_utf8(current, left), _utf8(current, left + 1), {_SPLIT: True})
    return index


def _resolvable(position: StickyIndex, known: dict[int, int]) -> bool:
    """Whether yrs can resolve the position in a document whose state vector is `known` (it
    panics on an item the document has never seen)."""
    found = position.to_json()
    item = found.get("item")
    if isinstance(item, dict):
        client, clock = item.get("client"), item.get("clock")
        return isinstance(client, int) and isinstance(clock, int) and clock < known.get(client, 0)
    return found.get("tname") == CONTENT


def _utf8(text: str, index: int) -> int:
    """The UTF-8 byte offset of code point `index` of `text`."""
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _code_point_at(text: str, offset: int) -> int:
    """The code point whose UTF-8 bytes hold `offset` of `text` (the one it starts)."""
    consumed = 0
    for position, char in enumerate(text):
        consumed += len(char.encode("utf-8", "surrogatepass"))
        if consumed > offset:
            return position
    return len(text)


def _code_points(text: str, offset: int) -> int:
    """The code point at UTF-8 byte `offset` of `text` (the next one, inside a character)."""
    consumed = 0
    for position, char in enumerate(text):
        if consumed >= offset:
            return position
        consumed += len(char.encode("utf-8", "surrogatepass"))
    return len(text)
