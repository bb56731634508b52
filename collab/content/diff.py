"""Line- and character-based diffs of two texts, as JSON a UI can render."""

from __future__ import annotations

import difflib
from typing import Any

Op = dict[str, str]


def text_diff(old: str, new: str) -> dict[str, Any]:
    """Line ops, char ops (character-level inside changed line blocks) and counts."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    lines: list[Op] = []
    chars: list[Op] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if tag == "equal":
            _push(lines, "equal", before)
            _push(chars, "equal", before)
            continue
        _push(lines, "delete", before)
        _push(lines, "insert", after)
        chars.extend(_char_ops(before, after))
    return {"lines": lines, "chars": _merge(chars), "stats": _stats(chars)}


def _char_ops(old: str, new: str) -> list[Op]:
    ops: list[Op] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _push(ops, "equal", old[i1:i2])
        else:
            _push(ops, "delete", old[i1:i2])
            _push(ops, "insert", new[j1:j2])
    return ops


def _push(ops: list[Op], op: str, text: str) -> None:
    if text:
        ops.append({"op": op, "text": text})


def _merge(ops: list[Op]) -> list[Op]:
    merged: list[Op] = []
    for item in ops:
        if merged and merged[-1]["op"] == item["op"]:
            merged[-1] = {"op": item["op"], "text": merged[-1]["text"] + item["text"]}
        else:
            merged.append(item)
    return merged


def _stats(chars: list[Op]) -> dict[str, int]:
    return {
        "inserted_chars": sum(len(o["text"]) for o in chars if o["op"] == "insert"),
        "deleted_chars": sum(len(o["text"]) for o in chars if o["op"] == "delete"),
    }
