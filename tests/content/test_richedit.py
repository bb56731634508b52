"""The smallest edit of a rich-text document towards new content (content/richedit.py), on
pycrdt documents: what did not change keeps its Yjs items."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from collab.content.markdown_in import to_fragment, to_nodes
from collab.content.prosemirror_in import from_prosemirror
from collab.content.prosemirror_out import to_prosemirror
from collab.content.richedit import (
    MARKDOWN,
    PROSEMIRROR,
    BlockRange,
    Outcome,
    Passage,
    Section,
    content_edit,
)
from collab.content.richtext import to_markdown
from collab.errors import InvalidRequest, PassageChanged

EVERYTHING = """# Title

A paragraph with **bold**, *italic*, ~~strike~~, `code` and [a link](https://example.org/).\\
After a hard break, naïve 😀 text.

- one
- two
  - nested

1. first
2. second

- [x] done
- [ ] to do

> Quoted *words*

```py
x = 1
```

---

| a | b |
| --- | :-: |
| 1 | 2 |

![a cat](https://example.org/cat.png)
"""


def _doc(markdown: str) -> tuple[Doc[Any], XmlFragment]:
    doc: Doc[Any] = Doc()
    fragment = doc.get("content", type=XmlFragment)
    with doc.transaction():
        to_fragment(markdown, fragment)
    return doc, fragment


def _apply(
    doc: Doc[Any], nodes: Any, fidelity: Any = MARKDOWN, passage: Passage = None, base: Any = None
) -> tuple[Outcome, list[list[Any]]]:
    """Apply the edit; its outcome and the paths of what it changed."""
    paths: list[list[Any]] = []
    fragment = doc.get("content", type=XmlFragment)
    watching = fragment.observe_deep(lambda events: paths.extend(list(e.path) for e in events))
    change, outcome = content_edit(nodes, fidelity, passage, base)
    with doc.transaction():
        change(doc)
    fragment.unobserve(watching)
    return outcome, paths


def test_the_same_markdown_changes_nothing():
    doc, fragment = _doc(EVERYTHING)
    before = doc.get_state()
    outcome, paths = _apply(doc, to_nodes(to_markdown(fragment)))
    assert paths == [] and doc.get_state() == before
    assert (outcome.changed, outcome.inserted, outcome.deleted) == (0, 0, 0)
    assert outcome.kept == len(list(fragment.children))


def test_the_same_prosemirror_changes_nothing():
    doc, fragment = _doc(EVERYTHING)
    outcome, paths = _apply(doc, from_prosemirror(to_prosemirror(fragment.children)), PROSEMIRROR)
    assert paths == [] and outcome.kept == len(list(fragment.children))


def test_a_word_changed_in_a_list_item_touches_that_item_only():
    doc, fragment = _doc(EVERYTHING)
    wanted = to_markdown(fragment).replace("- two", "- two and a half")
    outcome, paths = _apply(doc, to_nodes(wanted))
    assert (outcome.changed, outcome.inserted, outcome.deleted) == (1, 0, 0)
    assert paths and all(path[:3] == [2, 1, 0] for path in paths), paths
    assert to_markdown(fragment) == wanted


def test_an_inserted_paragraph_before_an_edited_one_keeps_the_edited_ones_node():
    doc, fragment = _doc("Beta is long enough to recognise.\n")
    beta = next(iter(fragment.children))
    assert isinstance(beta, XmlElement)
    text = next(iter(beta.children))
    assert isinstance(text, XmlText)
    outcome, _ = _apply(doc, to_nodes("New.\n\nBeta is long enough to recognise!\n"))
    assert (outcome.changed, outcome.inserted, outcome.deleted) == (1, 1, 0)
    assert to_markdown(fragment) == "New.\n\nBeta is long enough to recognise!\n"
    # Beta's text is the same Yjs text, changed in place.
    assert str(text) == "Beta is long enough to recognise!"


def test_emoji_and_accents_are_counted_right():
    doc, fragment = _doc("naïve 😀 café\n")
    _apply(doc, to_nodes("naïve 😀😀 **café** ok\n"))
    assert to_markdown(fragment) == "naïve 😀😀 **café** ok\n"


def test_markdown_keeps_what_it_cannot_say():
    doc, fragment = _doc("Under the line.\n\nSecond.\n")
    first = next(iter(fragment.children))
    assert isinstance(first, XmlElement)
    text = next(iter(first.children))
    assert isinstance(text, XmlText)
    text.format(0, 5, {"underline": {}})
    with doc.transaction():
        empty = fragment.children.insert(1, XmlElement("paragraph"))
    assert empty is not None
    _apply(doc, to_nodes("Under the line, **bold**.\n\nSecond.\n"))
    assert text.diff()[0] == ("Under", {"underline": {}})
    assert [getattr(c, "tag", None) for c in fragment.children] == ["paragraph"] * 3
    # ProseMirror JSON says everything: the underline and the empty paragraph go.
    _apply(doc, to_nodes("Under the line, **bold**.\n\nSecond.\n"), PROSEMIRROR)
    assert "underline" not in str(text.diff())
    assert len(list(fragment.children)) == 2


def test_sections_and_ranges():
    doc, fragment = _doc("# A\n\na\n\n## A.1\n\na1\n\n# B\n\nb\n")
    outcome, _ = _apply(doc, to_nodes("# A\n\nnew a\n"), passage=Section("A"))
    assert (outcome.start, outcome.end) == (0, 2)
    assert to_markdown(fragment) == "# A\n\nnew a\n\n# B\n\nb\n"
    outcome, _ = _apply(doc, to_nodes("Inserted.\n"), passage=BlockRange(2, 2))
    assert (outcome.start, outcome.end, outcome.inserted) == (2, 3, 1)
    assert to_markdown(fragment) == "# A\n\nnew a\n\nInserted.\n\n# B\n\nb\n"
    with pytest.raises(InvalidRequest, match="no heading 'C'"):
        _apply(doc, [], passage=Section("C"))
    with pytest.raises(PassageChanged):
        _apply(doc, [], passage=Section("C"), base='"x"')
    with pytest.raises(PassageChanged):
        _apply(doc, [], passage=Section("B"), base=outcome.tag)
    unchanged = outcome.tag
    outcome, _ = _apply(
        doc, to_nodes("Inserted, again.\n"), passage=BlockRange(2, 3), base=unchanged
    )
    assert outcome.changed == 1
