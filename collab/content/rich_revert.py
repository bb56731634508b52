"""Reverting an agent session in a rich-text document as a forward edit: the document is
replayed without the session (what stood before its first update, then everyone else's updates
since, in order), and the current document is edited towards that with the smallest edit
(richedit.py). Blocks the session did not touch are left alone; in those it did, its text,
marks and attributes go and what it deleted comes back, while what others wrote meanwhile
stays. What others wrote inside the session's own text goes with it (it stood on the
session's items, so it cannot stand without them)."""

from __future__ import annotations

from collections.abc import Sequence

from pycrdt import XmlElement, XmlFragment, XmlText

from collab.content import crdt
from collab.content.richedit import PROSEMIRROR, content_edit
from collab.content.richnodes import read
from collab.content.roots import content_root


def revert_rich(
    before: Sequence[bytes], others: Sequence[bytes], after: Sequence[bytes]
) -> bytes | None:
    """The update that undoes the session, or None when that changes nothing. `before`: the
    document before the session's first update; `others`: everyone else's updates since, in
    order; `after`: every update since, the session's included. The edit is made on the
    document as the log has it (before and after), never on a live copy holding edits not
    committed yet: those are in neither document, so the edit leaves them alone, and applied
    live it merges with them."""
    current = crdt.doc_from_parts([*before, *after])
    without = crdt.doc_from_parts([*before, *others])
    name = content_root(current)
    fragment: XmlFragment = without.get(name, type=XmlFragment)
    blocks = [c for c in fragment.children if isinstance(c, XmlElement | XmlText)]
    change, outcome = content_edit(read(blocks), PROSEMIRROR, None, None)
    start = current.get_state()
    with current.transaction():
        change(current)
    if not (outcome.changed or outcome.inserted or outcome.deleted):
        return None
    return current.get_update(start)
