"""Rich-text documents (ProseMirror or Tiptap, through y-prosemirror) as text, Markdown, HTML.

y-prosemirror keeps a document as an XmlFragment: one XmlElement per node (`paragraph`,
`heading` with `level`, `bulletList`, `orderedList`, `listItem`, `taskList`, `taskItem` with
`checked`, `blockquote`, `codeBlock` with `language`, `horizontalRule`, `hardBreak`, `image`,
`table` of `tableRow`s of `tableHeader`/`tableCell`s holding blocks, laid out by tables.py), and
XmlText holding inline text whose attributes are the marks (`bold`, `italic`, `strike`, `code`,
`link` with `href`). Unknown nodes render their children. The walk recurses, but no
stored document nests deeper than the update validator allows (64 levels).

BlockNote (@blocknote/core, checked against 0.55) keeps its blocks in the same kind of tree, in a
`blockGroup` of `blockContainer`s (each with an `id`). A container holds the block's content
element (`paragraph`, `heading` with `level`, `bulletListItem`, `numberedListItem` with an
optional `start`, `checkListItem` with `checked`, `toggleListItem`, `quote`, `codeBlock` with
`language`, `divider`, `table` of `tableRow`s of `tableHeader`/`tableCell`s each holding a
`tableParagraph`, and `image`/`video`/`audio`/`file` with `url`, `name` and `caption`; colours
and alignment are attributes of the content element), then, for nested blocks, a `blockGroup` of
its own. A list is a run of consecutive list items of one kind: numbered items count on from
the run's first (its `start`, or 1). Blocks nested under a list item are part of the item;
blocks nested under any other block follow it, indented in text, at its level in Markdown and
HTML (as BlockNote's own exports put them). Media show as links or images only for http(s)
URLs. Inline text carries the same marks as Tiptap's (BlockNote's `underline` and colours are
left out).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from pycrdt import XmlElement, XmlFragment, XmlText

from collab.content.hrefs import safe_href
from collab.content.markdown_inline import escape_markdown as _escape_markdown
from collab.content.markdown_inline import inline_markdown
from collab.content.tables import html_table, markdown_table, text_table

_HTML_MARKS = (("code", "code"), ("bold", "strong"), ("italic", "em"), ("strike", "s"))
_LISTS = {"bulletList", "orderedList", "taskList"}


def to_text(fragment: XmlFragment) -> str:
    """The document's text with its structure: one line per block, list items marked."""
    return _blocks(fragment.children, "text", "").strip("\n") + "\n"


def to_markdown(fragment: XmlFragment) -> str:
    """CommonMark (with GitHub's task lists and strikethrough)."""
    return _blocks(fragment.children, "markdown", "").strip("\n") + "\n"


def blocks_markdown(nodes: Iterable[Any]) -> str:
    """Some blocks of a document (a passage) as Markdown: Tiptap's nodes, or BlockNote's
    blockContainers (a run of list items is one list, numbered on from its first)."""
    nodes = list(nodes)
    if nodes and all(isinstance(n, XmlElement) and n.tag == "blockContainer" for n in nodes):
        return _blocknote_blocks(container_blocks(nodes), "markdown", "").strip("\n") + "\n"
    return _blocks(nodes, "markdown", "").strip("\n") + "\n"


def to_html(fragment: XmlFragment) -> str:
    """An HTML fragment; every text and attribute is escaped."""
    return "".join(_html_node(node) for node in fragment.children)


def _attributes(element: XmlElement) -> dict[str, Any]:
    return dict(element.attributes.__iter__())


def _blocks(nodes: Iterable[Any], fmt: str, indent: str) -> str:
    out = []
    for node in nodes:
        if isinstance(node, XmlText):
            out.append(indent + _inline_text(node, fmt) + "\n\n")
        elif isinstance(node, XmlElement):
            out.append(_block(node, fmt, indent))
    return "".join(out)


