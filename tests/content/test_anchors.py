"""Comment anchors over text that other clients wrote, in every width of character: the passage
anchored is the one asked for, and it is found again after edits before it."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Doc, StickyIndex, Text

from collab.content.anchors import anchor, locate


def _two_writers(first: str, second: str) -> tuple[Doc[Any], Doc[Any]]:
    """A document whose text two clients typed, each their own item."""
    one: Doc[Any] = Doc()
    one.get("content", type=Text).insert(0, first)
    other: Doc[Any] = Doc()
    other.apply_update(one.get_update())
    text = other.get("content", type=Text)
    text.insert(len(first.encode()), second)
    one.apply_update(other.get_update())
    return one, other


@pytest.mark.parametrize(
    ("first", "second", "passage"),
    [
        ("🙂", " one é two three", "two"),
        ("日本", "語のテキストです", "テキスト"),
        ("abc", " déjà vu ééé fin", "fin"),
        ("x", "ascii only here", "only"),
        ("a", "b🙂c🙂d", "🙂c🙂"),
        ("ééé", "ééé", "éé"),
    ],
)
def test_the_passage_asked_for_is_anchored_and_found_again(
    first: str, second: str, passage: str
) -> None:
    doc, writer = _two_writers(first, second)
    before = str(doc.get("content", type=Text))
    at = before.index(passage)
    made = anchor(doc, at, len(passage))
    assert made.quote == passage
    assert str(doc.get("content", type=Text)) == before, "the document itself is not changed"
    # The end names the last UTF-16 unit of the passage's last character by its Yjs clock, as
    # Y.createRelativePositionFromTypeIndex(text, end, -1) does in a JavaScript client (clocks
    # count UTF-16 units since the writer's first character).
    end = StickyIndex.decode(made.end).to_json()["item"]
    if end["client"] == writer.client_id:
        typed = second[: second.index(passage) + len(passage)]
        assert end["clock"] == len(typed.encode("utf-16-le")) // 2 - 1
    found = locate(doc, made.start, made.end)
    assert found is not None and (found.index, found.text) == (at, passage)
    text = writer.get("content", type=Text)
    text.insert(0, "ñ🙂é ")  # another client writes before it
    doc.apply_update(writer.get_update())
    moved = locate(doc, made.start, made.end)
    assert moved is not None and (moved.index, moved.text) == (at + 4, passage)
