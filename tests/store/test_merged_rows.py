"""A batch's small updates to one room by one author are stored as one log row, and the rows
rebuild exactly the document the updates made; versions, large updates, other rooms and other
authors keep their places."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Text

from collab.rooms.writer import MERGE_MAX_BYTES, merged_rows
from collab.store.base import NewUpdate, NewVersion


def _keystrokes(count: int, doc: Doc[Any] | None = None) -> tuple[Doc[Any], list[bytes]]:
    doc = doc or Doc()
    text = doc.get("content", type=Text)
    updates: list[bytes] = []
    subscription = doc.observe(lambda event: updates.append(event.update))
    for index in range(count):
        text.insert(len(text), f"{index} ")
    doc.unobserve(subscription)
    return doc, updates


def _rebuilt(rows: list[NewUpdate | NewVersion]) -> str:
    doc: Doc[Any] = Doc()
    for row in rows:
        if isinstance(row, NewUpdate):
            doc.apply_update(row.data)
    return str(doc.get("content", type=Text))


def test_a_run_of_keystrokes_is_one_row_that_makes_the_same_text() -> None:
    doc, updates = _keystrokes(50)
    rows = merged_rows([NewUpdate("r", update, "ada") for update in updates])
    assert len(rows) == 1 and isinstance(rows[0], NewUpdate) and rows[0].author == "ada"
    assert _rebuilt(rows) == str(doc.get("content", type=Text))


def test_versions_authors_rooms_and_large_updates_break_runs_in_order() -> None:
    doc, updates = _keystrokes(6)
    large: Doc[Any] = Doc()
    large.get("content", type=Text).insert(0, "x" * (MERGE_MAX_BYTES + 1))
    big = large.get_update()
    version = NewVersion("r", b"state", "fp", "named", "v", "ada")
    items: list[NewUpdate | NewVersion] = [
        NewUpdate("r", updates[0], "ada"),
        NewUpdate("r", updates[1], "ada"),
        version,
        NewUpdate("r", updates[2], "ada"),
        NewUpdate("r", updates[3], "bo"),
        NewUpdate("other", big, "bo"),
        NewUpdate("r", updates[4], "bo"),
        NewUpdate("r", updates[5], "bo"),
    ]
    rows = merged_rows(items)
    shape = [(type(r).__name__, r.room, r.author) for r in rows]
    assert shape == [
        ("NewUpdate", "r", "ada"),
        ("NewVersion", "r", "ada"),
        ("NewUpdate", "r", "ada"),
        ("NewUpdate", "r", "bo"),
        ("NewUpdate", "other", "bo"),
        ("NewUpdate", "r", "bo"),
    ]
    assert rows[4] == items[5]  # stored as it came
    assert _rebuilt([r for r in rows if r.room == "r"]) == str(doc.get("content", type=Text))
