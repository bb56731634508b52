"""Accepting a suggestion: its edit applied to the document as it stands now, a forward edit
like any other (docs/suggestions.md).

A suggestion holds its place by Yjs relative positions (content/passages.py), so it is applied
where its point or passage stands in the current text, whatever others changed meanwhile: an
insertion where its point resolves (its neighbour deleted or not), a deletion or replacement
over what is left of its passage. Plain text (the `content` Y.Text) and rich text (the XmlText
nodes of the content root) alike; a deletion may span text nodes: each one's share of the
passage is deleted, and sibling paragraphs whose breaks it took are joined into the first, as
an editor joins them (`_join`). Inserted text takes the formatting of the
character before it (at the start of a node: of the character it replaces, or the one after
it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from collab.content.anchors import locate
from collab.content.export import RICH, content_kind
from collab.content.passages import (
    Node,
    locate_insertion,
    node_string,
    text_nodes,
    utf8,
)
from collab.errors import SuggestionConflict

# The marks a format suggestion may add or remove, as y-prosemirror names them (a link needs
# its address and title: links are not suggested).
FORMAT_MARKS = ("bold", "italic", "strike", "underline", "code")


@dataclass(frozen=True, slots=True)
class Proposal:
    """A suggestion's edit: insert `text` at the point `at`, or delete (replace by `text`) the
    passage from `start` to `end` (encoded relative positions) that last read `quote`, or
    (format) add or remove `marks` over that passage."""

    kind: str
    text: str
    start: bytes
    end: bytes
    at: bytes | None
    quote: str
    marks: dict[str, bool] | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """What an accept did: where in the joined text, what it deleted and inserted."""

    index: int
    deleted: str
    inserted: str


def apply_proposal(doc: Doc[Any], proposal: Proposal) -> Applied:
    """Apply the proposal to `doc` in place (the live document, inside the edit's
    transaction). SuggestionConflict (409), and nothing changed, when its point names nothing
    the document holds, or every character of its passage is deleted."""
    if proposal.kind == "insert":
        index, block = locate_insertion(doc, proposal.at or proposal.start)
        if index is None:
            raise SuggestionConflict(
                "the place this insertion was made for is gone (its paragraph was deleted): "
                "it can no longer be applied; reject it, or suggest it again"
            )
        if block is None or not _fill(block, proposal.text):
            _replace(doc, index, 0, proposal.text)
        return Applied(index, "", proposal.text)
    where = locate(doc, proposal.start, proposal.end)
    if where is None:
        raise SuggestionConflict(
            f"the passage this {proposal.kind} was made for ({proposal.quote[:80]!r}) has been "
            "deleted since: there is nothing left to apply it to; reject it instead"
        )
    if proposal.kind == "format":
        _format(doc, where.index, where.length, proposal.marks or {})
        return Applied(where.index, "", "")
    _replace(doc, where.index, where.length, proposal.text)
    return Applied(where.index, where.text, proposal.text)


def _format(doc: Doc[Any], index: int, length: int, marks: dict[str, bool]) -> None:
    """Add (True) or remove (False) `marks` over `length` code points of the joined text from
    `index`, each text node its share, as the editor's mark command does: y-prosemirror keeps a
    mark as an attribute holding the mark's own attributes (none for these), removed by null.
    As in the editor's schema, a code block's text takes no marks, inline code takes no other
    (adding `code` removes them, and other marks are not added to code)."""
    if content_kind(doc) != RICH:
        raise SuggestionConflict("a plain-text document has no formatting to change")
    marks = {name: add for name, add in marks.items() if name in FORMAT_MARKS}
    nodes = text_nodes(doc)
    strings = [node_string(node) for node in nodes]
    at = 0
    for node, string in zip(nodes, strings, strict=True):
        begin, end = max(index, at) - at, min(index + length, at + len(string)) - at
        at += len(string) + 1
        if end <= begin or not isinstance(node, XmlText):
            continue
        if _in_code_block(node):
            continue
        for first, last, held in _runs(node, begin, end):
            looks = _looks(marks, held)
            if looks:
                node.format(utf8(string, first), utf8(string, last), looks)


def _runs(node: XmlText, begin: int, end: int) -> list[tuple[int, int, set[str]]]:
    """The runs of `node`'s text from code point `begin` to `end`: (from, to, its marks)."""
    runs: list[tuple[int, int, set[str]]] = []
    seen = 0
    for chunk in node.diff():
        value, attributes = chunk[0], chunk[1] if len(chunk) > 1 else None
        if not isinstance(value, str):
            continue
        first, last = max(begin, seen), min(end, seen + len(value))
        if last > first:
            runs.append((first, last, set(attributes or {})))
        seen += len(value)
    return runs


