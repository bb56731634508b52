"""SurrogatePairs against yrs (pycrdt), with updates written by Yjs 13.6 (tests/interop has the
same edits made live by Node clients).

Client 1 typed "a😀b"; client 2 then edited at UTF-16 index 2, between the emoji's halves. Yjs
shows each half as U+FFFD; yrs kept the emoji whole, with item lengths off by one.
"""

from __future__ import annotations

from base64 import b64decode
from typing import Any

import pytest
from pycrdt import Doc, Text

from collab.content.surrogates import SurrogatePairs
from collab.protocol.yupdate import parse_state_vector, parse_update
from collab.rooms.writer import SeparateUpdate, merged_rows
from collab.store.base import NewUpdate
from collab.store.merge import merge_parts

TYPED = b64decode("AQEBAAQBB2NvbnRlbnQGYfCfmIBiAA==")  # "a😀b", client 1
EDITS = {
    # Yjs' update, and the text Yjs shows after it.
    "insert X at 2": (b64decode("AQECAMQBAQECAVgA"), "a\ufffdX\ufffdb"),
    "delete 1 at 2": (b64decode("AAEBAQIB"), "a\ufffdb"),
}


def _text(doc: Doc[Any]) -> str:
    return str(doc.get("content", type=Text))


def _replay(parts: list[bytes]) -> Doc[Any]:
    doc: Doc[Any] = Doc()
    for part in parts:
        doc.apply_update(part)
    return doc


def _repairs(doc: Doc[Any], update: bytes) -> list[bytes]:
    pairs = SurrogatePairs(doc, 64)
    return pairs.repairs(parse_update(update, 64), lambda: parse_state_vector(doc.get_state()))


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edit_between_the_halves_of_an_emoji_is_preceded_by_its_repair(edit: str):
    update, shown_by_yjs = EDITS[edit]
    doc = _replay([TYPED])
    repairs = _repairs(doc, update)
    for part in [*repairs, update]:
        doc.apply_update(part)
    assert _text(doc) == shown_by_yjs
    log = [TYPED, *repairs, update]
    # What newcomers, versions, a restart and a compaction get: all the same text.
    assert _text(_replay([doc.get_update()])) == shown_by_yjs
    assert _text(_replay(log)) == shown_by_yjs
    assert _text(_replay([merge_parts(log)])) == shown_by_yjs


def test_group_commit_keeps_the_repair_in_rows_of_its_own():
    """One author's updates in a batch share a row, which yrs applies in one transaction: the
    repair's deletion must be applied before anything builds between the halves."""
    update, shown_by_yjs = EDITS["insert X at 2"]
    doc = _replay([TYPED])
    repairs = _repairs(doc, update)
    batch = [
        NewUpdate("r", TYPED),
        *(SeparateUpdate("r", repair) for repair in repairs),
        NewUpdate("r", update),
    ]
    rows = merged_rows(list(batch))
    assert len(rows) == 4
    assert _text(_replay([row.data for row in rows if isinstance(row, NewUpdate)])) == shown_by_yjs


def test_an_edit_beside_an_emoji_needs_no_repair():
    beside = b64decode("AQECAMQBAgEDAVgA")  # "X" at UTF-16 index 3: "a😀Xb"
    doc = _replay([TYPED])
    assert _repairs(doc, beside) == []
    doc.apply_update(beside)
    assert _text(_replay([doc.get_update()])) == "a😀Xb"


def test_a_deleted_emoji_needs_no_repair():
    doc = _replay([TYPED])
    other = _replay([TYPED])
    text = other.get("content", type=Text)
    del text[1:5]  # pycrdt counts UTF-8 bytes: the emoji's four
    removal = other.get_update(doc.get_state())
    doc.apply_update(removal)
    assert _text(doc) == "ab"
    assert _repairs(doc, EDITS["insert X at 2"][0]) == []
