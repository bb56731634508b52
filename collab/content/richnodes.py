"""A rich-text document to be, as plain values: the nodes y-prosemirror keeps in an XmlFragment
(an `Element` per node, with its attributes, and a `Inline` per run of inline text, with its
marks as formatting attributes), before any of it is written into Yjs. The Markdown import
(markdown_in.py) and the ProseMirror JSON reader (prosemirror_in.py) build them; a new
document is written from them (`write`), an existing one edited towards them (richedit.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pycrdt import XmlElement, XmlFragment, XmlText

Marks = dict[str, Any]
Run = tuple[str, Marks]


@dataclass
class Inline:
    """An XmlText to be: its runs of marked text."""

    runs: list[Run]


@dataclass
class Element:
    """An XmlElement to be."""

    tag: str
    attrs: dict[str, Any]
    children: list[Element | Inline] = field(default_factory=list)


Node = Element | Inline


def write(parent: XmlFragment | XmlElement, children: list[Node], at: int = 0) -> None:
    """Write `children` into `parent` before its child `at` (in the caller's transaction). The
    tree goes in last child first, each at the same index: yrs finds the start of a list or
    text at once, its end only by walking it (appending would take quadratic time)."""
    for child in reversed(children):
        if isinstance(child, Inline):
            text: XmlText = parent.children.insert(at, XmlText())
            for content, marks in reversed(child.runs):
                text.insert(0, content, marks or None)
        else:
            element: XmlElement = parent.children.insert(at, XmlElement(child.tag, child.attrs))
            write(element, child.children)
