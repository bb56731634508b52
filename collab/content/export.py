"""Documents to plain values: the text of `content`, and every root type as JSON."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from pycrdt import Array, Doc, Map, Text, XmlElement, XmlFragment, XmlText

from collab.content.richtext import to_html, to_markdown, to_text
from collab.content.roots import candidates, content_root

# Document kinds: a Y.Text at `content` (the CodeMirror editor, plain-text edits) or an
# XmlFragment (the Tiptap editor, ProseMirror).
TEXT = "text"
RICH = "rich"
DOCUMENT_KINDS = (TEXT, RICH)


def doc_from_update(update: bytes) -> Doc[Any]:
    """A fresh Doc holding `update`."""
    doc: Doc[Any] = Doc()
    doc.apply_update(update)
    return doc


def content_kind(doc: Doc[Any]) -> str | None:
    """What `content` holds: "rich" (XML nodes: an XmlFragment, as Tiptap and ProseMirror keep
    it), "text" (a Y.Text with text in it) or None (empty or absent). Reads the first child and
    the length only, never the whole content. Root types arrive untyped over the wire, and
    pycrdt views one root as either type without changing it."""
    name = content_root(doc)
    if name not in doc.keys():
        return None
    if next(iter(doc.get(name, type=XmlFragment).children), None) is not None:
        return RICH
    return TEXT if len(doc.get(name, type=Text)) else None


def content_text(doc: Doc[Any]) -> str:
    """The text of `content`: a plain Y.Text as it is; rich text (an XmlFragment, as
    ProseMirror and Tiptap keep it) as its text with its structure, a line per block."""
    return render_content(doc, "text")


def diff_text(doc: Doc[Any]) -> str:
    """The text version diffs compare: a plain document as it is; a rich one as Markdown, so a
    change of structure (a paragraph made a heading, a list) or of formatting (bold taken off,
    a link added) shows as a change, not only a change of words."""
    return render_content(doc, "markdown")


def render_content(doc: Doc[Any], fmt: str) -> str:
    """`content` as "text", "markdown" or "html". Plain text is already Markdown (the editor
    highlights it as such); as HTML it is escaped into a <pre> block."""
    update = doc.get_update()
    name = content_root(doc)
    if root_kind(update, name) == "xml":
        fragment = doc_from_update(update).get(name, type=XmlFragment)
        renderers = {"text": to_text, "markdown": to_markdown, "html": to_html}
        return renderers[fmt](fragment)
    text = str(doc_from_update(update).get(name, type=Text))
    return f"<pre>{html.escape(text)}</pre>" if fmt == "html" else text


# Formatting attributes of a run of text, sorted by name; and a Y.Text's runs of text.
Attributes = tuple[tuple[str, Any], ...]
Runs = tuple[tuple[str, Attributes], ...]


@dataclass(frozen=True, slots=True)
class Root:
    """One root type of a document: its kind ("map", "text", "array", "xml" or "empty") and
    its value as JSON (XML rendered as a string)."""

    kind: str
    value: Any
    # A text root's formatted runs, (text, attributes) as Y.Text deltas hold them: formatting
    # (bold, links: what y-quill and other delta editors store) that the plain value leaves out.
    runs: Runs = ()
    # An XML root's tree, compared in place of its string: pycrdt renders an element's
    # attributes in no set order (two readings of one BlockNote document differ).
    tree: Any = None

    def same_as(self, other: Root) -> bool:
        """Whether two roots hold the same content, formatting included; subdocuments are the
        same when their guids are."""
        if self.kind == other.kind == "xml":
            return bool(self.tree == other.tree)
        return plain_value(self.value) == plain_value(other.value) and self.runs == other.runs


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
    return {name: plain_value(root.value) for name, root in roots(update).items()}


def _runs(text: Text) -> Runs:
    """The formatted string runs of a Y.Text (embeds, which plain text leaves out, are kept as
    their JSON rendering so a change to one still shows)."""
    runs = []
    for chunk in text.diff():
        content, attributes = chunk[0], chunk[1] if len(chunk) > 1 else None
        key = content if isinstance(content, str) else json.dumps(plain_value(content), default=str)
        runs.append((key, tuple(sorted((attributes or {}).items()))))
    return tuple(runs)


def plain_value(value: Any) -> Any:
    """`value` as JSON: every subdocument replaced by its reference (nesting is bounded: updates
    nested deeper than the limit never reach a document)."""
    if isinstance(value, Doc):
        return {"$subdoc": {"guid": value.guid}}
    if isinstance(value, dict):
        return {key: plain_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_value(item) for item in value]
    return value


def _plain_map(shared: Map[Any]) -> dict[str, Any]:
    """A Y.Map as JSON values, as `Map.to_py` gives them, except that an XML node inside it
    (which `to_py` refuses: "no Python equivalent") is rendered as its XML string."""
    return {key: _plain_item(item) for key, item in shared.items()}


def _plain_item(item: Any) -> Any:
    if isinstance(item, Map):
        return _plain_map(item)
    if isinstance(item, Array):
        return [_plain_item(element) for element in item]
    if isinstance(item, (Text, XmlElement, XmlFragment, XmlText)):
        return str(item)
    return item


def _probe(update: bytes, name: str) -> Root:
    as_map = doc_from_update(update).get(name, type=Map)
    if len(as_map):
        return Root("map", _plain_map(as_map))
    text_type = doc_from_update(update).get(name, type=Text)
    text = str(text_type)
    if text:
        return Root("text", text, _runs(text_type))
    try:
        items = doc_from_update(update).get(name, type=Array).to_py()
    except ValueError:
        fragment = doc_from_update(update).get(name, type=XmlFragment)
        return Root("xml", str(fragment), tree=_xml_tree(fragment))
    if items:
        return Root("array", items)
    return Root("empty", "" if name in candidates() else None)


def _xml_tree(node: XmlFragment | XmlElement | XmlText) -> Any:
    """An XML node as nested tuples: (tag, sorted attributes, children), a text as its runs.
    An attribute read as None (set to undefined, as BlockNote leaves its unset props) counts as
    absent: a restore leaves it out (collab.content.restore), and editors read both alike."""
    if isinstance(node, XmlText):
        return tuple(
            (_json(chunk[0]), _json(chunk[1] if len(chunk) > 1 else None)) for chunk in node.diff()
        )
    attributes: Attributes = ()
    if isinstance(node, XmlElement):
        # (pycrdt types the view's __iter__ as returning an Iterable, not an Iterator)
        pairs = node.attributes.__iter__()
        attributes = tuple(sorted((k, _json(v)) for k, v in pairs if v is not None))
    tag = node.tag if isinstance(node, XmlElement) else None
    children = tuple(_xml_tree(child) for child in node.children)
    return (tag, attributes, children)


def _json(value: Any) -> str:
    return json.dumps(plain_value(value), sort_keys=True, default=str)
