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


def root_kinds(update: bytes) -> dict[str, str]:
    """The kind of every root type: "map", "text", "array", "xml", or "empty"."""
    return {name: _root_kind(update, name) for name in doc_from_update(update).keys()}


def _root_kind(update: bytes, name: str) -> str:
    if len(doc_from_update(update).get(name, type=Map)):
        return "map"
    if str(doc_from_update(update).get(name, type=Text)):
        return "text"
    try:
        items = doc_from_update(update).get(name, type=Array).to_py()
    except ValueError:
        return "xml"
    return "array" if items else "empty"


def _root_value(update: bytes, name: str) -> Any:
    kind = _root_kind(update, name)
    doc = doc_from_update(update)
    if kind == "map":
        return doc.get(name, type=Map).to_py()
    if kind == "text":
        return str(doc.get(name, type=Text))
    if kind == "xml":
        return str(doc.get(name, type=XmlFragment))
    if kind == "array":
        return doc.get(name, type=Array).to_py()
    return "" if name == CONTENT else None