def _block(element: XmlElement, fmt: str, indent: str) -> str:
    tag, attrs = element.tag, _attributes(element)
    if tag == "blockGroup":
        return _block_group(element, fmt, indent)
    if tag == "blockContainer":
        return _blocknote_blocks(container_blocks([element]), fmt, indent)
    if tag == "heading":
        level = min(max(int(attrs.get("level") or 1), 1), 6)
        marker = "#" * level + " " if fmt == "markdown" else ""
        return f"{indent}{marker}{_inline(element.children, fmt)}\n\n"
    if tag in _LISTS:
        return _list(element, fmt, indent) + "\n"
    if tag == "blockquote":
        inner = _blocks(element.children, fmt, "").strip("\n")
        prefix = "> " if fmt == "markdown" else "  "
        return (
            "".join(f"{indent}{prefix}{line}".rstrip() + "\n" for line in inner.split("\n")) + "\n"
        )
    if tag == "codeBlock":
        code = _plain(element.children)
        if fmt != "markdown":
            return "".join(f"{indent}{line}\n" for line in code.split("\n")) + "\n"
        language = str(attrs.get("language") or "")
        return f"{indent}```{language}\n{code}\n{indent}```\n\n"
    if tag == "horizontalRule":
        return f"{indent}---\n\n" if fmt == "markdown" else "\n"
    if tag == "image":
        return _image(attrs, fmt, indent)
    if tag == "paragraph":
        return f"{indent}{_inline(element.children, fmt)}\n\n"
    if tag == "table":
        return _table(element, fmt, indent)
    return _blocks(element.children, fmt, indent)


def _list(element: XmlElement, fmt: str, indent: str) -> str:
    tag, attrs = element.tag, _attributes(element)
    number = int(attrs.get("start") or 1)
    out = []
    for item in element.children:
        if not isinstance(item, XmlElement):
            continue
        if tag == "orderedList":
            marker = f"{number}. "
            number += 1
        elif tag == "taskList":
            marker = "- [x] " if _attributes(item).get("checked") else "- [ ] "
        else:
            marker = "- "
        body = _blocks(item.children, fmt, "").strip("\n").split("\n")
        lines = [line for line in body if line.strip()]
        first, rest = (lines[0] if lines else ""), lines[1:]
        out.append(f"{indent}{marker}{first}\n")
        pad = indent + " " * len(marker)
        out.extend(f"{pad}{line}\n" for line in rest)
    return "".join(out)


def _inline(nodes: Iterable[Any], fmt: str) -> str:
    """A block's inline content; in Markdown, each of its lines (hard breaks start new ones)
    starts with text that reads back as text."""
    inline = _inline_parts(nodes, fmt)
    if fmt != "markdown":
        return inline
    return "\n".join(_as_text_at_line_start(line) for line in inline.split("\n"))


def _inline_parts(nodes: Iterable[Any], fmt: str) -> str:
    out = []
    for node in nodes:
        if isinstance(node, XmlText):
            out.append(_inline_text(node, fmt))
        elif isinstance(node, XmlElement) and node.tag == "hardBreak":
            out.append("  \n" if fmt == "markdown" else "\n")
        elif isinstance(node, XmlElement):
            out.append(_inline_parts(node.children, fmt))
    return "".join(out)


# What would open a block at the start of a line of text: spaces (four make code, fewer are
# dropped), a quote's `>`, a heading's `#`, a list's `-`, `+` or number with `.` or `)`, a
# thematic break's or setext underline's `-` or `=` (`*`, `_`, backticks, `~` and `<` are
# escaped wherever they are: markdown_inline.py).
_BLOCK_START = re.compile(r"[ \t]+|[>#=+-]|\d{1,9}(?=[.)])")


def _as_text_at_line_start(line: str) -> str:
    """`line` (inline Markdown) with a start that would open a block escaped: a backslash
    before the punctuation, the number's `.` or `)` escaped, leading spaces and tabs as
    character references (CommonMark keeps those as text)."""
    found = _BLOCK_START.match(line)
    if found is None:
        return line
    start = found.group()
    rest = line[found.end() :]
    if start[0] in " \t":
        return "".join("&#32;" if char == " " else "&#9;" for char in start) + rest
    if start[0].isdigit():
        return start + "\\" + rest
    return "\\" + line


def _inline_text(text: XmlText, fmt: str) -> str:
    runs = []
    for chunk in text.diff():
        content, marks = chunk[0], (chunk[1] if len(chunk) > 1 else None) or {}
        if isinstance(content, str):
            runs.append((content, marks))
    if fmt == "markdown":
        return inline_markdown(runs)
    return "".join(content for content, _ in runs)


def _plain(nodes: Iterable[Any]) -> str:
    out = []
    for node in nodes:
        if isinstance(node, XmlText):
            out.append(str(node))
        elif isinstance(node, XmlElement):
            out.append(_plain(node.children))
    return "".join(out)


