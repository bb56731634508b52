"""Blame's pure parts (content/blame.py, store/blame.py `ranges_of`): each character's item id is
read on a copy, runs join consecutive characters of one author, astral characters (two UTF-16
units) are credited by their first, duplicate records keep the first, and the log's rows become
joined clock ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pycrdt import Doc, Text

from collab.content.blame import Authorship, Span, blame
from collab.errors import InvalidRequest
from collab.store.blame import LogRow, ranges_of

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def two_writers() -> tuple[Doc[Any], bytes, bytes]:
    ada: Doc[Any] = Doc(client_id=1)
    ada_text = ada.get("content", type=Text)
    ada_text.insert(0, "a😀b")
    first = ada.get_update()
    bob: Doc[Any] = Doc(client_id=2)
    bob.apply_update(first)
    bob_text = bob.get("content", type=Text)
    before = bob.get_state()
    bob_text += "🎉c"
    second = bob.get_update(before)
    return bob, first, second


def test_astral_characters_are_credited_to_who_typed_them() -> None:
    doc, first, second = two_writers()
    rows = [LogRow(first, "Ada", T0), LogRow(second, "Bob", T0 + timedelta(hours=1))]
    who = Authorship([_span(r) for r in ranges_of(rows)])
    found = blame(doc, 0, None, 100, who)
    assert [(r.text, r.author, r.at) for r in found.runs] == [
        ("a😀b", "Ada", T0),
        ("🎉c", "Bob", T0 + timedelta(hours=1)),
    ]
    assert (found.index, found.length, found.total) == (0, 5, 5)
    part = blame(doc, 1, 3, 100, who)
    assert [(r.text, r.author) for r in part.runs] == [("😀b", "Ada"), ("🎉", "Bob")]
    assert str(doc.get("content", type=Text)) == "a😀b🎉c", "the document was changed"


def test_text_nobody_recorded_shows_no_author_and_the_bound_is_kept() -> None:
    doc, _, _ = two_writers()
    found = blame(doc, 0, None, 100, Authorship([]))
    assert [(r.text, r.author, r.at) for r in found.runs] == [("a😀b🎉c", None, None)]
    with pytest.raises(InvalidRequest):
        blame(doc, 0, 5, 4, Authorship([]))
    with pytest.raises(InvalidRequest):
        blame(doc, 4, 2, 100, Authorship([]))
    assert blame(doc, 0, None, 3, Authorship([])).length == 3


def test_the_first_record_of_a_clock_keeps_it() -> None:
    who = Authorship(
        [Span(1, 0, 10, "Ada", T0), Span(1, 0, 10, "Eve", T0), Span(1, 5, 20, "Bob", T0)]
    )
    held = [who.of((1, c)) for c in (0, 9, 10, 19)]
    assert [span.author if span else None for span in held] == ["Ada", "Ada", "Bob", "Bob"]
    assert who.of((1, 20)) is None and who.of((2, 0)) is None


def test_log_rows_become_ranges_joined_while_one_author_types_on() -> None:
    doc: Doc[Any] = Doc(client_id=7)
    text = doc.get("content", type=Text)
    updates = []
    for word in ("one ", "two ", "three"):
        before = doc.get_state()
        text.insert(len(str(text)), word)
        updates.append(doc.get_update(before))
    rows = [
        LogRow(updates[0], "Ada", T0),
        LogRow(updates[1], "Ada", T0 + timedelta(minutes=5)),
        LogRow(updates[2], "Ada", T0 + timedelta(hours=2)),
    ]
    assert [(r.client, r.start, r.end, r.author, r.at) for r in ranges_of(rows)] == [
        (7, 0, 8, "Ada", T0 + timedelta(minutes=5)),
        (7, 8, 13, "Ada", T0 + timedelta(hours=2)),
    ]
    assert ranges_of([LogRow(b"\xff", "Ada", T0)]) == [], "a row that does not parse is left out"


def _span(authored: Any) -> Span:
    return Span(authored.client, authored.start, authored.end, authored.author, authored.at)
