"""A rich-text document to be (richnodes.py's values, in the shapes Markdown and ProseMirror JSON
are read into: Tiptap's nodes) in BlockNote's shape, so an edit sent as Markdown can be made to
a BlockNote document (richedit.py).

BlockNote (@blocknote/core, checked against 0.55) keeps its blocks in a `blockGroup` of
`blockContainer`s (each with a unique `id`), each holding one content element and, for nested
blocks, a `blockGroup` of its own (richtext.py reads them). Made here as BlockNote writes them,
with its default attributes (colours `default`, alignment `left`):

- a paragraph or heading (`level`) is a block of its own;
- each item of a bullet, ordered or task list is a `bulletListItem`, `numberedListItem` (the
  first of a list with `start` when it is not 1) or `checkListItem` (`checked`) holding the
  item's first paragraph; the item's other blocks are its nested blocks;
- a blockquote is a `quote` holding its paragraphs' text, a hard break between them (BlockNote's
  quote holds inline text); other blocks in it follow it;
- a code block keeps its `language` (`text` when none, as BlockNote sets), a rule is a
  `divider`, an image an `image` with `url` and its alt text as `name` (as BlockNote reads
  Markdown);
- a table keeps its rows and cells (`colspan`, `rowspan`, Markdown's `align` as
  `textAlignment`), each cell a `tableParagraph`: a cell holding more than one paragraph, or
  any other block, has no BlockNote shape and is refused (InvalidRequest).

Link marks keep only their `href` (BlockNote's link mark has no other attribute). Each block
gets a fresh random id: the edit keeps the id of every block it pairs with one already there.

Nodes already in BlockNote's shape (a `blockGroup`, or `blockContainer`s: what GET .../content
gives as ProseMirror JSON for a BlockNote document, or what a revert reads back) are taken as
they are."""

from __future__ import annotations

import uuid
from typing import Any

from collab.content.richnodes import Element, Inline, Node
from collab.errors import InvalidRequest

GROUP, CONTAINER = "blockGroup", "blockContainer"
# The attributes BlockNote gives a block's content element when no one set them.
_COLOURS: dict[str, Any] = {"backgroundColor": "default", "textColor": "default"}
_STYLED: dict[str, Any] = {**_COLOURS, "textAlignment": "left"}
_ITEMS = {"bulletList": "bulletListItem", "orderedList": "numberedListItem"}


def in_blocknote_shape(nodes: list[Node]) -> bool:
    """Whether `nodes` already are BlockNote's (a blockGroup or blockContainers)."""
    return bool(nodes) and all(
        isinstance(node, Element) and node.tag in (GROUP, CONTAINER) for node in nodes
    )


def blocknote_blocks(nodes: list[Node]) -> list[Node]:
    """`nodes` as the containers of a blockGroup (those of a blockGroup given whole)."""
    if in_blocknote_shape(nodes):
        out: list[Node] = []
        for node in nodes:
            if isinstance(node, Element) and node.tag == GROUP:
                out.extend(node.children)
            else:
                out.append(node)
        return out
    blocks: list[Node] = []
    for node in nodes:
        blocks.extend(_blocks(node))
    return blocks


def block(content: Element, nested: list[Node] | None = None) -> Element:
    """A container with a fresh id holding `content` and, if any, `nested` blocks."""
    children: list[Node] = [content]
    if nested:
        children.append(Element(GROUP, {}, nested))
    return Element(CONTAINER, {"id": str(uuid.uuid4())}, children)


def empty_paragraph() -> Element:
    """The empty block BlockNote keeps in a document with nothing else."""
    return block(Element("paragraph", dict(_STYLED)))