_HTML_BLOCKS = {
    "paragraph": "p",
    "blockquote": "blockquote",
    "bulletList": "ul",
    "orderedList": "ol",
    "taskList": "ul",
    "listItem": "li",
    "taskItem": "li",
}


def _html_node(node: Any) -> str:
    if isinstance(node, XmlText):
        return _html_text(node)
    if not isinstance(node, XmlElement):
        return ""
    tag, attrs = node.tag, _attributes(node)
    if tag == "blockGroup":
        return _html_block_group(node)
    if tag == "table":
        return _html_table(node)
    inner = "".join(_html_node(child) for child in node.children)
    if tag == "heading":
        level = min(max(int(attrs.get("level") or 1), 1), 6)
        return f"<h{level}>{inner}</h{level}>"
    if tag == "codeBlock":
        language = html.escape(str(attrs.get("language") or ""), quote=True)
        code = html.escape(_plain(node.children))
        cls = f' class="language-{language}"' if language else ""
        return f"<pre><code{cls}>{code}</code></pre>"
    if tag == "horizontalRule":
        return "<hr>"
    if tag == "hardBreak":
        return "<br>"
    if tag == "image":
        src = html.escape(_image_src(attrs.get("src")) or "", quote=True)
        alt = html.escape(str(attrs.get("alt") or ""), quote=True)
        return f'<img src="{src}" alt="{alt}">'
    if tag == "taskItem":
        return _html_task(attrs.get("checked") in (True, "true"), list(node.children))
    if tag == "taskList":
        return f'<ul data-type="taskList">{inner}</ul>'
    if tag == "orderedList" and attrs.get("start") not in (None, 1):
        return f'<ol start="{int(attrs["start"])}">{inner}</ol>'
    name = _HTML_BLOCKS.get(tag or "")
    return f"<{name}>{inner}</{name}>" if name else inner


def _html_task(checked: bool, children: list[Any]) -> str:
    """A Tiptap task item: its first paragraph on the line of its box, what follows below."""
    first = children[0] if children else None
    if isinstance(first, XmlElement) and first.tag == "paragraph":
        inline, rest = "".join(_html_node(child) for child in first.children), children[1:]
    else:
        inline, rest = "", children
    return _task_item(checked, inline, "".join(_html_node(child) for child in rest))


def _task_item(checked: bool, inline: str, after: str) -> str:
    """A task list item as Tiptap writes one (`data-checked`): a disabled box and the item's
    text on one line, in a label that names the box; nested blocks after it."""
    state = "true" if checked else "false"
    box = f'<input type="checkbox" disabled{" checked" if checked else ""}'
    box += ">" if inline else ' aria-label="Task">'
    label = f"<label>{box} {inline}</label>" if inline else f"<label>{box}</label>"
    return f'<li data-type="taskItem" data-checked="{state}">{label}{after}</li>'


def _html_text(text: XmlText) -> str:
    out = []
    for chunk in text.diff():
        content, marks = chunk[0], (chunk[1] if len(chunk) > 1 else None) or {}
        if not isinstance(content, str):
            continue
        piece = html.escape(content)
        for mark, tag in _HTML_MARKS:
            if mark in marks:
                piece = f"<{tag}>{piece}</{tag}>"
        link = marks.get("link")
        href = link.get("href") if isinstance(link, dict) else None
        if isinstance(href, str) and safe_href(href):
            piece = f'<a href="{html.escape(href, quote=True)}">{piece}</a>'
        out.append(piece)
    return "".join(out)


# BlockNote: a blockGroup of blockContainers.

# List items by the list they make: a run of items of one family is one list.
_ITEM_FAMILIES = {
    "bulletListItem": "bullet",
    "toggleListItem": "bullet",
    "checkListItem": "check",
    "numberedListItem": "numbered",
}
_MEDIA = {"image", "video", "audio", "file"}
Block = tuple[XmlElement | None, XmlElement | None]


def group_blocks(group: XmlElement) -> list[Block]:
    """(content element, nested blockGroup) of each block of a blockGroup, in order."""
    return container_blocks(group.children)


def container_blocks(containers: Iterable[Any]) -> list[Block]:
    """(content element, nested blockGroup) of each of some blocks of a blockGroup."""
    blocks: list[Block] = []
    for child in containers:
        if not isinstance(child, XmlElement):
            continue
        if child.tag != "blockContainer":
            blocks.append((child, None))  # out of place: shown as it is
            continue
        content = nested = None
        for part in child.children:
            if not isinstance(part, XmlElement):
                continue
            if part.tag == "blockGroup":
                nested = nested or part
            elif content is None:
                content = part
        blocks.append((content, nested))
    return blocks


