"""ProseMirror JSON (what Tiptap's `editor.getJSON()` gives) as the nodes y-prosemirror would
keep for it (richnodes.py), checked against the editor's schema (web/src/rich.js: StarterKit,
task lists, tables, images). Anything the editor could not open is refused with a message
saying what and where, never written: y-prosemirror deletes a node its schema cannot make.

As y-prosemirror writes them: a node's attributes without the null ones; consecutive text
nodes are one XmlText whose formatting attributes are their marks, keyed by name with the
mark's attributes as value ({} for none); a link's attributes get the editor's defaults for
what is left out. Code text carries no other mark (the editor's code mark excludes them).

A document whose blocks are BlockNote's (`blockContainer`s, or a `blockGroup` of them: what GET
.../content gives for a BlockNote document) is checked against BlockNote's schema instead
(@blocknote/core 0.55: a container holds one content node and optionally a `blockGroup` of
nested containers; a table's cells hold a `tableParagraph`; its marks are BlockNote's, a
link's only attribute its `href`)."""

from __future__ import annotations

from typing import Any

from collab.content.hrefs import safe_href
from collab.content.richnodes import Element, Inline, Marks, Node, Run
from collab.errors import InvalidRequest
from collab.protocol.yupdate import DEFAULT_MAX_DEPTH

# Deepest nesting of nodes taken (each is a level of XmlElement in the document).
MAX_DEPTH = DEFAULT_MAX_DEPTH // 2

_BLOCKS = frozenset(
    {
        "paragraph",
        "heading",
        "codeBlock",
        "blockquote",
        "bulletList",
        "orderedList",
        "taskList",
        "horizontalRule",
        "image",
        "table",
    }
)
# What each node holds: blocks, inline content, plain text, items of a kind, or nothing.
_CONTENT: dict[str, str | frozenset[str]] = {
    "doc": "blocks",
    "paragraph": "inline",
    "heading": "inline",
    "codeBlock": "text",
    "blockquote": "blocks",
    "bulletList": frozenset({"listItem"}),
    "orderedList": frozenset({"listItem"}),
    "taskList": frozenset({"taskItem"}),
    "listItem": "item",
    "taskItem": "item",
    "horizontalRule": "leaf",
    "image": "leaf",
    "table": frozenset({"tableRow"}),
    "tableRow": frozenset({"tableCell", "tableHeader"}),
    "tableCell": "blocks",
    "tableHeader": "blocks",
}
MARKS = frozenset({"bold", "italic", "strike", "code", "underline", "link"})

# BlockNote's schema: what each node holds ("container": one content node, then optionally a
# blockGroup).
_BLOCKNOTE_BLOCKS = frozenset(
    {
        "paragraph",
        "heading",
        "bulletListItem",
        "numberedListItem",
        "checkListItem",
        "toggleListItem",
        "quote",
        "codeBlock",
        "divider",
        "table",
        "image",
        "video",
        "audio",
        "file",
    }
)
_BLOCKNOTE_CONTENT: dict[str, str | frozenset[str]] = {
    "doc": frozenset({"blockGroup", "blockContainer"}),
    "blockGroup": frozenset({"blockContainer"}),
    "blockContainer": "container",
    **{tag: "inline" for tag in _BLOCKNOTE_BLOCKS},
    "codeBlock": "text",
    "divider": "leaf",
    **{tag: "leaf" for tag in ("image", "video", "audio", "file")},
    "table": frozenset({"tableRow"}),
    "tableRow": frozenset({"tableCell", "tableHeader"}),
    "tableCell": frozenset({"tableParagraph"}),
    "tableHeader": frozenset({"tableParagraph"}),
    "tableParagraph": "inline",
}
# The blocks that hold inline text (or a code block's plain text) in either schema: where a
# caret can stand, so the only elements an insertion's point may name (content/passages.py).
TEXT_BLOCKS = frozenset(
    tag
    for content in (_CONTENT, _BLOCKNOTE_CONTENT)
    for tag, holds in content.items()
    if holds in ("inline", "text")
)
_BLOCKNOTE_MARKS = frozenset(
    {"bold", "italic", "strike", "code", "underline", "link", "textColor", "backgroundColor"}
)
_LINK_DEFAULTS: Marks = {
    "target": "_blank",
    "rel": "noopener noreferrer nofollow",
    "class": None,
    "title": None,
}
_MAX_ATTRS = 32


