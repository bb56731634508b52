"""Editing a rich-text document towards new content (Markdown or ProseMirror JSON, read into
richnodes.py's values) with the smallest change, as y-prosemirror itself syncs an editor's
state into Yjs: whatever did not change keeps its Yjs items, so people's carets, comment
anchors and concurrent edits in it survive.

Blocks are compared whole first: unchanged ones are left alone. Between them, old and new
blocks of the same kind are paired by how alike their text is; a paired block keeps its
XmlElement: its attributes are set, its children synced the same way, and a text's content
gets a character diff, then its marks are set where they differ (`format`). Blocks left
unpaired are deleted or inserted.

What the input cannot say is left as it is (`Fidelity`): Markdown says neither underline nor a
table's column widths, so an edit sent as Markdown keeps them. Markdown is also not a
lossless copy of every document, so with Markdown a top-level block counts as unchanged when
its own Markdown reads back as the new block.

BlockNote documents (a `blockGroup` of `blockContainer`s, richtext.py) are edited the same way:
the input is made into BlockNote's blocks first (blocknote_in.py), the containers of the top
blockGroup are the top-level blocks, and a container paired with a new block keeps its `id`
(never set by an edit: BlockNote's comments and carets follow it), whatever its content
becomes. Markdown says a block's type, a heading's level, a list item's `checked` and `start`,
a code block's language and an image's URL and name, not colours or alignment.

A passage is a range of top-level blocks, or the section under a heading (the heading and
the blocks up to the next heading of its level or above). Its `tag` hashes all it holds (every
mark and attribute): an edit may be conditional on the tag read (PassageChanged when it
differs: someone changed the passage since)."""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from collab.content.blocknote_in import (
    CONTAINER,
    GROUP,
    blocknote_blocks,
    empty_paragraph,
    in_blocknote_shape,
)
from collab.content.export import TEXT, content_kind
from collab.content.richnodes import Element, Inline, Marks, Node, Run, write
from collab.content.richtext import blocks_markdown
from collab.content.richvalues import attributes, plain
from collab.content.roots import content_root
from collab.errors import InvalidRequest, PassageChanged, WrongDocumentKind

# Pairing old and new blocks compares every pair of a changed stretch: past this many pairs,
# blocks of one kind pair in order.
_MAX_PAIRINGS = 2500
_MARKDOWN_MARKS = frozenset({"bold", "italic", "strike", "code", "link"})
_MARKDOWN_ATTRS: Mapping[str, frozenset[str]] = {
    "heading": frozenset({"level"}),
    "orderedList": frozenset({"start"}),
    "taskItem": frozenset({"checked"}),
    "codeBlock": frozenset({"language"}),
    "image": frozenset({"src", "alt", "title"}),
    "tableCell": frozenset({"colspan", "rowspan", "align"}),
    "tableHeader": frozenset({"colspan", "rowspan", "align"}),
}


@dataclass(frozen=True, slots=True)
class Fidelity:
    """What an input says: the marks and (per node type) the attributes it sets (None: all),
    whether top-level blocks compare by their Markdown, and attributes (tag, name) an edit
    never compares nor sets (`fixed`: BlockNote's block ids)."""

    marks: frozenset[str] | None
    attrs: Mapping[str, frozenset[str]] | None
    markdown: bool = False
    fixed: frozenset[tuple[str, str]] = frozenset()

    def mark(self, name: str) -> bool:
        return self.marks is None or name.split("--")[0] in self.marks

    def attr(self, tag: str, name: str) -> bool:
        if (tag, name) in self.fixed:
            return False
        return self.attrs is None or name in self.attrs.get(tag, frozenset())


MARKDOWN = Fidelity(_MARKDOWN_MARKS, _MARKDOWN_ATTRS, markdown=True)
PROSEMIRROR = Fidelity(None, None)

