"""A rich document's blocks, for the page renderers (PDF, DOCX): a walk of the XmlFragment that
Tiptap (y-prosemirror) or BlockNote keeps into plain values: headings, paragraphs, lists (bullet,
numbered, task; nested), quotes, code, rules, images and tables, with their inline runs of text
and marks (bold, italic, strike, code, link). Unknown nodes give their children; BlockNote's
blockGroups of blockContainers become the same blocks (a run of list items of one kind is one
list, blocks nested under an item are part of it). Every value is read defensively: documents
are written by clients, so a level, a start or a span that is not a sensible number is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import XmlElement, XmlFragment, XmlText

from collab.content.richtext import group_blocks


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with its marks; a hard break is a Span of "\\n"."""

    text: str
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Paragraph:
    spans: list[Span]


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    spans: list[Span]


@dataclass(frozen=True, slots=True)
class ListItem:
    blocks: list[Block]
    checked: bool | None = None  # task items only


@dataclass(frozen=True, slots=True)
class ListBlock:
    kind: str  # "bullet", "ordered" or "task"
    items: list[ListItem]
    start: int = 1


@dataclass(frozen=True, slots=True)
class Quote:
    blocks: list[Block]


@dataclass(frozen=True, slots=True)
class Code:
    text: str


@dataclass(frozen=True, slots=True)
class Rule:
    pass


@dataclass(frozen=True, slots=True)
class Image:
    src: str
    alt: str


@dataclass(frozen=True, slots=True)
class Cell:
    blocks: list[Block]
    header: bool = False
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True, slots=True)
class Table:
    rows: list[list[Cell]] = field(default_factory=list)


Block = Paragraph | Heading | ListBlock | Quote | Code | Rule | Image | Table

_LISTS = {"bulletList": "bullet", "orderedList": "ordered", "taskList": "task"}
_BLOCKNOTE_ITEMS = {
    "bulletListItem": "bullet",
    "toggleListItem": "bullet",
    "numberedListItem": "ordered",
    "checkListItem": "task",
}
_INLINE_PARENTS = {"paragraph", "tableParagraph"}


def document_blocks(fragment: XmlFragment) -> list[Block]:
    """The blocks of a rich document's fragment, in order."""
    return _blocks(fragment.children)