def _looks(marks: dict[str, bool], held: set[str]) -> dict[str, Any]:
    """The attributes that change a run holding the marks `held` as `marks` asks."""
    if marks.get("code"):  # code excludes every other mark (links too)
        gone = {name: None for name in held if name != "code"}
        return {**gone, "code": {}}
    looks: dict[str, Any] = {}
    for name, add in marks.items():
        if add and "code" not in held:
            looks[name] = {}
        elif not add and name in held:
            looks[name] = None
    return looks


def _replace(doc: Doc[Any], index: int, length: int, text: str) -> None:
    """Delete `length` code points of the joined text from `index` (each node its share, last
    first), then insert `text` at `index`."""
    nodes = text_nodes(doc)
    strings = [node_string(node) for node in nodes]
    starts, at = [], 0
    for string in strings:
        starts.append(at)
        at += len(string) + 1
    home = next(
        n for n, (b, s) in enumerate(zip(starts, strings, strict=True)) if b <= index <= b + len(s)
    )
    offset = index - starts[home]
    looks = _formatting(nodes[home], strings[home], offset)
    for number in reversed(range(len(nodes))):
        begin = max(index, starts[number])
        end = min(index + length, starts[number] + len(strings[number]))
        if end > begin:
            string = strings[number]
            first, last = begin - starts[number], end - starts[number]
            del nodes[number][utf8(string, first) : utf8(string, last)]
    last = max(n for n in range(len(nodes)) if starts[n] <= index + length)
    if last > home:
        _join(nodes[home : last + 1])
    target = nodes[home]
    if "\n" in text and isinstance(target, XmlText) and not _in_code_block(target):
        if _split(target, offset, text.split("\n"), looks):
            return
        text = text.replace("\n", " ")  # a block that cannot be split takes one line
    if text:
        _insert(target, utf8(node_string(target), offset), text, looks)


def _fill(block: XmlElement, text: str) -> bool:
    """Insert `text` into a block holding no text node (an empty paragraph, as y-prosemirror
    leaves one), as an editor does when someone types there: a text node at the block's end
    holds it (a newline splits the block, as Enter would). False, with nothing done, when the
    block holds text by now (typed there since): the point then stands at its end, in the
    joined text, like any other."""
    if any(isinstance(child, XmlText) for child in block.children):
        return False
    block.children.append(XmlText())
    node = block.children[len(block.children) - 1]
    assert isinstance(node, XmlText)
    if _in_code_block(node):
        _insert(node, 0, text, None)
        return True
    if "\n" in text and _split(node, 0, text.split("\n"), None):
        return True
    if text:
        _insert(node, 0, text.replace("\n", " "), None)
    return True


def _insert(node: Node, at: int, text: str, looks: dict[str, Any] | None) -> None:
    """Insert `text` at UTF-8 offset `at` of `node`, formatted with `looks`."""
    if looks:
        node.insert(at, text, looks)
    else:
        node.insert(at, text)


def _split(node: XmlText, offset: int, lines: list[str], looks: dict[str, Any] | None) -> bool:
    """Insert `lines` at code point `offset` of `node` as an editor does when Enter is pressed
    between them: the block is split there, each line after the first a new block. Of the text
    before and after the point, the shorter moves into a new block (Yjs writes it anew, with
    its formatting) and the longer stays where it is, with its comments' anchors and its
    authors. Whether it could: only a block holding that one text node, in a fragment or an
    element (paragraphs, headings, list items' and table cells' paragraphs; not code blocks,
    whose newlines are their text's)."""
    block = node.parent
    if not isinstance(block, XmlElement) or len(block.children) != 1:
        return False
    holder, own = block.parent, block.tag
    if own is None or own == "codeBlock" or not isinstance(holder, XmlElement | XmlFragment):
        return False
    if isinstance(holder, XmlElement) and holder.tag == "blockContainer":
        return False  # BlockNote: one content block per container; its blocks are not split
    place = next((n for n, child in enumerate(holder.children) if child == block), None)
    if place is None:
        return False
    string = node_string(node)
    head, tail = string[:offset], string[offset:]
    attributes = dict(block.attributes.__iter__())
    if len(tail) <= len(head):  # the block keeps its head; the tail (if any) moves
        moved = _chunks(node, offset, len(string))
        del node[utf8(string, offset) :]
        _insert(node, utf8(head, offset), lines[0], looks)
        tag = "paragraph" if not tail and own == "heading" else own
        shape = {} if tag != own else attributes
        for number, line in enumerate(lines[1:], start=1):
            made = _new_block(holder, place + number, tag, shape)
            _insert(made, 0, line, looks)
            if number == len(lines) - 1:
                _append(made, moved)
        return True
    moved = _chunks(node, 0, offset)  # the block keeps its tail; the head moves
    del node[: utf8(string, offset)]
    _insert(node, 0, lines[-1], looks)
    for number, line in enumerate(lines[:-1]):
        made = _new_block(holder, place + number, own, attributes)
        _append(made, [*(moved if number == 0 else []), (line, looks)])
    return True


