"""A rich-text document as Tiptap (y-prosemirror) stores it, built with pycrdt for tests."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText


def _text(parent: XmlElement, *runs: tuple[str, dict[str, Any] | None]) -> None:
    text = parent.children.append(XmlText())
    for content, marks in runs:
        text.insert(len(text), content, marks)


def _paragraph(parent: XmlFragment | XmlElement, *runs: tuple[str, dict[str, Any] | None]) -> None:
    _text(parent.children.append(XmlElement("paragraph")), *runs)


def tiptap_document() -> Doc[Any]:
    """A heading, a paragraph with marks, lists, a task list, a quote, code and a rule."""
    doc: Doc[Any] = Doc()
    content = doc.get("content", type=XmlFragment)
    level: dict[str, Any] = {"level": 2}  # y-prosemirror keeps attributes as any JSON value
    _text(content.children.append(XmlElement("heading", level)), ("Plan", None))
    _paragraph(
        content,
        ("Ship ", None),
        ("bold", {"bold": {}}),
        (" and ", None),
        ("docs", {"link": {"href": "https://example.org/a?b=1&c=2"}}),
        (" <now>", None),
    )
    bullets = content.children.append(XmlElement("bulletList"))
    for word in ("one", "two"):
        _paragraph(bullets.children.append(XmlElement("listItem")), (word, None))
    tasks = content.children.append(XmlElement("taskList"))
    for word, done in (("write", True), ("test", False)):
        checked: dict[str, Any] = {"checked": done}
        _paragraph(tasks.children.append(XmlElement("taskItem", checked)), (word, None))
    _paragraph(content.children.append(XmlElement("blockquote")), ("Quoted", {"italic": {}}))
    _text(content.children.append(XmlElement("codeBlock", {"language": "py"})), ("x = 1", None))
    content.children.append(XmlElement("horizontalRule"))
    return doc