def from_prosemirror(doc: Any) -> list[Node]:
    """The blocks of a ProseMirror JSON document ({"type": "doc", "content": [...]});
    InvalidRequest naming the first thing the editor could not open."""
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        raise InvalidRequest('prosemirror must be a document: {"type": "doc", "content": [...]}')
    # ProseMirror JSON's own "content" key (the document's children), not its root name.
    children = doc["content"] if "content" in doc else None
    first = next(iter(children), None) if isinstance(children, list) else None
    blocknote = isinstance(first, dict) and first.get("type") in ("blockGroup", "blockContainer")
    return _content(doc, "doc", "doc", 1, blocknote)


def _content(
    node: dict[str, Any], kind: str, where: str, depth: int, blocknote: bool = False
) -> list[Node]:
    """The children of `node` (a `kind`), checked against what it may hold (in BlockNote's
    schema when `blocknote`)."""
    if depth > MAX_DEPTH:
        raise InvalidRequest(f"{where}: the document nests deeper than {MAX_DEPTH} levels")
    # ProseMirror JSON's own "content" key (a node's children), not the document's root name.
    children = node["content"] if "content" in node else []
    if not isinstance(children, list):
        raise InvalidRequest(f"{where}.content must be a list of nodes")
    holds = (_BLOCKNOTE_CONTENT if blocknote else _CONTENT)[kind]
    if holds in ("leaf",) and children:
        raise InvalidRequest(f"{where}: a {kind} holds no content")
    if holds in ("inline", "text"):
        return _inline(children, where, code=holds == "text", blocknote=blocknote)
    if holds == "container":
        allowed: frozenset[str] = _BLOCKNOTE_BLOCKS | {"blockGroup"}
    else:
        allowed = _BLOCKS if holds in ("blocks", "item") else frozenset(holds)
    out: list[Node] = []
    for number, child in enumerate(children):
        at = f"{where}.content[{number}]"
        if not isinstance(child, dict) or not isinstance(child.get("type"), str):
            raise InvalidRequest(f"{at} must be a node with a type")
        tag = child["type"]
        if tag not in allowed:
            raise InvalidRequest(f"{at}: a {kind} cannot hold a {tag!r} node")
        made = _content(child, tag, at, depth + 1, blocknote)
        out.append(Element(tag, _attrs(child, tag, at, blocknote), made))
    if holds == "container" and not _container(out):
        raise InvalidRequest(
            f"{where}: a blockContainer holds one block, then optionally a blockGroup"
        )
    if holds == "item" and (
        not out or not isinstance(out[0], Element) or out[0].tag != "paragraph"
    ):
        raise InvalidRequest(f"{where}: a {kind} must start with a paragraph")
    if holds in ("blocks",) and kind != "doc" and not out:
        raise InvalidRequest(f"{where}: a {kind} needs at least one block")
    if isinstance(holds, frozenset) and not out:
        raise InvalidRequest(f"{where}: a {kind} needs at least one {' or '.join(sorted(holds))}")
    return out


def _container(children: list[Node]) -> bool:
    tags = [child.tag for child in children if isinstance(child, Element)]
    return bool(tags) and tags[0] != "blockGroup" and tags[1:] in ([], ["blockGroup"])