def _in_code_block(node: XmlText) -> bool:
    """Whether `node` is a code block's text (whose newlines are its own)."""
    return isinstance(node.parent, XmlElement) and node.parent.tag == "codeBlock"


def _new_block(
    holder: XmlElement | XmlFragment, place: int, tag: str, attributes: dict[str, Any]
) -> XmlText:
    """A new block `tag` at `place` of `holder`, holding an empty text node: that node."""
    holder.children.insert(place, XmlElement(tag, attributes, contents=[XmlText()]))
    block = holder.children[place]
    assert isinstance(block, XmlElement)
    made = block.children[0]
    assert isinstance(made, XmlText)
    return made


def _chunks(node: Node, begin: int, end: int) -> list[tuple[str, dict[str, Any] | None]]:
    """The text from code point `begin` to `end` of `node` as runs with their formatting."""
    runs: list[tuple[str, dict[str, Any] | None]] = []
    seen = 0
    for chunk in node.diff():
        value, attributes = chunk[0], chunk[1] if len(chunk) > 1 else None
        if not isinstance(value, str):
            continue
        part = value[max(begin - seen, 0) : max(end - seen, 0)]
        if part:
            runs.append((part, dict(attributes) if attributes else None))
        seen += len(value)
    return runs


def _append(node: Node, runs: list[tuple[str, dict[str, Any] | None]]) -> None:
    """Append formatted `runs` to the end of `node`."""
    end = len(node_string(node).encode("utf-8", "surrogatepass"))
    for value, attributes in runs:
        if value:
            _insert(node, end, value, attributes)
            end += len(value.encode("utf-8", "surrogatepass"))


def _join(nodes: list[Node]) -> None:
    """Join the blocks (paragraphs, headings) holding `nodes`, whose breaks a deletion took:
    what is left of the last node's text moves to the end of the first's, with its formatting,
    and the blocks after the first are removed. Only for sibling blocks that each hold one text
    node and nothing else (else they stay apart, each holding what is left of its text)."""
    blocks: list[XmlElement] = []
    for node in nodes:
        block = node.parent if isinstance(node, XmlText) else None
        if not isinstance(block, XmlElement) or len(block.children) != 1:
            return
        blocks.append(block)
    holder = blocks[0].parent
    if not isinstance(holder, XmlElement | XmlFragment):
        return
    if any(block.parent != holder for block in blocks):
        return
    siblings = list(holder.children)
    places = [next((n for n, c in enumerate(siblings) if c == b), -1) for b in blocks]
    if places[0] < 0 or places != list(range(places[0], places[0] + len(blocks))):
        return
    first, tail = nodes[0], nodes[-1]
    _append(first, _chunks(tail, 0, len(node_string(tail))))
    for place in reversed(places[1:]):
        del holder.children[place]


def _formatting(node: Node, string: str, offset: int) -> dict[str, Any] | None:
    """The formatting text inserted at `offset` of `node` takes: the character before's; at the
    node's start, the first replaced character's, else the one after's (None: plain)."""
    if offset > 0:
        return _attributes_at(node, offset - 1)
    if string:
        return _attributes_at(node, 0)
    return None


def _attributes_at(node: Node, offset: int) -> dict[str, Any] | None:
    """The attributes of the character at code point `offset` of `node`."""
    seen = 0
    for chunk in node.diff():
        value, attributes = chunk[0], chunk[1] if len(chunk) > 1 else None
        if not isinstance(value, str):
            continue
        if seen + len(value) > offset:
            return dict(attributes) if attributes else None
        seen += len(value)
    return None
