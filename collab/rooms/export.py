"""Documents to plain values: the text of `content`, and every root type as JSON."""

from __future__ import annotations

from typing import Any

from pycrdt import Array, Doc, Map, Text, XmlFragment

CONTENT = "content"


def doc_from_update(update: bytes) -> Doc[Any]:
    """A fresh Doc holding `update`."""
    doc: Doc[Any] = Doc()
    doc.apply_update(update)
    return doc


def content_text(doc: Doc[Any]) -> str:
    """The root Y.Text `content`."""
    return str(doc.get(CONTENT, type=Text))


def doc_to_json(update: bytes) -> dict[str, Any]:
    """Every root type of the document encoded by `update`, converted to JSON values.

    Root types arrive untyped over the wire, so each is probed in a fresh Doc: entries with keys
    make a Map; a sequence that reads as non-empty text is a Text; items with no Python
    equivalent make an XmlFragment (rendered as XML); anything else is an Array.
    """
    names = list(doc_from_update(update).keys())
    return {name: _root_value(update, name) for name in sorted(names)}


def _root_value(update: bytes, name: str) -> Any:
    as_map = doc_from_update(update).get(name, type=Map)
    if len(as_map):
        return as_map.to_py()
    text = str(doc_from_update(update).get(name, type=Text))
    if text:
        return text
    as_array = doc_from_update(update).get(name, type=Array)
    try:
        items = as_array.to_py() or []
    except ValueError:
        return str(doc_from_update(update).get(name, type=XmlFragment))
    if not items:
        return "" if name == CONTENT else None
    return items
