"""A rich-text document to be, as plain values: the nodes y-prosemirror keeps in an XmlFragment
(an `Element` per node, with its attributes, and a `Inline` per run of inline text, with its
marks as formatting attributes), before any of it is written into Yjs. The Markdown import
(markdown_in.py) and the ProseMirror JSON reader (prosemirror_in.py) build them; a new
document is written from them (`write`), an existing one edited towards them (richedit.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import XmlElement, XmlFragment, XmlText

from collab.content.richvalues import plain

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


def read(nodes: Iterable[Any]) -> list[Node]:
    """Nodes of a document (an XmlFragment's children) as plain values, every attribute and
    mark as it is (an embed in a text is left out)."""
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, XmlText):
            runs = [
                (chunk, plain(dict(attrs or {})))
                for chunk, attrs in node.diff()
                if isinstance(chunk, str) and chunk
            ]
            out.append(Inline(runs))
        elif isinstance(node, XmlElement):
            attrs = {key: plain(value) for key, value in node.attributes.__iter__()}
            out.append(Element(node.tag or "", attrs, read(node.children)))
    return out
