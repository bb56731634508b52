"""Reverting an agent session on documents in memory: by Yjs ids, so edits others made around
and after it stay."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Doc, Text, XmlElement, XmlFragment

from collab.content.revert import revert
from collab.errors import WrongDocumentKind


def _copy(doc: Doc[Any]) -> Doc[Any]:
    copy: Doc[Any] = Doc()
    copy.apply_update(doc.get_update())
    return copy


def test_what_the_session_wrote_goes_and_what_it_deleted_comes_back():
    person: Doc[Any] = Doc(client_id=1)
    text = person.get("content", type=Text)
    text += "The quick fox. "
    before = _copy(person)
    agent: Doc[Any] = Doc(client_id=2)
    agent.apply_update(person.get_update())
    start = agent.get_state()
    written = agent.get("content", type=Text)
    written.insert(4, "very ")
    del written[14:19]  # "fox. "
    session = agent.get_update(start)
    person.apply_update(session)
    text.insert(0, ">> ")
    text += "Human end."
    assert str(text) == ">> The very quick Human end."
    current = _copy(person)
    update = revert(before, current, [session])
    assert update is not None
    person.apply_update(update)
    assert str(text) == ">> The quick fox. Human end."


def test_nothing_is_left_to_undo_once_others_removed_it():
    person: Doc[Any] = Doc(client_id=1)
    text = person.get("content", type=Text)
    text += "abc"
    before = _copy(person)
    agent = _copy(person)
    start = agent.get_state()
    agent.get("content", type=Text).insert(3, "XYZ")
    session = agent.get_update(start)
    person.apply_update(session)
    del text[3:6]
    assert revert(before, _copy(person), [session]) is None


def test_rich_text_is_refused():
    doc: Doc[Any] = Doc()
    doc.get("content", type=XmlFragment).children.append(XmlElement("paragraph"))
    with pytest.raises(WrongDocumentKind):
        revert(Doc(), doc, [])
