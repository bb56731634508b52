"""Anchors of comment threads: a passage of a document held by two Yjs relative positions, so
it follows the text through everyone's edits, in plain text (the `content` Y.Text) and rich text
(the XmlText nodes of the `content` XmlFragment) alike.

The start names the passage's first character (assoc 0, "after"), the end its last (assoc -1,
"before"): typing just before or just after the passage leaves it as it was. When the whole
passage is deleted both resolve to the same place: the thread is detached.

Passages are counted in Unicode code points, as the REST API's text edits are, over the
document's text nodes joined by one newline (plain text: the text itself). The machinery that
reads and makes positions through pycrdt's public calls is content/passages.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc

from collab.content.passages import (
    anchor_nodes,
    copy_of,
    decode_position,
    joined,
    node_string,
    text_nodes,
    unknown,
)
from collab.content.passages import (
    locate_all as _locate_all,
)
from collab.errors import InvalidRequest


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
    # Found again by its quote where its deleted text was (an undo, a restore): its anchors
    # name deleted characters, and should be made again on the text that stands there now.
    revived: bool = False


def anchor(doc: Doc[Any], index: int, length: int) -> Passage:
    """Anchor the `length` code points from `index` of the document's text (422 outside it,
    or when an end falls on the break between two paragraphs). `doc` is not changed."""
    made = anchor_nodes(doc, index, length)
    return Passage(made.start, made.end, made.quote)


def anchor_quote(doc: Doc[Any], text: str, occurrence: int) -> Passage:
    """Anchor the `occurrence`-th (from 1) place where `text` stands in the document's text
    (422 when it does not stand there that often)."""
    current = joined([node_string(node) for node in text_nodes(copy_of(doc))])
    at = -1
    for _ in range(occurrence):
        at = current.find(text, at + 1)
        if at < 0:
            break
    if at < 0:
        found = current.count(text)
        raise InvalidRequest(
            f"passage.text: {text[:80]!r} stands {found} time(s) in the document's text, not "
            f"{occurrence}: quote it as it is now (GET .../threads shows passages as the "
            "server counts them)"
        )
    return anchor(doc, at, len(text))


def anchor_given(doc: Doc[Any], start: bytes, end: bytes) -> Passage:
    """Anchors an editor made (Yjs relative positions), once the server has checked them: each
    names a character of this document's text (422 otherwise), and the passage between them
    holds some text now (422 when it is empty or backwards)."""
    ends = ("start", "end")
    positions = [decode_position(start, "start"), decode_position(end, "end")]
    missing = unknown(doc, positions)
    if missing is not None:
        raise InvalidRequest(
            f"anchor.{ends[missing]}: it names a character this document does not hold (it "
            "never did, or it went with a deleted paragraph)"
        )
    where = locate(doc, start, end)
    if where is None:
        raise InvalidRequest(
            "anchor: the positions do not hold a passage of this document's text (the start "
            "must name its first character and the end its last, in the document's content)"
        )
    return Passage(start, end, where.text)


def locate(doc: Doc[Any], start: bytes, end: bytes) -> Located | None:
    """Where the passage between these anchors stands in `doc` now; None when it is gone
    (every character of it deleted) or the anchors name nothing of the document's text."""
    return locate_all(doc, [(start, end)])[0]


def locate_all(
    doc: Doc[Any],
    anchors: Sequence[tuple[bytes, bytes]],
    quotes: Sequence[str] | None = None,
) -> list[Located | None]:
    """`locate` for many passages of one document, working on one copy of it; with their
    `quotes`, a passage deleted and put back (an undo, a restore) is found again, revived."""
    if not anchors:
        return []
    return [
        None if where is None else Located(where.index, where.length, where.text, where.revived)
        for where in _locate_all(doc, anchors, quotes)
    ]
