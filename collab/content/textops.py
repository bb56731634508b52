"""Plain-text edits of a document's `content`: code-point operations, checked before any
applies, and the minimal operations turning one text into another."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Text, XmlElement, XmlText

from collab.content.roots import content_root
from collab.errors import InvalidRequest, WrongDocumentKind


@dataclass(frozen=True, slots=True)
class InsertText:
    """Insert `text` at code point `index` of `content`."""

    index: int
    text: str


@dataclass(frozen=True, slots=True)
class DeleteText:
    """Delete `length` code points of `content` from `index`."""

    index: int
    length: int


TextOp = InsertText | DeleteText


def text_edit(ops: Sequence[TextOp]) -> Callable[[Doc[Any]], None]:
    """An edit applying `ops` to `content` (checked first: nothing changes on a bad one)."""

    def change(doc: Doc[Any]) -> None:
        apply_text_ops(plain_content(doc), ops)

    return change


def replace_with(new_text: str) -> Callable[[Doc[Any]], None]:
    """An edit making `content` equal `new_text` by a minimal diff of its text at that time."""

    def change(doc: Doc[Any]) -> None:
        text = plain_content(doc)
        apply_text_ops(text, diff_ops(str(text), new_text))

    return change


def plain_content(doc: Doc[Any]) -> Text:
    """The `content` root as plain text, for a text edit; WrongDocumentKind (409) when it is
    rich text: a string written into an XmlFragment breaks every ProseMirror or Tiptap client,
    and their content is not plain text to diff. Read off the root's own runs (XML nodes show
    up among them), without encoding or decoding the whole document."""
    text: Text = doc.get(content_root(doc), type=Text)
    if any(isinstance(chunk[0], XmlElement | XmlText) for chunk in text.diff()):
        raise WrongDocumentKind(
            "this document is rich text (an XmlFragment at 'content'): plain-text edits would "
            "break its editors; change it with a Yjs update (POST .../updates) instead"
        )
    return text


def apply_text_ops(text: Text, ops: Sequence[TextOp]) -> None:
    """Apply `ops` to `text` after checking every index (nothing changes on a bad one).

    Indexes and lengths count Unicode code points, as Python's `str` does; pycrdt's `Text`
    counts UTF-8 bytes, so each position is converted against the text as it is at that op."""
    current = str(text)
    length = len(current)
    for op in ops:  # check everything before changing anything
        length = _checked_length(op, length)
    for op in ops:
        start = _utf8_offset(current, op.index)
        if isinstance(op, InsertText):
            text.insert(start, op.text)
            current = current[: op.index] + op.text + current[op.index :]
        elif op.length:
            end = start + _utf8_offset(current[op.index :], op.length)
            del text[start:end]
            current = current[: op.index] + current[op.index + op.length :]


def _utf8_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of code point `index` of `text`."""
    return len(text[:index].encode("utf-8", "surrogatepass"))


def utf8_size(text: str) -> int:
    """Bytes of `text` in UTF-8; InvalidRequest for text UTF-8 cannot hold (lone surrogates)."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as error:
        bad = text[error.start]
        raise InvalidRequest(
            f"text holds a lone surrogate (U+{ord(bad):04X}) at {error.start}; send valid Unicode"
        ) from None


def _checked_length(op: TextOp, length: int) -> int:
    if isinstance(op, InsertText):
        if not 0 <= op.index <= length:
            raise InvalidRequest(f"insert index {op.index} is outside the text (length {length})")
        return length + len(op.text)
    if op.index < 0 or op.length < 0 or op.index + op.length > length:
        raise InvalidRequest(
            f"delete of {op.length} at {op.index} is outside the text (length {length})"
        )
    return length - op.length


def diff_ops(old: str, new: str) -> list[TextOp]:
    """Operations turning `old` into `new`, touching only what differs, applied in order."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    old_mid, new_mid = old[prefix : len(old) - suffix], new[prefix : len(new) - suffix]
    matcher = difflib.SequenceMatcher(None, old_mid, new_mid, autojunk=False)
    ops: list[TextOp] = []
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag in ("delete", "replace"):
            ops.append(DeleteText(prefix + i1, i2 - i1))
        if tag in ("insert", "replace"):
            ops.append(InsertText(prefix + i1, new_mid[j1:j2]))
    return ops
