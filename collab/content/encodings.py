"""Encodings of a live document that cost time in proportion to its size, computed once per change.

A 14 MB document takes tens of milliseconds to encode. Each SyncStep1 with an empty state vector
(every newcomer, and any hostile client that repeats it) needs the whole state, and each viewer
update needs the state vector and the delete set to tell whether it would change anything. These
are kept until the document changes, so repeating a request costs nothing but the send.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from pycrdt import Doc

from collab.protocol.encoding import Reader
from collab.protocol.messages import encode_sync_step2
from collab.protocol.yupdate import ParsedUpdate, parse_state_vector


class DocEncodings:
    """The full-state SyncStep2 frame, state vector and delete set of one Doc, while unchanged.
    Call `changed()` after every change to the document."""

    __slots__ = ("_deletes", "_doc", "_frame", "_state", "encoded")

    def __init__(self, doc: Doc[Any]) -> None:
        self._doc = doc
        # Bytes encoded so far: what the cache did not save (callers charge the difference).
        self.encoded = 0
        self._frame: bytes | None = None
        self._state: dict[int, int] | None = None
        self._deletes: dict[int, tuple[list[int], list[int]]] | None = None

    def changed(self) -> None:
        """Forget everything: the document changed."""
        self._frame = self._state = self._deletes = None

    def applied(self, update: ParsedUpdate, before: dict[int, int], *, settled: bool) -> None:
        """The document took `update`; its state vector was `before`, and `settled` says it
        held no pending structs then. Forget the encodings, but keep the state vector without
        asking yrs for it again when the update's structs cannot have been held back: reading
        it costs a transaction and a parse per update, a tenth of an edit's time."""
        self._frame = self._deletes = None
        self._state = integrated_state(update, before) if settled else None

    def full_state_frame(self) -> bytes:
        """SyncStep2 with the whole document (the answer to an empty state vector)."""
        if self._frame is None:
            self._frame = encode_sync_step2(self._doc.get_update())
            self.encoded += len(self._frame)
        return self._frame

    def state(self) -> dict[int, int]:
        """The state vector as client -> clock."""
        if self._state is None:
            self._state = parse_state_vector(self._doc.get_state())
        return self._state

    def would_change(self, update: ParsedUpdate) -> bool:
        """Whether applying `update` could change the document: a struct past the state vector,
        or a deletion of something not deleted yet. Needs no copy of the document."""
        state = self.state()
        if any(end > state.get(client, 0) for client, end in update.ends.items()):
            return True
        deletes = self._delete_set()
        for client, ranges in update.deletes.items():
            starts, ends = deletes.get(client, ([], []))
            for clock, length in ranges:
                index = bisect_right(starts, clock) - 1
                if index < 0 or ends[index] < clock + length:
                    return True
        return False

    def _delete_set(self) -> dict[int, tuple[list[int], list[int]]]:
        """The document's delete set as merged, sorted ranges per client."""
        if self._deletes is None:
            # An update against the document's own state vector holds no structs, only the
            # whole delete set.
            encoded = self._doc.get_update(self._doc.get_state())
            self.encoded += len(encoded)
            self._deletes = _merged_deletes(encoded)
        return self._deletes


def integrated_state(update: ParsedUpdate, before: dict[int, int]) -> dict[int, int] | None:
    """The state vector after a document with state vector `before` and no pending structs
    takes `update`, if every struct of it is certain to be integrated; else None (ask yrs).

    yrs integrates a struct when the clocks of its client before it are there and the items
    it names (origin, right origin, parent) are. That is certain here when each run of the
    update's structs starts within what the document holds of its client (no skip), and each
    item names only items the document held before, or earlier ones of its own client (which
    the same run brings first). Anything else (a name of another client's new item, which may
    form a cycle yrs leaves pending) goes the slow way."""
    if update.skips:
        return None
    for client, clock in update.runs:
        if clock > before.get(client, 0):
            return None
    for item in update.items:
        for named in (item.origin, item.right_origin, item.parent):
            if named is None or isinstance(named, str):
                continue
            client, clock = named
            if clock < before.get(client, 0):
                continue
            if client == item.client and clock < item.clock:
                continue
            return None
    after = dict(before)
    for client, end in update.ends.items():
        if end > after.get(client, 0):
            after[client] = end
    return after


def _merged_deletes(update: bytes) -> dict[int, tuple[list[int], list[int]]]:
    reader = Reader(update)
    if reader.read_var_uint():
        raise ValueError("an update against the document's own state vector held structs")
    merged: dict[int, tuple[list[int], list[int]]] = {}
    for _ in range(reader.read_var_uint()):
        client = reader.read_var_uint()
        ranges = sorted(
            (reader.read_var_uint(), reader.read_var_uint()) for _ in range(reader.read_var_uint())
        )
        starts: list[int] = []
        ends: list[int] = []
        for clock, length in ranges:
            if ends and clock <= ends[-1]:
                ends[-1] = max(ends[-1], clock + length)
            else:
                starts.append(clock)
                ends.append(clock + length)
        merged[client] = (starts, ends)
    return merged
