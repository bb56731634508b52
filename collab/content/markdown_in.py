"""Markdown as a rich-text document: the XmlFragment Tiptap's editor (through y-prosemirror)
would keep for it, so an imported file opens, edits and renders as one typed in the editor.

The Markdown is CommonMark with GitHub's tables, strikethrough and task lists, parsed by
markdown-it-py. The nodes are the editor's (web/src/rich.js): `paragraph`, `heading` with
`level`, `bulletList`, `orderedList` with `start`, `listItem`, `taskList` of `taskItem`s with
`checked`, `blockquote`, `codeBlock` with `language` (absent when none: y-prosemirror stores no
null attribute), `horizontalRule`, `hardBreak`, and `table` of `tableRow`s of
`tableHeader`/`tableCell`s (`colspan` and `rowspan` 1, `align` when the column says) holding a
paragraph. Inline text is XmlText whose formatting attributes are the marks, keyed by name
with the mark's attributes as value (`bold`, `italic`, `strike`, `code`: {}; `link`: its
`href`, `target`, `rel`, `class` and `title`, as the editor's link mark has them). As in the
editor, code text carries no other mark.

Kept out, as the editor would keep them out: links other than http(s), mailto or relative
(their text stays, unlinked); raw HTML, which stays as the text it is, never markup, but for
the bare tags of bold, italic and strike (`<strong>`, `<b>`, `<em>`, `<i>`, `<s>`, `<del>`
without attributes, and their ends when one is open), which are those marks: the server's own
Markdown writes them where CommonMark's delimiters would not read back (markdown_inline.py:
`foo<strong>(bar)</strong>baz`). Images become their alt text, linked to the image when it is
an http(s) URL (the editor has no image node yet). A bullet list mixing task items and plain
ones becomes a task list per run of task items and a bullet list per run of the others (the
editor's lists hold one kind of item).
Softbreaks (a line break inside a paragraph) are spaces, as in a browser.

Nesting: the parser reads at most _MAX_NESTING levels (a nested list counts two) and
`to_fragment` refuses deeper input rather than drop what lies below; past _MAX_CONTAINERS
elements, nested lists and quotes are flattened into their parent so the document stays well
within the update validator's depth (DEFAULT_MAX_DEPTH).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
from pycrdt import XmlFragment

from collab.content.hrefs import safe_href
from collab.content.richnodes import Element, Inline, Marks, Node, Run, write
from collab.errors import InvalidRequest
from collab.protocol.yupdate import DEFAULT_MAX_DEPTH

_MAX_NESTING = 100
_MAX_CONTAINERS = DEFAULT_MAX_DEPTH // 2
_PARSER = MarkdownIt("commonmark", {"maxNesting": _MAX_NESTING}).enable(["table", "strikethrough"])
# The editor's rule for links (rich.js isAllowedUri): http(s), mailto, or no scheme at all.
_WEB_URL = re.compile(r"^https?://", re.IGNORECASE)
# The editor's link mark's attributes (rich.js: StarterKit's link, its HTMLAttributes).
_LINK_TARGET, _LINK_REL = "_blank", "noopener noreferrer nofollow"
_TASK = re.compile(r"^\[([ xX])\](?:[ \t]|$)")
_MARKS = {"em": "italic", "strong": "bold", "s": "strike"}
_HTML_MARKS = {**_MARKS, "i": "italic", "b": "bold", "del": "strike"}
_HTML_MARK = re.compile(r"<(/?)([a-z]+)>", re.IGNORECASE)
_ALIGN = re.compile(r"text-align:\s*(left|center|right)")

_Text = Inline
_Element = Element


def to_fragment(source: str, fragment: XmlFragment) -> None:
    """Add the document `source` stands for to the start of `fragment` (in the caller's
    transaction)."""
    write(fragment, to_nodes(source))


def to_nodes(source: str) -> list[Node]:
    """The blocks the document `source` stands for, as plain values (richnodes.py)."""
    root = _Element("", {})
    _blocks(SyntaxTreeNode(parse(source)).children, root, 0)
    return root.children


def parse(source: str) -> list[Token]:
    """`source`'s tokens; InvalidRequest if it nests deeper than the parser reads."""
    tokens = _PARSER.parse(source)
    if any(token.level >= _MAX_NESTING - 1 for token in tokens):
        raise InvalidRequest(f"the Markdown nests deeper than {_MAX_NESTING} levels")
    return tokens


def _element(parent: _Element, tag: str, attrs: dict[str, Any] | None = None) -> _Element:
    element = _Element(tag, attrs or {})
    parent.children.append(element)
    return element


def _blocks(nodes: Sequence[SyntaxTreeNode], parent: _Element, depth: int) -> None:
    for node in nodes:
        _block(node, parent, depth)