def _blocks(node: Node) -> list[Node]:
    if isinstance(node, Inline):  # text outside any block: a paragraph of it
        return [block(Element("paragraph", dict(_STYLED), [_inline(node)]))]
    tag, attrs = node.tag, node.attrs
    if tag == "paragraph":
        return [block(Element("paragraph", dict(_STYLED), _inlines(node.children)))]
    if tag == "heading":
        heading = {**_STYLED, "level": attrs.get("level", 1), "isToggleable": False}
        return [block(Element("heading", heading, _inlines(node.children)))]
    if tag in ("bulletList", "orderedList", "taskList"):
        return _list(node)
    if tag == "blockquote":
        return _quote(node)
    if tag == "codeBlock":
        language = attrs.get("language") or "text"
        return [block(Element("codeBlock", {"language": language}, _inlines(node.children)))]
    if tag == "horizontalRule":
        return [block(Element("divider", {}))]
    if tag == "image":
        image = {
            **_STYLED,
            "url": attrs.get("src", ""),
            "name": attrs.get("alt", ""),
            "caption": "",
            "showPreview": True,
        }
        del image["textColor"]
        return [block(Element("image", image))]
    if tag == "table":
        return [block(_table(node))]
    blocks: list[Node] = []  # a node BlockNote has no block for: its blocks
    for child in node.children:
        blocks.extend(_blocks(child))
    return blocks


def _list(node: Element) -> list[Node]:
    blocks: list[Node] = []
    start = node.attrs.get("start", 1)
    for number, item in enumerate(node.children):
        if not isinstance(item, Element):
            continue
        attrs: dict[str, Any] = dict(_STYLED)
        if node.tag == "taskList":
            tag = "checkListItem"
            attrs["checked"] = bool(item.attrs.get("checked", False))
        else:
            tag = _ITEMS[node.tag]
            if tag == "numberedListItem" and number == 0 and start != 1:
                attrs["start"] = start
        children = list(item.children)
        inline: list[Node] = []
        if children and isinstance(children[0], Element) and children[0].tag == "paragraph":
            inline = _inlines(children[0].children)
            children = children[1:]
        nested: list[Node] = []
        for child in children:
            nested.extend(_blocks(child))
        blocks.append(block(Element(tag, attrs, inline), nested))
    return blocks


def _quote(node: Element) -> list[Node]:
    """The quote's paragraphs as one quote, a hard break between them; its other blocks after
    it."""
    inline: list[Node] = []
    after: list[Node] = []
    for child in node.children:
        if isinstance(child, Element) and child.tag == "paragraph":
            if inline:
                inline.append(Element("hardBreak", {}))
            inline.extend(_inlines(child.children))
        else:
            after.extend(_blocks(child))
    return [block(Element("quote", dict(_COLOURS), inline)), *after]


def _table(node: Element) -> Element:
    rows: list[Node] = []
    for row in node.children:
        if not isinstance(row, Element) or row.tag != "tableRow":
            continue
        cells: list[Node] = []
        for cell in row.children:
            if not isinstance(cell, Element):
                continue
            attrs = {
                **_STYLED,
                "colspan": cell.attrs.get("colspan", 1),
                "rowspan": cell.attrs.get("rowspan", 1),
            }
            if cell.attrs.get("align") in ("left", "center", "right"):
                attrs["textAlignment"] = cell.attrs["align"]
            cells.append(Element(cell.tag, attrs, [Element("tableParagraph", {}, _cell(cell))]))
        rows.append(Element("tableRow", {}, cells))
    return Element("table", {"textColor": "default"}, rows)


def _cell(cell: Element) -> list[Node]:
    """A cell's text: BlockNote's cells hold one paragraph of it."""
    blocks = cell.children
    if not blocks:
        return []
    first = blocks[0]
    if len(blocks) > 1 or not isinstance(first, Element) or first.tag != "paragraph":
        raise InvalidRequest(
            "a BlockNote table's cell holds one paragraph of text: this table's cells hold "
            "other blocks (lists, several paragraphs...), which BlockNote cannot show; leave "
            "the table out or make its cells plain text"
        )
    return _inlines(first.children)


def _inlines(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, Inline):
            out.append(_inline(node))
        elif node.tag == "hardBreak":
            out.append(Element("hardBreak", {}))
    return out


def _inline(text: Inline) -> Inline:
    runs = []
    for content, marks in text.runs:
        link = marks.get("link") if marks else None
        if isinstance(link, dict):
            marks = {**marks, "link": {"href": link.get("href")}}
        runs.append((content, marks))
    return Inline(runs)