# BlockNote: what Markdown or Tiptap's JSON, made into BlockNote's blocks, says of them.
_BLOCK_IDS = frozenset({(CONTAINER, "id")})
_BLOCKNOTE_ATTRS: Mapping[str, frozenset[str]] = {
    "heading": frozenset({"level"}),
    "numberedListItem": frozenset({"start"}),
    "checkListItem": frozenset({"checked"}),
    "codeBlock": frozenset({"language"}),
    "image": frozenset({"url", "name"}),
    "tableCell": frozenset({"colspan", "rowspan"}),
    "tableHeader": frozenset({"colspan", "rowspan"}),
}
_BLOCKNOTE_MARKDOWN = Fidelity(_MARKDOWN_MARKS, _BLOCKNOTE_ATTRS, True, _BLOCK_IDS)
_BLOCKNOTE_TIPTAP = Fidelity(_MARKDOWN_MARKS | {"underline"}, _BLOCKNOTE_ATTRS, False, _BLOCK_IDS)


def _for_blocknote(nodes: list[Node], fidelity: Fidelity) -> tuple[list[Node], Fidelity]:
    """`nodes` as BlockNote's blocks, and what they say: all but block ids when they already
    are BlockNote's, else what Markdown or Tiptap's nodes can say."""
    if in_blocknote_shape(nodes):
        return blocknote_blocks(nodes), replace(fidelity, fixed=_BLOCK_IDS)
    converted = blocknote_blocks(nodes)
    return converted, _BLOCKNOTE_MARKDOWN if fidelity.markdown else _BLOCKNOTE_TIPTAP


@dataclass(frozen=True, slots=True)
class BlockRange:
    """Top-level blocks `start` to `end` (excluded; None: to the end)."""

    start: int
    end: int | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """The `occurrence`th heading whose text is `heading`, and the blocks under it."""

    heading: str
    occurrence: int = 1


Passage = BlockRange | Section | None


@dataclass(slots=True)
class Outcome:
    """What an edit did: the top-level blocks the passage holds now (`start` to `end`), its new
    tag, and how many of its blocks were kept as they were, changed in place, inserted and
    deleted."""

    start: int = 0
    end: int = 0
    tag: str = ""
    kept: int = 0
    changed: int = 0
    inserted: int = 0
    deleted: int = 0


@dataclass(frozen=True, slots=True)
class Read:
    """A passage as it stands: its blocks, where they are, and how many the document has; the
    `holder` of the top-level blocks (the fragment, or BlockNote's top blockGroup)."""

    blocks: list[XmlElement | XmlText]
    start: int
    end: int
    total: int
    holder: XmlFragment | XmlElement
    blocknote: bool = False

    @property
    def tag(self) -> str:
        """The passage's tag (computed when asked: it reads everything the passage holds)."""
        return passage_tag(self.blocks)


def content_edit(
    nodes: list[Node], fidelity: Fidelity, passage: Passage, base: str | None
) -> tuple[Callable[[Doc[Any]], None], Outcome]:
    """An edit making `passage` (the whole document for None) hold `nodes`, and the outcome it
    fills in. With `base`, PassageChanged unless the passage's tag still is `base` (checked
    before anything changes)."""
    outcome = Outcome()

    def change(doc: Doc[Any]) -> None:
        fragment = rich_fragment(doc)
        found = read_passage(fragment, passage, conditional=base is not None)
        if base is not None and _unquoted(base) != _unquoted(found.tag):
            raise PassageChanged(
                "the passage changed since it was read (its tag is not the base sent): read "
                "it again and redo the edit"
            )
        news, says = _for_blocknote(nodes, fidelity) if found.blocknote else (nodes, fidelity)
        holder = found.holder
        counts = _sync(holder, found.start, found.blocks, news, says, top=True)
        outcome.kept, outcome.changed, outcome.inserted, outcome.deleted = counts
        if found.blocknote and not len(holder.children):  # BlockNote's group holds a block
            write(holder, [empty_paragraph()])
            outcome.inserted += 1
        children = [c for c in holder.children if isinstance(c, XmlElement | XmlText)]
        outcome.start, outcome.end = found.start, found.end + len(children) - found.total
        outcome.tag = passage_tag(children[outcome.start : outcome.end])

    return change, outcome