def _attrs(node: dict[str, Any], tag: str, where: str, blocknote: bool = False) -> dict[str, Any]:
    """A node's attributes as y-prosemirror stores them (no nulls), the editor's checked."""
    given = node.get("attrs", {})
    if given is None:
        given = {}
    if not isinstance(given, dict) or len(given) > _MAX_ATTRS:
        raise InvalidRequest(f"{where}.attrs must be an object of at most {_MAX_ATTRS} values")
    attrs = {key: value for key, value in given.items() if value is not None}
    for key, value in attrs.items():
        if not _plain_value(value):
            raise InvalidRequest(f"{where}.attrs.{key} must be a string, number or boolean")
    if tag == "heading":
        level = attrs.get("level", 1)
        if not _is_int(level) or not 1 <= level <= 6:
            raise InvalidRequest(f"{where}: a heading's level is 1 to 6")
        attrs["level"] = level
    elif tag == "orderedList" and "start" in attrs:
        if not _is_int(attrs["start"]) or attrs["start"] < 0:
            raise InvalidRequest(f"{where}: an ordered list's start is a number from 0")
    elif blocknote:
        if tag == "blockContainer" and not isinstance(attrs.get("id"), str):
            raise InvalidRequest(f"{where}: a blockContainer's id is a string")
        if tag == "checkListItem" and not isinstance(attrs.get("checked", False), bool):
            raise InvalidRequest(f"{where}: a check list item's checked is true or false")
        if tag == "numberedListItem" and "start" in attrs:
            if not _is_int(attrs["start"]) or attrs["start"] < 0:
                raise InvalidRequest(f"{where}: a numbered list item's start is a number from 0")
    elif tag == "taskItem":
        if not isinstance(attrs.get("checked", False), bool):
            raise InvalidRequest(f"{where}: a task item's checked is true or false")
        attrs["checked"] = attrs.get("checked", False)
    elif tag == "codeBlock" and not isinstance(attrs.get("language", ""), str):
        raise InvalidRequest(f"{where}: a code block's language is a string")
    elif tag == "image" and not _image_src(attrs.get("src")):
        raise InvalidRequest(
            f"{where}: an image's src must be an http(s) URL or a path on this server"
        )
    elif tag in ("tableCell", "tableHeader"):
        for span in ("colspan", "rowspan"):
            value = attrs.setdefault(span, 1)
            if not _is_int(value) or value < 1:
                raise InvalidRequest(f"{where}: a cell's {span} is a number from 1")
    return attrs


def _inline(children: list[Any], where: str, *, code: bool, blocknote: bool = False) -> list[Node]:
    """Inline nodes: runs of text (one Inline per stretch between hard breaks) and breaks."""
    out: list[Node] = []
    runs: list[Run] = []
    for number, child in enumerate(children):
        at = f"{where}.content[{number}]"
        if not isinstance(child, dict):
            raise InvalidRequest(f"{at} must be a node")
        kind = child.get("type")
        if kind == "text":
            text = child.get("text")
            if not isinstance(text, str) or not text:
                raise InvalidRequest(f"{at}: a text node's text is a non-empty string")
            marks = {} if code else _marks(child.get("marks", []), at, blocknote)
            if runs and runs[-1][1] == marks:
                runs[-1] = (runs[-1][0] + text, marks)
            else:
                runs.append((text, marks))
        elif kind == "hardBreak" and not code:
            if runs:
                out.append(Inline(runs))
                runs = []
            out.append(Element("hardBreak", {}))
        else:
            inside = "code block" if code else "text block"
            raise InvalidRequest(f"{at}: a {inside} cannot hold a {kind!r} node")
    if runs:
        out.append(Inline(runs))
    return out


def _marks(marks: Any, where: str, blocknote: bool = False) -> Marks:
    if not isinstance(marks, list):
        raise InvalidRequest(f"{where}.marks must be a list")
    found: Marks = {}
    names = _BLOCKNOTE_MARKS if blocknote else MARKS
    for number, mark in enumerate(marks):
        at = f"{where}.marks[{number}]"
        if not isinstance(mark, dict) or mark.get("type") not in names:
            known = ", ".join(sorted(names))
            raise InvalidRequest(f"{at}: a mark's type is one of {known}")
        attrs = mark.get("attrs") or {}
        if not isinstance(attrs, dict) or not all(_plain_value(v) for v in attrs.values()):
            raise InvalidRequest(f"{at}.attrs must be an object of strings, numbers or booleans")
        if mark["type"] == "link":
            href = attrs.get("href")
            if not isinstance(href, str) or not safe_href(href):
                raise InvalidRequest(f"{at}: a link's href must be http(s), mailto or relative")
            attrs = {"href": href} if blocknote else {**_LINK_DEFAULTS, **attrs}
        found[mark["type"]] = dict(attrs)
    if "code" in found and not blocknote:
        return {"code": found["code"]}
    return found


def _plain_value(value: Any) -> bool:
    if isinstance(value, list):
        return len(value) <= _MAX_ATTRS and all(
            v is None or isinstance(v, str | int | float | bool) for v in value
        )
    return value is None or isinstance(value, str | int | float | bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _image_src(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    if any(ch.isspace() or not ch.isprintable() or ch in '<>"' for ch in value):
        return False
    lowered = value.lower()
    web = lowered.startswith(("http://", "https://"))
    return web or (value.startswith("/") and not value.startswith("//"))
