"""Forward edits that make a live document's root types equal those of an older state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pycrdt import Array, Doc, Map, Text, XmlElement, XmlFragment, XmlText

from collab.content.export import (
    ABSENT,
    Attributes,
    Runs,
    doc_from_update,
    plain_value,
    roots,
)
from collab.content.roots import candidates
from collab.content.textops import apply_text_ops, diff_ops
from collab.errors import WrongDocumentKind

Edit = Callable[[Doc[Any]], None]


def plan_restore(doc: Doc[Any], target_state: bytes) -> Edit | None:
    """The edit turning `doc` into the content of `target_state`, or None if they match."""
    current, target = roots(doc.get_update()), roots(target_state)
    names = sorted(set(current) | set(target))
    changed = [n for n in names if not current.get(n, ABSENT).same_as(target.get(n, ABSENT))]
    if not changed:
        return None
    source = doc_from_update(target_state)
    for name in changed:
        for kind, tree in (
            (current.get(name, ABSENT).kind, doc),
            (target.get(name, ABSENT).kind, source),
        ):
            if kind == "xml" and holds_unlisted_text(tree.get(name, type=XmlFragment)):
                raise WrongDocumentKind(
                    f"root {name!r} keeps text directly in its elements (as Yjs 14's editors "
                    "do), which this server cannot copy yet: restoring it would lose that text"
                )

    def edit(live: Doc[Any]) -> None:
        for name in changed:
            before, after = current.get(name, ABSENT), target.get(name, ABSENT)
            if "xml" in (before.kind, after.kind):
                old = source.get(name, type=XmlFragment) if after.kind == "xml" else None
                _restore_xml(live.get(name, type=XmlFragment), old)
            else:
                restore_value(live, name, before.value, after.value)
                if after.kind == "text":
                    restore_formatting(live.get(name, type=Text), after.runs)

    return edit


def restore_formatting(text: Text, runs: Runs) -> None:
    """Give `text` (whose string already equals the runs') the runs' formatting, touching only
    the stretches whose attributes differ; an attribute the target lacks is removed (None)."""
    if any(not isinstance(chunk[0], str) for chunk in text.diff()):
        return  # embeds: positions would not line up with the string runs; content is restored
    current = _spans(tuple((c[0], _sorted(c[1] if len(c) > 1 else None)) for c in text.diff()))
    target = _spans(runs)
    keys = {key for _, _, attrs in current + target for key, _ in attrs}
    for start, stop, attrs in _differing(current, target):
        wanted = dict(attrs)
        text.format(start, stop, {key: wanted.get(key) for key in keys})


def _sorted(attributes: dict[str, Any] | None) -> Attributes:
    return tuple(sorted((attributes or {}).items()))


Span = tuple[int, int, Attributes]


def _spans(runs: Runs) -> list[Span]:
    """(start, stop, attributes) per run, in pycrdt's positions (UTF-8 bytes)."""
    spans, position = [], 0
    for content, attributes in runs:
        size = len(content.encode("utf-8", "surrogatepass"))
        spans.append((position, position + size, attributes))
        position += size
    return spans


def _differing(current: list[Span], target: list[Span]) -> list[Span]:
    """The stretches where the target's attributes differ from the current ones (both lists
    cover the same text, in order)."""
    found: list[Span] = []
    i = j = position = 0
    while i < len(current) and j < len(target):
        stop = min(current[i][1], target[j][1])
        wanted = target[j][2]
        if stop > position and current[i][2] != wanted:
            if found and found[-1][1] == position and found[-1][2] == wanted:
                found[-1] = (found[-1][0], stop, wanted)
            else:
                found.append((position, stop, wanted))
        position = stop
        i += current[i][1] == stop
        j += target[j][1] == stop
    return found


def restore_value(doc: Doc[Any], name: str, before: Any, value: Any) -> None:
    """Edit root `name` from its JSON value `before` to `value` (None: empty it)."""
    if name in candidates() or isinstance(value, str) or isinstance(before, str):
        text = doc.get(name, type=Text)
        apply_text_ops(text, diff_ops(str(text), value if isinstance(value, str) else ""))
    elif isinstance(value, dict) or isinstance(before, dict):
        _restore_map(doc.get(name, type=Map), value if isinstance(value, dict) else {})
    elif isinstance(value, list) or isinstance(before, list):
        array = doc.get(name, type=Array)
        array.clear()
        array.extend(value if isinstance(value, list) else [])


def _restore_map(target_map: Map[Any], value: dict[str, Any]) -> None:
    for key in list(target_map.keys()):
        if key not in value:
            del target_map[key]
    for key, item in value.items():
        # Compared as JSON: a subdocument is the same one when its guid is, and replacing it
        # would destroy the clients' copy (their provider would sync a detached document).
        if plain_value(target_map.get(key)) != plain_value(item):
            target_map[key] = item


def holds_unlisted_text(fragment: XmlFragment) -> bool:
    """Whether an element of the tree holds text that is not in an XmlText child: Yjs 14
    (`@y/y`) puts strings directly into element nodes, which pycrdt serialises (str) but does
    not list among the children, so a copy made from the children would lose them."""
    return any(_unlisted(child) for child in fragment.children)


def _unlisted(node: Any) -> bool:
    if not isinstance(node, XmlElement):
        return False
    children = list(node.children)
    if not children:  # "<p>text</p>" where an empty element reads "<p></p>"
        shown, closing = str(node), f"</{node.tag}>"
        return shown.endswith(closing) and not shown[: -len(closing)].endswith(">")
    return any(_unlisted(child) for child in children)


def _restore_xml(fragment: XmlFragment, old: XmlFragment | None) -> None:
    """Replace the fragment's children with copies of the old ones (ProseMirror, Tiptap).
    Not a minimal edit: a rich-text tree has no cheap diff, and the content is what matters."""
    children = fragment.children
    for index in reversed(range(len(children))):
        del children[index]
    if old is not None:
        for child in old.children:
            _append_copy(fragment, child)


def _append_copy(parent: XmlFragment | XmlElement, node: Any) -> None:
    if isinstance(node, XmlText):
        copy = parent.children.append(XmlText())
        for chunk in node.diff():
            content, attributes = chunk[0], chunk[1] if len(chunk) > 1 else None
            if isinstance(content, str):
                copy.insert(len(copy), content, attributes or None)
            else:
                copy.insert_embed(len(copy), content, attributes or None)
    elif isinstance(node, XmlElement):
        # (pycrdt types the view's __iter__ as returning an Iterable, not an Iterator.) None is
        # how pycrdt reads an attribute set to `undefined` (BlockNote's unset props: a numbered
        # item's `start`, an image's `previewWidth`); written back it would be null, which
        # ProseMirror takes as a value. y-prosemirror never stores null (it removes the
        # attribute), and an absent attribute reads as undefined does: the default.
        tag_attributes: dict[str, Any] = {
            key: value for key, value in node.attributes.__iter__() if value is not None
        }
        element = parent.children.append(XmlElement(node.tag, tag_attributes))
        for child in node.children:
            _append_copy(element, child)
