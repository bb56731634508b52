"""Rich-text documents (ProseMirror or Tiptap, through y-prosemirror) as text, Markdown, HTML.

y-prosemirror keeps a document as an XmlFragment: one XmlElement per node (`paragraph`,
`heading` with `level`, `bulletList`, `orderedList`, `listItem`, `taskList`, `taskItem` with
`checked`, `blockquote`, `codeBlock` with `language`, `horizontalRule`, `hardBreak`, `image`),
and XmlText holding inline text whose attributes are the marks (`bold`, `italic`, `strike`,
`code`, `link` with `href`). Unknown nodes render their children. The walk recurses, but no
stored document nests deeper than the update validator allows (64 levels).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from pycrdt import XmlElement, XmlFragment, XmlText

_MARKDOWN_MARKS = (("code", "`", "`"), ("bold", "**", "**"), ("italic", "*", "*"))
_HTML_MARKS = (("code", "code"), ("bold", "strong"), ("italic", "em"), ("strike", "s"))
_LISTS = {"bulletList", "orderedList", "taskList"}


def to_text(fragment: XmlFragment) -> str:
    """The document's text with its structure: one line per block, list items marked."""
    return _blocks(fragment.children, "text", "").strip("\n") + "\n"


def to_markdown(fragment: XmlFragment) -> str:
    """CommonMark (with GitHub's task lists and strikethrough)."""
    return _blocks(fragment.children, "markdown", "").strip("\n") + "\n"


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
        if fmt == "markdown":
            return f"{indent}![{attrs.get('alt') or ''}]({attrs.get('src') or ''})\n\n"
        return f"{indent}{attrs.get('alt') or ''}\n\n"
    if tag == "paragraph":
        return f"{indent}{_inline(element.children, fmt)}\n\n"
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
    out = []
    for node in nodes:
        if isinstance(node, XmlText):
            out.append(_inline_text(node, fmt))
        elif isinstance(node, XmlElement) and node.tag == "hardBreak":
            out.append("  \n" if fmt == "markdown" else "\n")
        elif isinstance(node, XmlElement):
            out.append(_inline(node.children, fmt))
    return "".join(out)


def _inline_text(text: XmlText, fmt: str) -> str:
    out = []
    for chunk in text.diff():
        content, marks = chunk[0], (chunk[1] if len(chunk) > 1 else None) or {}
        if not isinstance(content, str):
            continue
        if fmt == "markdown":
            out.append(_markdown_marks(content, marks))
        else:
            out.append(content)
    return "".join(out)


def _markdown_marks(content: str, marks: dict[str, Any]) -> str:
    if not content.strip():
        return content
    if "code" not in marks:
        for char in "\\`*_[]~<":
            content = content.replace(char, "\\" + char)
    for mark, before, after in _MARKDOWN_MARKS:
        if mark in marks:
            content = f"{before}{content}{after}"
    if "strike" in marks:
        content = f"~~{content}~~"
    link = marks.get("link")
    if isinstance(link, dict) and link.get("href"):
        content = f"[{content}]({link['href']})"
    return content


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
        src = html.escape(str(attrs.get("src") or ""), quote=True)
        alt = html.escape(str(attrs.get("alt") or ""), quote=True)
        return f'<img src="{src}" alt="{alt}">'
    if tag == "taskItem":
        checked = " checked" if attrs.get("checked") else ""
        return f'<li><input type="checkbox" disabled{checked}> {inner}</li>'
    if tag == "orderedList" and attrs.get("start") not in (None, 1):
        return f'<ol start="{int(attrs["start"])}">{inner}</ol>'
    name = _HTML_BLOCKS.get(tag or "")
    return f"<{name}>{inner}</{name}>" if name else inner


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
        if isinstance(link, dict) and link.get("href"):
            href = html.escape(str(link["href"]), quote=True)
            piece = f'<a href="{href}">{piece}</a>'
        out.append(piece)
    return "".join(out)