def _family(content: XmlElement | None) -> str | None:
    return _ITEM_FAMILIES.get(content.tag or "") if content is not None else None


def _numbers(blocks: list[Block]) -> list[int]:
    """Each numbered list item's number (0 for other blocks): a run of them counts on from its
    first item's `start`, or 1."""
    numbers, previous = [], 0
    for content, _ in blocks:
        if content is not None and content.tag == "numberedListItem":
            previous = previous + 1 if previous else _start(content)
        else:
            previous = 0
        numbers.append(previous)
    return numbers


def _start(element: XmlElement) -> int:
    try:
        number = int(_attributes(element).get("start") or 1)
    except (TypeError, ValueError, OverflowError):
        return 1
    return number if 1 <= number < 10**9 else 1


def _checked(element: XmlElement) -> bool:
    return _attributes(element).get("checked") in (True, "true")


def _same_list(family: str | None, before: str | None) -> bool:
    """Whether an item of `family` goes on the Markdown list of `before` (task items are
    bullets with a box)."""
    return family is not None and (family == before or {family, before} <= {"bullet", "check"})


def _block_group(group: XmlElement, fmt: str, indent: str) -> str:
    return _blocknote_blocks(group_blocks(group), fmt, indent)


def _blocknote_blocks(blocks: list[Block], fmt: str, indent: str) -> str:
    out, before = [], None
    for (content, nested), number in zip(blocks, _numbers(blocks), strict=True):
        family = _family(content)
        if before is not None and not _same_list(family, before):
            out.append("\n")  # the list ends
        if content is not None and family is not None:
            out.append(_list_item(content, nested, family, number, fmt, indent))
        else:
            out.append(_blocknote_block(content, fmt, indent))
            if nested is not None:
                # Nested under another block: indented in text; Markdown has no indented
                # paragraphs (four spaces make code), so there they follow at the same level.
                out.append(_block_group(nested, fmt, indent + ("  " if fmt == "text" else "")))
        before = family
    if before is not None:
        out.append("\n")
    return "".join(out)


def _list_item(
    content: XmlElement,
    nested: XmlElement | None,
    family: str,
    number: int,
    fmt: str,
    indent: str,
) -> str:
    if family == "numbered":
        marker = f"{number}. "
    elif family == "check":
        marker = "- [x] " if _checked(content) else "- [ ] "
    else:
        marker = "- "
    pad = indent + " " * (len(marker) if family == "numbered" else 2)
    first, *rest = _inline(content.children, fmt).split("\n")
    out = [f"{indent}{marker}{first}" if first else f"{indent}{marker}".rstrip(), "\n"]
    out.extend(f"{pad}{line}\n" for line in rest)
    inner = _block_group(nested, fmt, "").strip("\n") if nested is not None else ""
    if inner:
        if not _starts_list(nested):
            out.append("\n")  # a paragraph, heading... inside the item: a blank line first
        out.extend((pad + line if line.strip() else "") + "\n" for line in inner.split("\n"))
    return "".join(out)


def _starts_list(group: XmlElement | None) -> bool:
    """Whether a nested group opens with a list that may follow its item's line directly
    (CommonMark: an ordered list interrupting a paragraph must start at 1)."""
    blocks = group_blocks(group) if group is not None else []
    if not blocks:
        return False
    family = _family(blocks[0][0])
    return family is not None and (family != "numbered" or _numbers(blocks)[0] == 1)


def _blocknote_block(content: XmlElement | None, fmt: str, indent: str) -> str:
    if content is None:
        return ""
    tag, attrs = content.tag, _attributes(content)
    if tag == "quote":
        prefix = indent + ("> " if fmt == "markdown" else "  ")
        lines = _inline(content.children, fmt).split("\n")
        return "".join((prefix + line if line else prefix.rstrip()) + "\n" for line in lines) + "\n"
    if tag == "divider":
        return f"{indent}---\n\n" if fmt == "markdown" else ""
    if tag == "table":
        return _table(content, fmt, indent)
    if tag in _MEDIA:
        return _media(tag, attrs, fmt, indent)
    return _block(content, fmt, indent)