def _block(node: SyntaxTreeNode, parent: _Element, depth: int) -> None:
    kind = node.type
    if kind == "paragraph":
        _paragraph(parent, _inline_tokens(node))
    elif kind == "heading":
        level = min(max(int(node.tag[1:]), 1), 6)
        _inline(_element(parent, "heading", {"level": level}), _inline_tokens(node))
    elif kind in ("fence", "code_block"):
        language = node.info.split()[0] if kind == "fence" and node.info.strip() else None
        code = _element(parent, "codeBlock", {"language": language} if language else None)
        text = node.content[:-1] if node.content.endswith("\n") else node.content
        if text:
            code.children.append(_Text([(text, {})]))
    elif kind == "hr":
        _element(parent, "horizontalRule")
    elif kind == "html_block":  # kept as the text it is, a line each
        lines = node.content.rstrip("\n").split("\n")
        _runs(_element(parent, "paragraph"), _lines(lines))
    elif depth >= _MAX_CONTAINERS and kind in ("bullet_list", "ordered_list", "blockquote"):
        for item in node.children:  # too deep: the blocks join their parent's
            _blocks(item.children if kind != "blockquote" else [item], parent, depth)
    elif kind == "blockquote":
        quote = _element(parent, "blockquote")
        _blocks(node.children, quote, depth + 1)
        _ensure_paragraph(quote)
    elif kind == "bullet_list":
        _bullet_list(node, parent, depth)
    elif kind == "ordered_list":
        start = int(node.attrs.get("start", 1))
        listed = _element(parent, "orderedList", {"start": start})
        for item in node.children:
            _list_item(item, _element(listed, "listItem"), depth + 2, None)
    elif kind == "table":
        _table(node, parent)
    else:  # a container the editor has no node for: its blocks
        _blocks(node.children, parent, depth)


def _bullet_list(node: SyntaxTreeNode, parent: _Element, depth: int) -> None:
    """A list per run of task items and per run of other items."""
    current: _Element | None = None
    current_task = False
    for item in node.children:
        checked = _task_mark(item)
        is_task = checked is not None
        if current is None or is_task != current_task:
            current = _element(parent, "taskList" if is_task else "bulletList")
            current_task = is_task
        if is_task:
            _list_item(item, _element(current, "taskItem", {"checked": checked}), depth + 2, True)
        else:
            _list_item(item, _element(current, "listItem"), depth + 2, None)


def _task_mark(item: SyntaxTreeNode) -> bool | None:
    """True or False for a task item (`[x]` or `[ ]` opening its first paragraph), else None."""
    first = item.children[0] if item.children else None
    if first is None or first.type != "paragraph":
        return None
    tokens = _inline_tokens(first)
    if not tokens or tokens[0].type != "text":
        return None
    found = _TASK.match(tokens[0].content)
    return None if found is None else found.group(1) != " "


def _list_item(item: SyntaxTreeNode, element: _Element, depth: int, task: bool | None) -> None:
    children = list(item.children)
    if task and children:
        first, rest = children[0], children[1:]
        tokens = list(_inline_tokens(first))
        head = tokens[0].copy()
        head.content = _TASK.sub("", head.content, count=1)
        _inline(_element(element, "paragraph"), [head, *tokens[1:]])
        children = rest
    elif not children or children[0].type != "paragraph":
        _element(element, "paragraph")  # an item opens with a paragraph, if an empty one
    _blocks(children, element, depth)


def _ensure_paragraph(element: _Element) -> None:
    if not element.children:
        _element(element, "paragraph")


def _table(node: SyntaxTreeNode, parent: _Element) -> None:
    table = _element(parent, "table")
    for section in node.children:  # thead, tbody
        for row in section.children:
            tr = _element(table, "tableRow")
            for cell in row.children:
                attrs: dict[str, Any] = {"colspan": 1, "rowspan": 1}
                found = _ALIGN.search(str(cell.attrs.get("style", "")))
                if found:
                    attrs["align"] = found.group(1)
                name = "tableHeader" if cell.type == "th" else "tableCell"
                _inline(_element(_element(tr, name, attrs), "paragraph"), _inline_tokens(cell))


# Blocks whose content may hold an image block (the editor's image node is a block; a list
# item must open with a paragraph, so images in lists stay inline as their alt text).
_IMAGE_HOLDERS = {"", "blockquote", "tableCell", "tableHeader"}


def _paragraph(parent: _Element, tokens: list[Token]) -> None:
    """A paragraph; where its block may hold images, each image standing outside any mark or
    link whose source the editor shows (http(s), or a path on this server: an uploaded image)
    becomes an image block between the paragraph's parts."""
    if parent.tag not in _IMAGE_HOLDERS or not any(t.type == "image" for t in tokens):
        _inline(_element(parent, "paragraph"), tokens)
        return
    part: list[Token] = []
    depth = 0
    for token in tokens:
        if token.type == "image" and depth == 0 and image_source(token) is not None:
            if any(t.type not in ("softbreak", "hardbreak") for t in part):
                _inline(_element(parent, "paragraph"), part)
            part = []
            _element(parent, "image", _image_attrs(token))
            continue
        depth += token.nesting
        part.append(token)
    if any(t.type not in ("softbreak", "hardbreak") and (t.content or t.nesting) for t in part):
        _inline(_element(parent, "paragraph"), part)


