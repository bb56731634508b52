"""A rich-text document's nodes (y-prosemirror's XmlElements and XmlTexts) as ProseMirror JSON,
the shape Tiptap's `editor.getJSON()` gives and prosemirror_in.py reads: an agent reads a
passage this way, changes it and sends it back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pycrdt import XmlElement, XmlText

from collab.content.richvalues import attributes, plain


def to_prosemirror(nodes: Iterable[Any]) -> dict[str, Any]:
    """{"type": "doc", "content": [...]} holding `nodes` (the top-level blocks of a passage)."""
    return {"type": "doc", "content": _nodes(nodes)}


def _nodes(nodes: Iterable[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in nodes:
        if isinstance(node, XmlText):
            out.extend(_text(node))
        elif isinstance(node, XmlElement):
            made: dict[str, Any] = {"type": node.tag}
            attrs = attributes(node)
            if attrs:
                made["attrs"] = attrs
            content = _nodes(node.children)
            if content:
                made["content"] = content
            out.append(made)
    return out


# Yjs keeps no order of a text's marks: they come out in the editor's (links first).
_MARK_ORDER = ("link", "bold", "italic", "strike", "underline", "code")


def _mark_order(mark: dict[str, Any]) -> tuple[int, str]:
    name = mark["type"]
    return (_MARK_ORDER.index(name) if name in _MARK_ORDER else len(_MARK_ORDER), name)


def _text(text: XmlText) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for chunk, attrs in text.diff():
        if not isinstance(chunk, str) or not chunk:
            continue
        node: dict[str, Any] = {"type": "text", "text": chunk}
        marks = []
        for key, value in (attrs or {}).items():
            mark: dict[str, Any] = {"type": key.split("--")[0]}  # y-prosemirror's overlapping marks
            if isinstance(value, dict) and value:
                mark["attrs"] = plain(value)
            marks.append(mark)
        if marks:
            node["marks"] = sorted(marks, key=_mark_order)
        out.append(node)
    return out