def rich_fragment(doc: Doc[Any]) -> XmlFragment:
    """The content root as an XmlFragment; WrongDocumentKind for plain text."""
    if content_kind(doc) == TEXT:
        raise WrongDocumentKind(
            "this document is plain text: edit it with PATCH .../text, not rich content"
        )
    fragment: XmlFragment = doc.get(content_root(doc), type=XmlFragment)
    return fragment


def top_blocks(fragment: XmlFragment) -> XmlFragment | XmlElement:
    """What holds the document's top-level blocks: BlockNote's top blockGroup (its first
    element), or the fragment itself."""
    first = next((c for c in fragment.children if isinstance(c, XmlElement | XmlText)), None)
    if isinstance(first, XmlElement) and first.tag == GROUP:
        return first
    return fragment


def read_passage(fragment: XmlFragment, passage: Passage, *, conditional: bool = False) -> Read:
    """Where `passage` is in `fragment`. A passage that is not there is InvalidRequest, or
    PassageChanged when the edit is `conditional` on what was read (it was there then)."""
    holder = top_blocks(fragment)
    children = [c for c in holder.children if isinstance(c, XmlElement | XmlText)]
    total = len(children)
    error = PassageChanged if conditional else InvalidRequest
    if passage is None:
        start, end = 0, total
    elif isinstance(passage, BlockRange):
        start, end = passage.start, total if passage.end is None else passage.end
        if not 0 <= start <= end <= total:
            raise error(f"blocks {start} to {end} are not in the document ({total} blocks)")
    else:
        start, end = _section(children, passage, error)
    blocks = children[start:end]
    return Read(blocks, start, end, total, holder, holder is not fragment)


def _section(
    children: list[XmlElement | XmlText], section: Section, error: type[Exception]
) -> tuple[int, int]:
    wanted = " ".join(section.heading.split())
    seen = 0
    for index, child in enumerate(children):
        heading = _heading(child)
        if heading is not None:
            if " ".join(_text(heading).split()) != wanted:
                continue
            seen += 1
            if seen < section.occurrence:
                continue
            level = _level(heading)
            end = index + 1
            while end < len(children):
                after = _heading(children[end])
                if after is not None and _level(after) <= level:
                    break
                end += 1
            return index, end
    raise error(f"no heading {section.heading!r} (occurrence {section.occurrence}) in the document")


def _heading(block: XmlElement | XmlText) -> XmlElement | None:
    """The heading a top-level block is (a BlockNote block's content element), if it is one."""
    if isinstance(block, XmlElement) and block.tag == CONTAINER:
        block = next((c for c in block.children if isinstance(c, XmlElement)), block)
    if isinstance(block, XmlElement) and block.tag == "heading":
        return block
    return None


def _level(heading: XmlElement) -> int:
    level = plain(heading.attributes.get("level"))
    return level if isinstance(level, int) else 1


def passage_tag(blocks: Sequence[XmlElement | XmlText]) -> str:
    """A strong ETag over everything `blocks` hold (every mark and attribute)."""
    signed = json.dumps([_signature(block, PROSEMIRROR) for block in blocks], default=str)
    digest = hashlib.sha256(signed.encode("utf-8", "surrogatepass")).digest()[:18]
    return '"' + base64.urlsafe_b64encode(digest).rstrip(b"=").decode() + '"'


def _unquoted(tag: str) -> str:
    return tag.strip().removeprefix("W/").strip('"')


# Signatures: a block as comparable values, holding only what the input can say.


def _signature(node: XmlElement | XmlText, fidelity: Fidelity) -> Signature:
    if isinstance(node, XmlText):
        return ("#text", _runs_signature(node.diff(), fidelity))
    tag = node.tag or ""
    attrs = {k: v for k, v in attributes(node).items() if v is not None and fidelity.attr(tag, k)}
    children = tuple(
        _signature(child, fidelity)
        for child in node.children
        if isinstance(child, XmlElement | XmlText)
    )
    return (tag, _frozen(attrs), children)


