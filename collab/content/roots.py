"""Which root type of a document holds its content: the text or XmlFragment an editor binds to.

collab's own editors keep it in `content`; other Yjs applications choose their own name (stock
Tiptap's Collaboration extension `default`, BlockNote `document-store`, y-prosemirror's
examples `prosemirror`, y-codemirror's `codemirror`, y-monaco's `monaco`, y-quill's `quill`). A
server may name another first (COLLAB_CONTENT_ROOT). The content root of a document is the
first of these names that holds something; failing that, any other root of the document that
holds XML nodes or text (the first by name; names starting with `__`, which applications keep
their own records under, left out), so an application's own name needs no setting; failing
that, the first known name it has; failing that, `content` (where text written into an empty
document goes).

Root types arrive untyped over the wire, and pycrdt views one root as either a text or an
XmlFragment without changing it; asking for a root the document lacks would create it, so only
names the document already has are looked at."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pycrdt import Doc, Text, XmlElement, XmlFragment, XmlText

from collab.contract import CONTENT

# The names Yjs applications keep their content in, most likely first.
KNOWN_ROOTS = (CONTENT, "default", "document-store", "prosemirror", "codemirror", "monaco", "quill")

_preferred: tuple[str, ...] = KNOWN_ROOTS


def prefer(names: Iterable[str]) -> None:
    """Try these root names (COLLAB_CONTENT_ROOT) before the known ones, in this process."""
    global _preferred
    first = tuple(name for name in names if name)
    _preferred = first + tuple(name for name in KNOWN_ROOTS if name not in first)


def candidates() -> tuple[str, ...]:
    """The root names looked at, in order."""
    return _preferred


def content_root(doc: Doc[Any]) -> str:
    """The name of the root holding `doc`'s content."""
    names = doc.keys()
    present = [name for name in _preferred if name in names]
    for name in present:
        if holds_content(doc, name):
            return name
    others = sorted(n for n in names if n not in _preferred and not n.startswith("__"))
    for name in others:
        if _holds_text_or_nodes(doc, name):
            return name
    return present[0] if present else CONTENT


def holds_content(doc: Doc[Any], name: str) -> bool:
    """Whether root `name` (which `doc` has) holds XML nodes or text."""
    if next(iter(doc.get(name, type=XmlFragment).children), None) is not None:
        return True
    return len(doc.get(name, type=Text)) > 0


def _holds_text_or_nodes(doc: Doc[Any], name: str) -> bool:
    """Whether root `name`, of an unknown name, holds XML nodes or characters (an array or a
    map viewed as a text holds none: its items are not strings)."""
    children = doc.get(name, type=XmlFragment).children
    if any(isinstance(child, XmlElement | XmlText) for child in children):
        return True
    return str(doc.get(name, type=Text)) != ""
