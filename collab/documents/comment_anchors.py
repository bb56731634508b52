"""Comment threads a version restore brings back: a thread detached now (its whole passage
deleted) whose passage the restored version holds is anchored again to that passage.

The restore makes the document's text equal the version's with new items, so the thread's old
anchors (naming the deleted items) stay detached: the passage is found in the version's own
document (its state holds the items the anchors name), and, the text being the version's once
restored, anchored anew at the same index and length, provided the same text stands there.
Threads still attached are left as they are. Passages are counted as content/anchors.py counts
them, in plain and rich text alike; the tests cover plain text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc

from collab.content.anchors import Located, Passage, anchor, locate
from collab.errors import InvalidRequest
from collab.store.comments import Thread


@dataclass(frozen=True, slots=True)
class Detached:
    """A thread detached now, and where its passage stands in the version being restored."""

    thread: str
    found: Located


@dataclass(frozen=True, slots=True)
class Reattached:
    """A thread's new anchors in the restored document."""

    thread: str
    passage: Passage


def detached_in_version(
    current: Doc[Any], version: Doc[Any], threads: Sequence[Thread]
) -> list[Detached]:
    """The threads detached in `current` whose passage `version` holds (before the restore)."""
    found = []
    for thread in threads:
        if locate(current, thread.start, thread.end) is not None:
            continue  # attached: its anchors follow the restore's edits themselves
        there = locate(version, thread.start, thread.end)
        if there is not None:
            found.append(Detached(thread.id, there))
    return found


def reattach(restored: Doc[Any], detached: Sequence[Detached]) -> list[Reattached]:
    """New anchors in `restored` (the document once the restore applied) for each of the
    threads, where its passage stands in the text it shares with the version; a passage whose
    text is not there (someone changed it in between) is left detached."""
    again = []
    for each in detached:
        where = each.found
        try:
            passage = anchor(restored, where.index, where.length)
        except InvalidRequest:
            continue  # not inside the text now
        if passage.quote == where.text:
            again.append(Reattached(each.thread, passage))
    return again
