"""Documents to plain values: the text of `content`, and every root type as JSON."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Root:
    """One root type of a document: its kind ("map", "text", "array", "xml" or "empty") and
    its value as JSON (XML rendered as a string)."""

    kind: str
    value: Any


# What a document without a root of some name holds there.
ABSENT = Root("empty", None)


def roots(update: bytes) -> dict[str, Root]:
    """Every root type of the document encoded by `update`, by name.

    Root types arrive untyped over the wire, so each is probed in a fresh Doc: entries with keys
    make a Map; a sequence that reads as non-empty text is a Text; items with no Python
    equivalent make an XmlFragment; anything else is an Array.
    """
    names = sorted(doc_from_update(update).keys())
    return {name: _probe(update, name) for name in names}


def root_kind(update: bytes, name: str) -> str:
    """The kind of root `name` in the document encoded by `update` ("empty" when absent)."""
    if name not in doc_from_update(update).keys():
        return ABSENT.kind
    return _probe(update, name).kind


def doc_to_json(update: bytes) -> dict[str, Any]:
    """Every root type of the document encoded by `update`, converted to JSON values; a
    subdocument becomes a reference, `{"$subdoc": {"guid": ...}}` (its content is a document
    of its own, synced separately)."""
    return {name: _plain(root.value) for name, root in roots(update).items()}


def _plain(value: Any) -> Any:
    """`value` with every subdocument replaced by its reference (nesting is bounded: updates
    nested deeper than the limit never reach a document)."""
    if isinstance(value, Doc):
        return {"$subdoc": {"guid": value.guid}}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _probe(update: bytes, name: str) -> Root:
    as_map = doc_from_update(update).get(name, type=Map)
    if len(as_map):
        return Root("map", as_map.to_py())
    text = str(doc_from_update(update).get(name, type=Text))
    if text:
        return Root("text", text)
    try:
        items = doc_from_update(update).get(name, type=Array).to_py()
    except ValueError:
        return Root("xml", str(doc_from_update(update).get(name, type=XmlFragment)))
    if items:
        return Root("array", items)
    return Root("empty", "" if name == CONTENT else None)