def _target_signature(node: Node, fidelity: Fidelity) -> Signature:
    if isinstance(node, Inline):
        return ("#text", _runs_signature(node.runs, fidelity))
    attrs = {
        k: plain(v) for k, v in node.attrs.items() if v is not None and fidelity.attr(node.tag, k)
    }
    children = tuple(_target_signature(child, fidelity) for child in node.children)
    return (node.tag, _frozen(attrs), children)


# A block as nested tuples: hashable, and JSON for its tag.
Signature = tuple[Any, ...]


def _runs_signature(
    runs: Sequence[tuple[Any, Marks | None]], fidelity: Fidelity
) -> tuple[tuple[str, Any], ...]:
    out: list[tuple[str, Any]] = []
    for chunk, marks in runs:
        content = chunk if isinstance(chunk, str) else "\ufffc" + json.dumps(plain(chunk))
        if not content:
            continue
        key = _frozen(_project(marks, fidelity))
        if out and out[-1][1] == key:
            out[-1] = (out[-1][0] + content, key)
        else:
            out.append((content, key))
    return tuple(out)


def _project(marks: Marks | None, fidelity: Fidelity) -> Marks:
    """The marks the input can say (numbers compare equal whether yrs made them floats)."""
    if not marks:
        return {}
    if fidelity.marks is None:
        return marks
    return {k: v for k, v in marks.items() if fidelity.mark(k)}