def image_sources(blocks: Iterable[Block]) -> list[str]:
    """Every image's src, in document order (for fetching the stored ones before rendering)."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Image):
            out.append(block.src)
        elif isinstance(block, Quote):
            out.extend(image_sources(block.blocks))
        elif isinstance(block, ListBlock):
            for item in block.items:
                out.extend(image_sources(item.blocks))
        elif isinstance(block, Table):
            for row in block.rows:
                for cell in row:
                    out.extend(image_sources(cell.blocks))
    return out


def table_grid(table: Table) -> list[list[Cell | None]]:
    """Each slot of a table's grid: the cell covering it (a span covers several, rows spans
    reach no further than the table), or None where a row is shorter than the widest."""
    grid: list[list[Cell | None]] = [[] for _ in table.rows]
    for r, row in enumerate(table.rows):
        c = 0
        for cell in row:
            while c < len(grid[r]) and grid[r][c] is not None:
                c += 1
            for dr in range(min(cell.rowspan, len(table.rows) - r)):
                line = grid[r + dr]
                line.extend([None] * (c + cell.colspan - len(line)))
                for dc in range(cell.colspan):
                    line[c + dc] = cell
            c += cell.colspan
    width = max((len(line) for line in grid), default=0)
    for line in grid:
        line.extend([None] * (width - len(line)))
    return grid


def _attributes(element: XmlElement) -> dict[str, Any]:
    return dict(element.attributes.__iter__())


def _number(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return number if low <= number <= high else default


def _blocks(nodes: Iterable[Any]) -> list[Block]:
    out: list[Block] = []
    for node in nodes:
        if isinstance(node, XmlText):
            out.append(Paragraph(_spans([node])))
        elif isinstance(node, XmlElement):
            out.extend(_block(node))
    return out


def _block(element: XmlElement) -> list[Block]:
    tag, attrs = element.tag or "", _attributes(element)
    if tag == "blockGroup":
        return _block_group(element)
    if tag in _INLINE_PARENTS:
        return [Paragraph(_spans(element.children))]
    if tag == "heading":
        return [Heading(_number(attrs.get("level"), 1, 1, 6), _spans(element.children))]
    if tag in _LISTS:
        return [_list(element, _LISTS[tag], attrs)]
    if tag in ("blockquote", "quote"):
        inner = _blocks(element.children)
        if any(isinstance(node, XmlText) for node in element.children):
            inner = [Paragraph(_spans(element.children))]  # BlockNote's quote holds text
        return [Quote(inner)]
    if tag == "codeBlock":
        return [Code(_plain(element.children))]
    if tag in ("horizontalRule", "divider"):
        return [Rule()]
    if tag == "image":
        src = attrs.get("src") or attrs.get("url") or ""
        alt = attrs.get("alt") or attrs.get("caption") or attrs.get("name") or ""
        return [Image(str(src), str(alt))]
    if tag in ("video", "audio", "file"):
        label = attrs.get("caption") or attrs.get("name") or attrs.get("url") or ""
        url = str(attrs.get("url") or "")
        return [Paragraph([Span(str(label), href=url or None)])] if label else []
    if tag == "table":
        return [_table(element)]
    if tag == "hardBreak":
        return []
    return _blocks(element.children)


def _list(element: XmlElement, kind: str, attrs: dict[str, Any]) -> ListBlock:
    items = []
    for child in element.children:
        if not isinstance(child, XmlElement):
            continue
        checked = None
        if kind == "task":
            checked = _attributes(child).get("checked") in (True, "true")
        items.append(ListItem(_blocks(child.children), checked))
    return ListBlock(kind, items, _number(attrs.get("start"), 1, 0, 10**9))


def _table(table: XmlElement) -> Table:
    rows = []
    for row in table.children:
        if not isinstance(row, XmlElement) or row.tag != "tableRow":
            continue
        cells = []
        for cell in row.children:
            if not isinstance(cell, XmlElement):
                continue
            attrs = _attributes(cell)
            if any(isinstance(node, XmlText) for node in cell.children):
                inner: list[Block] = [Paragraph(_spans(cell.children))]
            else:
                inner = _blocks(cell.children)
            cells.append(
                Cell(
                    inner,
                    header=cell.tag == "tableHeader",
                    colspan=_number(attrs.get("colspan"), 1, 1, 1000),
                    rowspan=_number(attrs.get("rowspan"), 1, 1, 1000),
                )
            )
        if cells:
            rows.append(cells)
    return Table(rows)


def _spans(nodes: Iterable[Any]) -> list[Span]:
    out: list[Span] = []
    for node in nodes:
        if isinstance(node, XmlText):
            for chunk in node.diff():
                content, marks = chunk[0], (chunk[1] if len(chunk) > 1 else None) or {}
                if isinstance(content, str) and content:
                    out.append(_span(content, marks))
        elif isinstance(node, XmlElement) and node.tag == "hardBreak":
            out.append(Span("\n"))
        elif isinstance(node, XmlElement):
            out.extend(_spans(node.children))
    return out


def _span(content: str, marks: dict[str, Any]) -> Span:
    link = marks.get("link")
    href = link.get("href") if isinstance(link, dict) else None
    return Span(
        content,
        bold="bold" in marks,
        italic="italic" in marks,
        strike="strike" in marks,
        code="code" in marks,
        href=str(href) if isinstance(href, str) and _linkable(href) else None,
    )


def _linkable(href: str) -> bool:
    """Links a printed page keeps: web and mail addresses (no javascript:, no file:)."""
    return href.strip().lower().startswith(("http://", "https://", "mailto:"))


def _plain(nodes: Iterable[Any]) -> str:
    out = []
    for node in nodes:
        if isinstance(node, XmlText):
            out.append(str(node))
        elif isinstance(node, XmlElement):
            out.append(_plain(node.children))
    return "".join(out)


# BlockNote: a blockGroup of blockContainers, each a content element and an optional nested
# blockGroup; consecutive list items of one kind make one list.


def _block_group(group: XmlElement) -> list[Block]:
    out: list[Block] = []
    for content, nested in group_blocks(group):
        kind = _BLOCKNOTE_ITEMS.get(content.tag or "") if content is not None else None
        inner = _block_group(nested) if nested is not None else []
        if content is None or kind is None:
            if content is not None:
                out.extend(_block(content))
            out.extend(inner)  # nested under a block that is not a list item: it follows
            continue
        attrs = _attributes(content)
        checked = attrs.get("checked") in (True, "true") if kind == "task" else None
        item = ListItem([Paragraph(_spans(content.children)), *inner], checked)
        last = out[-1] if out else None
        if isinstance(last, ListBlock) and last.kind == kind:
            last.items.append(item)
        else:
            out.append(ListBlock(kind, [item], _number(attrs.get("start"), 1, 0, 10**9)))
    return out
