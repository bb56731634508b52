"""Anchors of comment threads: a passage of a plain-text document's `content` held by two Yjs
relative positions (pycrdt `StickyIndex`), so it follows the text through everyone's edits.

The start sticks to the passage's first character (`Assoc.AFTER`), the end to its last
(`Assoc.BEFORE`): typing just before or just after the passage leaves it as it was. When the
whole passage is deleted both resolve to the same place: the thread is detached.

Indexes and lengths here count Unicode code points, as the REST API's text edits do; Yjs counts
UTF-16 code units (its clocks), which is what `StickyIndex` takes and gives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Assoc, Doc, StickyIndex

from collab.content.textops import plain_content
from collab.contract import CONTENT
from collab.errors import InvalidRequest, WrongDocumentKind
from collab.protocol.yupdate import parse_state_vector


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
    empty; 409 for a rich-text document)."""
    text = plain_content(doc)
    current = str(text)
    if length < 1 or index < 0 or index + length > len(current):
        raise InvalidRequest(
            f"the passage of {length} at {index} is not inside the text (length "
            f"{len(current)}): give an index and a length of at least 1 within it"
        )
    start = StickyIndex.new(text, _utf16(current, index), Assoc.AFTER)
    end = StickyIndex.new(text, _utf16(current, index + length), Assoc.BEFORE)
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
    with doc.transaction() as txn:
        begin, finish = first.get_index(txn), last.get_index(txn)
    if finish <= begin:
        return None
    index, stop = _code_points(current, begin), _code_points(current, finish)
    return Located(index, stop - index, current[index:stop])


def _resolvable(position: StickyIndex, known: dict[int, int]) -> bool:
    """Whether yrs can resolve the position in a document whose state vector is `known` (it
    panics on an item the document has never seen)."""
    found = position.to_json()
    item = found.get("item")
    if isinstance(item, dict):
        client, clock = item.get("client"), item.get("clock")
        return isinstance(client, int) and isinstance(clock, int) and clock < known.get(client, 0)
    return found.get("tname") == CONTENT


def _utf16(text: str, index: int) -> int:
    """The UTF-16 offset of code point `index` of `text`."""
    return len(text[:index].encode("utf-16-le", "surrogatepass")) // 2


def _code_points(text: str, offset: int) -> int:
    """The code point at UTF-16 `offset` of `text` (the next one, inside a surrogate pair)."""
    units = 0
    for position, char in enumerate(text):
        if units >= offset:
            return position
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)