def _frozen(value: Any) -> Any:
    """A JSON value as nested tuples (objects as sorted pairs, whole numbers ints): hashable,
    comparable."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("[]", *(_frozen(v) for v in value))
    return value


def _old_key(
    node: XmlElement | XmlText, fidelity: Fidelity, top: bool, wanted: set[Signature]
) -> Signature:
    """How an old block compares: by its own signature, or, when that matches none of the
    `wanted` blocks (Markdown, top level), by what its Markdown reads back as, so blocks
    Markdown cannot copy exactly still count as unchanged."""
    key = _signature(node, fidelity)
    if key in wanted or not (top and fidelity.markdown and isinstance(node, XmlElement)):
        return key
    from collab.content.markdown_in import to_nodes  # markdown-it: loaded with the first edit

    again = to_nodes(blocks_markdown([node]))
    if node.tag == CONTAINER:
        again = blocknote_blocks(again)
    return _target_signature(again[0], fidelity) if len(again) == 1 else key


# Syncing children: equal blocks kept, the rest paired by kind and likeness.


def _sync(
    parent: XmlFragment | XmlElement,
    at: int,
    children: list[XmlElement | XmlText],
    news: list[Node],
    fidelity: Fidelity,
    *,
    top: bool = False,
) -> tuple[int, int, int, int]:
    """Make `children` (of `parent`, from its child `at` on) hold `news`; (kept, changed,
    inserted, deleted). With Markdown, top-level blocks it cannot show (an empty paragraph:
    their Markdown is empty) are left where they are."""
    shown = [
        (at + index, node)
        for index, node in enumerate(children)
        if not (top and fidelity.markdown and _unseen(node))
    ]
    positions = [position for position, _ in shown]
    olds = [node for _, node in shown]
    end = at + len(children)
    new_keys = [_target_signature(node, fidelity) for node in news]
    wanted = set(new_keys)
    old_keys = [_old_key(node, fidelity, top, wanted) for node in olds]
    steps: list[tuple[str, int, int]] = []
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            steps.extend(("keep", i, -1) for i in range(i1, i2))
        else:
            steps.extend(_pair(olds, news, (i1, i2), (j1, j2)))
    kept = changed = inserted = deleted = 0
    for step, i, j in reversed(steps):
        if step == "keep":
            kept += 1
        elif step == "pair":
            if old_keys[i] == new_keys[j]:
                kept += 1
            else:
                changed += 1
                _update(olds[i], news[j], fidelity)
        elif step == "delete":
            deleted += 1
            del parent.children[positions[i]]
        else:
            inserted += 1
            write(parent, [news[j]], positions[i] if i < len(positions) else end)
    return kept, changed, inserted, deleted


def _unseen(node: XmlElement | XmlText) -> bool:
    """Whether a block's Markdown is empty (Markdown cannot say it, so cannot remove it): an
    element holding nothing that renders nothing (an empty paragraph; not a rule)."""
    if not isinstance(node, XmlElement):
        return False
    if node.tag == CONTAINER:  # a BlockNote block: its content element holds nothing
        parts = list(node.children)
        if len(parts) != 1 or not isinstance(parts[0], XmlElement) or len(parts[0].children):
            return False
    elif len(node.children):
        return False
    return not blocks_markdown([node]).strip()


def _kind(node: XmlElement | XmlText | Node) -> str:
    if isinstance(node, XmlText | Inline):
        return "#text"
    return node.tag or ""


def _pair(
    olds: list[XmlElement | XmlText],
    news: list[Node],
    old_span: tuple[int, int],
    new_span: tuple[int, int],
) -> list[tuple[str, int, int]]:
    """Steps turning olds[i1:i2] into news[j1:j2]: ("pair", i, j) for blocks of a kind that
    stay (the pairs making their texts most alike), ("delete", i, -1), and ("insert", i, j)
    for a new block going before old block i."""
    (i1, i2), (j1, j2) = old_span, new_span
    n, m = i2 - i1, j2 - j1
    if n * m > _MAX_PAIRINGS:
        return _pair_in_order(olds, news, old_span, new_span)
    old_texts = [_text(node) for node in olds[i1:i2]]
    new_texts = [_target_text(node) for node in news[j1:j2]]

    def weight(a: int, b: int) -> float:
        if _kind(olds[i1 + a]) != _kind(news[j1 + b]):
            return 0.0
        if not old_texts[a] and not new_texts[b]:
            return 1.01
        similar = difflib.SequenceMatcher(None, old_texts[a], new_texts[b], autojunk=False)
        return similar.quick_ratio() + 0.01  # an upper bound of ratio(), in linear time

    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    weights = [[weight(a, b) for b in range(m)] for a in range(n)]
    for a in range(1, n + 1):
        for b in range(1, m + 1):
            paired = best[a - 1][b - 1] + weights[a - 1][b - 1] if weights[a - 1][b - 1] else 0.0
            best[a][b] = max(best[a - 1][b], best[a][b - 1], paired)
    steps: list[tuple[str, int, int]] = []
    a, b = n, m
    while a or b:
        w = weights[a - 1][b - 1] if a and b else 0.0
        if a and b and w and best[a][b] == best[a - 1][b - 1] + w:
            steps.append(("pair", i1 + a - 1, j1 + b - 1))
            a, b = a - 1, b - 1
        elif a and best[a][b] == best[a - 1][b]:
            steps.append(("delete", i1 + a - 1, -1))
            a -= 1
        else:
            steps.append(("insert", i1 + a, j1 + b - 1))
            b -= 1
    steps.reverse()
    return steps


def _pair_in_order(
    olds: list[XmlElement | XmlText],
    news: list[Node],
    old_span: tuple[int, int],
    new_span: tuple[int, int],
) -> list[tuple[str, int, int]]:
    (i1, i2), (j1, j2) = old_span, new_span
    kinds = difflib.SequenceMatcher(
        None,
        [_kind(node) for node in olds[i1:i2]],
        [_kind(node) for node in news[j1:j2]],
        autojunk=False,
    )
    steps: list[tuple[str, int, int]] = []
    for op, a1, a2, b1, b2 in kinds.get_opcodes():
        if op == "equal":
            steps.extend(("pair", i1 + a1 + k, j1 + b1 + k) for k in range(a2 - a1))
            continue
        steps.extend(("delete", i1 + a, -1) for a in range(a1, a2))
        steps.extend(("insert", i1 + a2, j1 + b) for b in range(b1, b2))
    return steps


def _update(old: XmlElement | XmlText, new: Node, fidelity: Fidelity) -> None:
    """Make a paired block (same kind) hold `new`, keeping its Yjs node."""
    if isinstance(old, XmlText):
        if isinstance(new, Inline):
            _sync_text(old, new.runs, fidelity)
        return
    if not isinstance(new, Element):
        return
    tag = old.tag or ""
    current = attributes(old)
    for key, value in new.attrs.items():
        if value is not None and fidelity.attr(tag, key) and current.get(key) != plain(value):
            old.attributes[key] = value
    for key, value in current.items():
        if value is not None and new.attrs.get(key) is None and fidelity.attr(tag, key):
            del old.attributes[key]
    children = list(old.children)
    if all(isinstance(c, XmlElement | XmlText) for c in children):
        _sync(
            old,
            0,
            [c for c in children if isinstance(c, XmlElement | XmlText)],
            new.children,
            fidelity,
        )
    else:  # something neither an element nor a text: written anew
        del old.children[0 : len(children)]
        write(old, new.children)


# Text: a character diff, then marks set where they differ.


def _sync_text(text: XmlText, runs: list[Run], fidelity: Fidelity) -> None:
    chunks = text.diff()
    new = "".join(content for content, _ in runs)
    wanted = [_project(marks, fidelity) for content, marks in runs for _ in content]
    if any(not isinstance(chunk, str) for chunk, _ in chunks):  # an embed: write it anew
        del text[0 : len(text)]
        for content, marks in reversed(runs):
            text.insert(0, content, marks)
        return
    old = "".join(chunk for chunk, _ in chunks)
    for op, i1, i2, j1, j2 in reversed(_text_opcodes(old, new)):
        if op == "equal":
            continue
        start = _utf8(old[:i1])
        if i2 > i1:
            del text[start : start + _utf8(old[i1:i2])]
        for content, marks in reversed(_pieces(new, wanted, j1, j2)):
            text.insert(start, content, marks)
    _format(text, wanted, fidelity)


def _pieces(text: str, marks: list[Marks], start: int, end: int) -> list[tuple[str, Marks]]:
    pieces: list[tuple[str, Marks]] = []
    for index in range(start, end):
        if pieces and pieces[-1][1] == marks[index]:
            pieces[-1] = (pieces[-1][0] + text[index], marks[index])
        else:
            pieces.append((text[index], marks[index]))
    return pieces


def _format(text: XmlText, wanted: list[Marks], fidelity: Fidelity) -> None:
    """Set the marks the input says where the text's differ (what it cannot say stays)."""
    current: list[Marks] = []
    content = ""
    for chunk, attrs in text.diff():
        current.extend([_project(attrs, fidelity)] * len(chunk))
        content += chunk
    index = 0
    while index < len(wanted):
        if current[index] == wanted[index]:
            index += 1
            continue
        end = index + 1
        while end < len(wanted) and current[end] == current[index] and wanted[end] == wanted[index]:
            end += 1
        change: dict[str, Any] = {
            k: v for k, v in wanted[index].items() if current[index].get(k) != v
        }
        change.update({k: None for k in current[index] if k not in wanted[index]})
        start = _utf8(content[:index])
        text.format(start, start + _utf8(content[index:end]), change)
        index = end


def _text_opcodes(old: str, new: str) -> list[tuple[str, int, int, int, int]]:
    """difflib opcodes turning `old` into `new`, the common start and end trimmed first."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    middle = difflib.SequenceMatcher(
        None, old[prefix : len(old) - suffix], new[prefix : len(new) - suffix], autojunk=False
    )
    ops: list[tuple[str, int, int, int, int]] = []
    if prefix:
        ops.append(("equal", 0, prefix, 0, prefix))
    for op, i1, i2, j1, j2 in middle.get_opcodes():
        ops.append((op, prefix + i1, prefix + i2, prefix + j1, prefix + j2))
    if suffix:
        ops.append(("equal", len(old) - suffix, len(old), len(new) - suffix, len(new)))
    return ops


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _text(node: XmlElement | XmlText) -> str:
    if isinstance(node, XmlText):
        return "".join(chunk for chunk, _ in node.diff() if isinstance(chunk, str))
    return "".join(_text(c) for c in node.children if isinstance(c, XmlElement | XmlText))


def _target_text(node: Node) -> str:
    if isinstance(node, Inline):
        return "".join(content for content, _ in node.runs)
    return "".join(_target_text(child) for child in node.children)