def _web_url(value: Any) -> str | None:
    """`value` if it is an http(s) URL that needs no escaping to stay one."""
    if not isinstance(value, str) or any(
        ch.isspace() or not ch.isprintable() or ch in '<>"' for ch in value
    ):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _media(tag: str, attrs: dict[str, Any], fmt: str, indent: str) -> str:
    url = _web_url(attrs.get("url"))
    caption, name = str(attrs.get("caption") or ""), str(attrs.get("name") or "")
    if fmt != "markdown":
        label = caption or name or url or ""
        return f"{indent}{label}\n\n" if label else ""
    label = _escape_markdown(caption or name)
    if url is None:
        return f"{indent}{label}\n\n" if label else ""
    target = url.replace("(", "%28").replace(")", "%29")
    if tag == "image":
        return f"{indent}![{label}]({target})\n\n"
    return f"{indent}[{label or _escape_markdown(url)}]({target})\n\n"


def _image_src(value: Any) -> str | None:
    """An image node's `src` if it is one to show: an http(s) URL, or a path on this server
    (an uploaded image: /api/rooms/ROOM/images/ID); never javascript: or data:."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        safe = not any(ch.isspace() or not ch.isprintable() or ch in '<>"' for ch in value)
        return value if safe else None
    return _web_url(value)


def _image(attrs: dict[str, Any], fmt: str, indent: str) -> str:
    """A Tiptap image node: `![alt](src)` in Markdown, `[image: alt]` in text."""
    alt = str(attrs.get("alt") or "")
    if fmt != "markdown":
        return f"{indent}[image: {alt}]\n\n" if alt else f"{indent}[image]\n\n"
    src = (_image_src(attrs.get("src")) or "").replace("(", "%28").replace(")", "%29")
    return f"{indent}![{_escape_markdown(alt)}]({src})\n\n"


def _table(table: XmlElement, fmt: str, indent: str) -> str:
    """Tiptap's cells hold blocks, BlockNote's a `tableParagraph`: either way, their blocks."""

    def cell(element: XmlElement) -> str:
        return _blocks(element.children, fmt, "")

    if fmt == "markdown":
        return markdown_table(table, cell, indent)
    return text_table(table, cell, indent)


def _html_block_group(group: XmlElement) -> str:
    blocks = group_blocks(group)
    out, open_list = [], ""
    for (content, nested), number in zip(blocks, _numbers(blocks), strict=True):
        family = _family(content)
        # Each family of items makes its own list (task lists apart, as Tiptap's are).
        wanted = family or ""
        if wanted != open_list:
            if open_list:
                out.append("</ol>" if open_list == "numbered" else "</ul>")
            if family == "numbered":
                out.append(f'<ol start="{number}">' if number != 1 else "<ol>")
            elif family == "check":
                out.append('<ul data-type="taskList">')
            elif family:
                out.append("<ul>")
            open_list = wanted
        children = _html_block_group(nested) if nested is not None else ""
        if content is not None and family is not None:
            inline = "".join(_html_node(child) for child in content.children)
            if family == "check":
                out.append(_task_item(_checked(content), inline, children))
            else:
                out.append(f"<li><p>{inline}</p>{children}</li>")
        else:
            out.append(_html_blocknote_block(content) + children)
    if open_list:
        out.append("</ol>" if open_list == "numbered" else "</ul>")
    return "".join(out)


def _html_blocknote_block(content: XmlElement | None) -> str:
    if content is None:
        return ""
    tag, attrs = content.tag, _attributes(content)
    if tag == "quote":
        inline = "".join(_html_node(child) for child in content.children)
        return f"<blockquote><p>{inline}</p></blockquote>"
    if tag == "divider":
        return "<hr>"
    if tag == "table":
        return _html_table(content)
    if tag in _MEDIA:
        return _html_media(tag, attrs)
    return _html_node(content)


def _html_media(tag: str, attrs: dict[str, Any]) -> str:
    url = _web_url(attrs.get("url"))
    caption, name = str(attrs.get("caption") or ""), str(attrs.get("name") or "")
    if tag == "image" and url is not None:
        src, alt = html.escape(url, quote=True), html.escape(caption or name, quote=True)
        image = f'<img src="{src}" alt="{alt}">'
        if not caption:
            return image
        return f"<figure>{image}<figcaption>{html.escape(caption)}</figcaption></figure>"
    label = html.escape(caption or name or url or "")
    if url is None:
        return f"<p>{label}</p>" if label else ""
    return f'<p><a href="{html.escape(url, quote=True)}">{label}</a></p>'


def _html_table(table: XmlElement) -> str:
    return html_table(table, lambda cell: "".join(_html_node(child) for child in cell.children))