def image_source(token: Token) -> str | None:
    """An image token's source if the editor shows it: an http(s) URL or a path on this
    server, with nothing in it that could break out of an attribute."""
    src = str(token.attrs.get("src", ""))
    if not src or any(ch.isspace() or not ch.isprintable() or ch in '<>"' for ch in src):
        return None
    if _WEB_URL.match(src) or (src.startswith("/") and not src.startswith("//")):
        return src
    return None


def _image_attrs(token: Token) -> dict[str, Any]:
    attrs: dict[str, Any] = {"src": image_source(token)}
    if token.content:
        attrs["alt"] = token.content
    if token.attrs.get("title"):
        attrs["title"] = str(token.attrs["title"])
    return attrs


def _inline_tokens(node: SyntaxTreeNode) -> list[Token]:
    for child in node.children:
        if child.type == "inline" and child.token is not None:
            return list(child.token.children or [])
    return []


def _lines(lines: list[str]) -> list[Run | None]:
    runs: list[Run | None] = []
    for number, line in enumerate(lines):
        if number:
            runs.append(None)
        runs.append((line, {}))
    return runs


def _inline(parent: _Element, tokens: Sequence[Token]) -> None:
    """Inline tokens as runs of marked text (None for a hard break), written into `parent`."""
    runs: list[Run | None] = []
    open_marks: dict[str, int] = {}
    links: list[Marks | None] = []

    def marks() -> Marks:
        found: Marks = {name: {} for name, count in open_marks.items() if count > 0}
        link = next((link for link in reversed(links) if link is not None), None)
        if link is not None:
            found["link"] = link
        return found

    for token in tokens:
        kind = token.type
        tag = _html_mark(token.content, open_marks) if kind == "html_inline" else None
        if tag is not None:
            name, change = tag
            open_marks[name] = open_marks.get(name, 0) + change
        elif kind in ("text", "text_special", "html_inline"):
            runs.append((token.content, marks()))
        elif kind == "softbreak":
            runs.append((" ", marks()))
        elif kind == "hardbreak":
            runs.append(None)
        elif kind == "code_inline":
            runs.append((token.content, {"code": {}}))  # the editor's code mark excludes others
        elif kind.endswith("_open") and kind[:-5] in _MARKS:
            name = _MARKS[kind[:-5]]
            open_marks[name] = open_marks.get(name, 0) + 1
        elif kind.endswith("_close") and kind[:-6] in _MARKS:
            name = _MARKS[kind[:-6]]
            open_marks[name] = max(open_marks.get(name, 0) - 1, 0)
        elif kind == "link_open":
            links.append(_link(str(token.attrs.get("href", "")), token.attrs.get("title")))
        elif kind == "link_close":
            if links:
                links.pop()
        elif kind == "image":
            runs.append(_image(token, marks()))
    _runs(parent, runs)


def _html_mark(html: str, open_marks: dict[str, int]) -> tuple[str, int] | None:
    """The mark a bare tag of bold, italic or strike opens (1) or closes (-1): a closing tag
    only while one is open. None for any other HTML."""
    tag = _HTML_MARK.fullmatch(html)
    name = _HTML_MARKS.get(tag.group(2).lower()) if tag is not None else None
    if tag is None or name is None:
        return None
    if not tag.group(1):
        return name, 1
    return (name, -1) if open_marks.get(name, 0) > 0 else None


def _link(href: str, title: Any) -> Marks | None:
    if not safe_href(href):
        return None
    return {
        "href": href,
        "target": _LINK_TARGET,
        "rel": _LINK_REL,
        "class": None,
        "title": str(title) if title else None,
    }


def _image(token: Token, around: Marks) -> Run:
    """An image inside a run of text (in a list, a link or a mark): its alt text, linked to it
    when it is on the web."""
    src = str(token.attrs.get("src", ""))
    label = token.content or src
    if _WEB_URL.match(src) and safe_href(src) and "code" not in around:
        return label, {**around, "link": _link(src, token.attrs.get("title"))}
    return label, around


def _runs(parent: _Element, runs: Sequence[Run | None]) -> None:
    """Runs into `parent`: a text per stretch between hard breaks, neighbouring runs with the
    same marks joined."""
    pending: list[Run] = []

    def flush() -> None:
        joined: list[Run] = []
        for content, marks in pending:
            if not content:
                continue
            if joined and joined[-1][1] == marks:
                joined[-1] = (joined[-1][0] + content, marks)
            else:
                joined.append((content, marks))
        if joined:
            parent.children.append(_Text(joined))
        pending.clear()

    for run in runs:
        if run is None:
            flush()
            _element(parent, "hardBreak")
        else:
            pending.append(run)
    flush()
