"""A rich document with every node the editors make (and a table and images), built with pycrdt
as Tiptap stores it, for the PDF and DOCX tests."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

STORED = "/api/rooms/printing/images/img-1"
OUTSIDE = "https://example.org/cat.png"


def picture(width: int = 120, height: int = 60) -> bytes:
    """A small red PNG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def _text(parent: XmlElement, *runs: tuple[str, dict[str, Any] | None]) -> None:
    text = parent.children.append(XmlText())
    for content, marks in runs:
        text.insert(len(text), content, marks)


def _paragraph(parent: XmlFragment | XmlElement, *runs: tuple[str, dict[str, Any] | None]) -> None:
    _text(parent.children.append(XmlElement("paragraph")), *runs)


def _heading(parent: XmlFragment, level: int, words: str) -> None:
    attrs: dict[str, Any] = {"level": level}  # y-prosemirror keeps attributes as any JSON
    _text(parent.children.append(XmlElement("heading", attrs)), (words, None))


def every_node_document() -> Doc[Any]:
    doc: Doc[Any] = Doc()
    content = doc.get("content", type=XmlFragment)
    _heading(content, 1, "Plan Ωμέγα Привет")
    para = content.children.append(XmlElement("paragraph"))
    _text(
        para,
        ("Ship ", None),
        ("bold", {"bold": {}}),
        (" ", None),
        ("slanted", {"italic": {}}),
        (" ", None),
        ("struck", {"strike": {}}),
        (" ", None),
        ("run()", {"code": {}}),
        (" and ", None),
        ("docs", {"link": {"href": "https://example.org/docs"}}),
        (" not ", None),
        ("evil", {"link": {"href": "javascript:alert(1)"}}),
    )
    para.children.append(XmlElement("hardBreak"))
    _text(para, ("second line", None))
    _heading(content, 2, "Lists")
    bullets = content.children.append(XmlElement("bulletList"))
    for word in ("one", "two"):
        item = bullets.children.append(XmlElement("listItem"))
        _paragraph(item, (word, None))
    nested = item.children.append(XmlElement("orderedList"))
    _paragraph(nested.children.append(XmlElement("listItem")), ("two-a", None))
    start: dict[str, Any] = {"start": 3}
    numbered = content.children.append(XmlElement("orderedList", start))
    for word in ("three", "four"):
        _paragraph(numbered.children.append(XmlElement("listItem")), (word, None))
    tasks = content.children.append(XmlElement("taskList"))
    for word, done in (("written", True), ("tested", False)):
        checked: dict[str, Any] = {"checked": done}
        _paragraph(tasks.children.append(XmlElement("taskItem", checked)), (word, None))
    _heading(content, 3, "Details")
    _paragraph(content.children.append(XmlElement("blockquote")), ("Quoted", {"italic": {}}))
    code = content.children.append(XmlElement("codeBlock", {"language": "py"}))
    _text(code, ("x = 1\nprint(x)", None))
    content.children.append(XmlElement("horizontalRule"))
    table = content.children.append(XmlElement("table"))
    bold: dict[str, Any] = {"bold": {}}
    rows: list[list[tuple[str, list[tuple[str, dict[str, Any] | None]], dict[str, Any]]]] = [
        [("tableHeader", [("Fruit", None)], {}), ("tableHeader", [("Count", None)], {})],
        [("tableCell", [("apples", None)], {}), ("tableCell", [("3 ", None), ("ripe", bold)], {})],
        [("tableCell", [("all of them", None)], {"colspan": 2})],
    ]
    for cells in rows:
        row = table.children.append(XmlElement("tableRow"))
        for tag, runs, attrs in cells:
            _paragraph(row.children.append(XmlElement(tag, attrs)), *runs)
    content.children.append(XmlElement("image", {"src": STORED, "alt": "red box"}))
    content.children.append(XmlElement("image", {"src": OUTSIDE, "alt": "a cat"}))
    _paragraph(content, ("The end", None))
    return doc
