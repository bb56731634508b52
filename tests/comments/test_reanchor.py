"""Re-anchoring on a restore, on documents made here (collab/documents/comment_anchors.py): a
detached thread whose passage a version holds is found there and anchored again in the restored
document; attached threads, a passage whose text changed meanwhile and one the document does
not hold are left alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pycrdt import Doc, Text, XmlElement, XmlFragment, XmlText

from collab.content.anchors import anchor, locate
from collab.content.restore import plan_restore
from collab.documents.comment_anchors import detached_in_version, reattach
from collab.store.comments import Author, Thread

TEXT = "Il était une fois 🙂 un renard brun."


def _thread(doc: Doc[Any], word: str, name: str) -> Thread:
    text = str(doc.get("content", type=Text))
    passage = anchor(doc, text.index(word), len(word))
    author = Author("Ada", "ada")
    now = datetime.now(UTC)
    return Thread(name, "r", passage.start, passage.end, passage.quote, author, now, None, None, ())


def _cut(content: Text, word: str) -> None:
    """Delete the first `word` of TEXT from `content` (pycrdt counts UTF-8 bytes)."""
    at = len(TEXT[: TEXT.index(word)].encode())
    del content[at : at + len(word.encode())]


def _restored(current: Doc[Any], version: bytes) -> None:
    edit = plan_restore(current, version)
    assert edit is not None
    with current.transaction():
        edit(current)


def test_a_detached_thread_is_found_in_the_version_and_anchored_again():
    doc: Doc[Any] = Doc()
    content = doc.get("content", type=Text)
    content += TEXT
    version = doc.get_update()
    fox = _thread(doc, "renard brun", "fox")
    once = _thread(doc, "fois", "once")
    _cut(content, "🙂 un renard brun")
    assert locate(doc, fox.start, fox.end) is None

    old: Doc[Any] = Doc()
    old.apply_update(version)
    found = detached_in_version(doc, old, [fox, once])
    assert [(d.thread, d.found.text) for d in found] == [("fox", "renard brun")]

    _restored(doc, version)
    again = reattach(doc, found)
    assert [a.thread for a in again] == ["fox"]
    where = locate(doc, again[0].passage.start, again[0].passage.end)
    assert where is not None and where.text == "renard brun"
    assert where.index == TEXT.index("renard brun")


def test_a_changed_passage_and_one_not_there_are_left_detached():
    doc: Doc[Any] = Doc()
    content = doc.get("content", type=Text)
    content += TEXT
    old: Doc[Any] = Doc()
    old.apply_update(doc.get_update())
    fox = _thread(doc, "renard", "fox")
    _cut(content, "renard")
    found = detached_in_version(doc, old, [fox])
    assert len(found) == 1
    content.insert(0, "Oh. ")  # the text is not the version's where the passage stood
    assert reattach(doc, found) == []

    rich: Doc[Any] = Doc()
    rich.get("content", type=XmlFragment).children.append(XmlElement("p", {}, [XmlText("hi")]))
    assert detached_in_version(rich, rich, [fox]) == []
    assert reattach(rich, found) == []
