"""How deep each item of a document sits inside nested shared types (a Y.Map in a Y.Map in ...).

yrs deletes, garbage-collects and renders nested types recursively, so a chain of a few
thousand nested maps is as deadly as a deep value. An update names an item's parent directly
(a root name, or the id of the type item holding it) or only through its origins (then yrs takes
the left origin's parent, else the right origin's). `TypeNesting` keeps, per client, clock ranges
with the level of their parent, merged while the level stays the same (typing in one paragraph is
one range), and refuses an update whose shared types would nest past the limit, or that hangs a
shared type off items the document does not have (its depth could not be known).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from collab.errors import MalformedMessage
from collab.protocol.encoding import Reader, write_var_uint
from collab.protocol.yupdate import ID, Item, ParsedUpdate, UpdateRefused, parse_update

# Levels: 0 is a root type's children; a type item at level L creates a type whose children are
# at level L + 1. Two markers besides:
GC = -1  # no parent (garbage-collected origins): yrs turns the item into garbage
UNKNOWN = -2  # hangs off items this document lacks (a pending update)

# The stored form of a TypeNesting (`TypeNesting.encode`): this byte, then lib0 varuints.
_FORMAT = 1


class _Ranges:
    """The clock ranges of one client's items, each with the level of the items' parent."""

    __slots__ = ("ends", "levels", "starts")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.levels: list[int] = []

    def find(self, clock: int) -> int | None:
        index = bisect_right(self.starts, clock) - 1
        if index >= 0 and clock < self.ends[index]:
            return self.levels[index]
        return None

    def add(self, start: int, end: int, level: int) -> None:
        """Record [start, end) at `level`; parts already recorded keep theirs (yrs ignores
        structs it has)."""
        starts, ends, levels = self.starts, self.ends, self.levels
        index = bisect_right(starts, start)
        if index and ends[index - 1] > start:
            start = ends[index - 1]
        while start < end:
            limit = starts[index] if index < len(starts) else end
            if start < limit:
                piece = min(end, limit)
                if index and ends[index - 1] == start and levels[index - 1] == level:
                    ends[index - 1] = piece
                else:
                    starts.insert(index, start)
                    ends.insert(index, piece)
                    levels.insert(index, level)
                    index += 1
                start = piece
            else:
                start = max(start, ends[index])
                index += 1

    def __len__(self) -> int:
        return len(self.starts)


class _Local:
    """The structs of one update, found by id."""

    def __init__(self, update: ParsedUpdate) -> None:
        spans: dict[int, list[tuple[int, int, int]]] = {}
        for index, item in enumerate(update.items):
            spans.setdefault(item.client, []).append((item.clock, item.clock + item.length, index))
        for client, clock, length in update.gc:
            spans.setdefault(client, []).append((clock, clock + length, -1))
        self._spans = {client: sorted(found) for client, found in spans.items()}
        self._starts = {client: [s[0] for s in found] for client, found in self._spans.items()}

    def find(self, id_: ID) -> int | None:
        """The index of the update's item holding `id_`, -1 for a GC range, None if absent."""
        client, clock = id_
        starts = self._starts.get(client)
        if not starts:
            return None
        position = bisect_right(starts, clock) - 1
        if position < 0:
            return None
        _, end, index = self._spans[client][position]
        return index if clock < end else None


class TypeNesting:
    """The nesting levels of one document's items; `admit` checks an update, `record` keeps it."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self._types: dict[ID, int] = {}
        self._clients: dict[int, _Ranges] = {}

    def admit(
        self, update: ParsedUpdate, *, strict: bool = True, unknown_ok: bool = False
    ) -> list[int]:
        """The parent level of each item of `update`; UpdateRefused if a shared type in it
        would nest deeper than `max_depth`, or its depth cannot be known (unless `unknown_ok`:
        checking an update alone, before the document it is meant for). Not `strict`: the
        server's own edits are recorded, never refused."""
        levels = _Resolver(self, update).levels()
        if not strict:
            return levels
        self._refuse_parents_that_are_not_types(update)
        for item, level in zip(update.items, levels, strict=True):
            if not item.is_type:
                continue
            if level == UNKNOWN:
                if unknown_ok:
                    continue
                raise UpdateRefused(
                    "the update nests a shared type in items this document does not have"
                )
            if level + 1 > self.max_depth:
                raise UpdateRefused(f"shared types nested deeper than {self.max_depth} levels")
        return levels

    def _refuse_parents_that_are_not_types(self, update: ParsedUpdate) -> None:
        """An item whose parent is named by id must be placed in a shared type: yrs applies the
        structs before one placed in another item (a character, say), then fails, and keeps
        what it applied, which the room would neither store nor relay."""
        local: _Local | None = None
        for item in update.items:
            parent = item.parent
            if not isinstance(parent, tuple) or parent in self._types:
                continue
            if local is None:
                local = _Local(update)
            index = local.find(parent)
            if index is None:
                level = self.stored_level(parent)
                wrong = level is not None and level != GC  # a stored item, not garbage
            else:
                own = update.items[index] if index >= 0 else None
                wrong = own is not None and not (own.is_type and own.clock == parent[1])
            if wrong:
                raise UpdateRefused(
                    f"an item is placed in item {parent[0]}:{parent[1]}, which is not a shared type"
                )

    def walk(self, parts: Iterable[bytes]) -> TypeNesting:
        """Check and record every part in order, as one document; UpdateRefused (an
        InvalidUpdate) if one is malformed or nests values or shared types too deep."""
        for part in parts:
            parsed = parse_update(part, self.max_depth)
            self.record(parsed, self.admit(parsed))
        return self

    def record(self, update: ParsedUpdate, levels: list[int]) -> None:
        """Keep the levels of an update that was applied."""
        for item, level in zip(update.items, levels, strict=True):
            self._ranges(item.client).add(item.clock, item.clock + item.length, level)
            if item.is_type:
                self._types.setdefault((item.client, item.clock), level + 1 if level >= 0 else GC)
        for client, clock, length in update.gc:
            self._ranges(client).add(clock, clock + length, GC)

    def _ranges(self, client: int) -> _Ranges:
        ranges = self._clients.get(client)
        if ranges is None:
            ranges = self._clients[client] = _Ranges()
        return ranges

    def stored_level(self, id_: ID) -> int | None:
        """The parent level of the stored item holding `id_`, if any."""
        ranges = self._clients.get(id_[0])
        return ranges.find(id_[1]) if ranges is not None else None

    def type_level(self, id_: ID) -> int | None:
        """The level of the children of the stored type item `id_`; GC for a stored item that
        holds no type; None if the document has no such item."""
        level = self._types.get(id_)
        if level is not None:
            return level
        return GC if self.stored_level(id_) is not None else None

    def __len__(self) -> int:
        """Ranges held (a measure of this index's memory)."""
        return sum(len(ranges) for ranges in self._clients.values())

    def encode(self) -> bytes:
        """These levels as bytes, stored with the compacted state they describe so that a load
        need not walk that state again (`decode`). Small: a range per run of items at one level
        (a text typed in one paragraph is one range per client)."""
        out = [
            bytes((_FORMAT,)),
            write_var_uint(self.max_depth),
            write_var_uint(len(self._clients)),
        ]
        for client, ranges in self._clients.items():
            out += (write_var_uint(client), write_var_uint(len(ranges)))
            for start, end, level in zip(ranges.starts, ranges.ends, ranges.levels, strict=True):
                out += (write_var_uint(start), write_var_uint(end - start), _level_out(level))
        out.append(write_var_uint(len(self._types)))
        for (client, clock), level in self._types.items():
            out += (write_var_uint(client), write_var_uint(clock), _level_out(level))
        return b"".join(out)

    @classmethod
    def decode(cls, data: bytes, max_depth: int) -> TypeNesting | None:
        """Levels `encode` wrote, to check updates against `max_depth`; None if they are
        unreadable or were checked against a deeper limit (the state must be walked again,
        so that data nested past today's limit is refused)."""
        try:
            reader = Reader(data)
            if reader.read_uint8() != _FORMAT or reader.read_var_uint() > max_depth:
                return None
            nesting = cls(max_depth)
            for _ in range(reader.read_var_uint()):
                ranges = nesting._ranges(reader.read_var_uint())
                for _ in range(reader.read_var_uint()):
                    start, length = reader.read_var_uint(), reader.read_var_uint()
                    ranges.add(start, start + length, _level_in(reader))
            for _ in range(reader.read_var_uint()):
                client, clock = reader.read_var_uint(), reader.read_var_uint()
                nesting._types[(client, clock)] = _level_in(reader)
            reader.expect_end()
        except MalformedMessage:
            return None
        return nesting


def _level_out(level: int) -> bytes:
    return write_var_uint(level - UNKNOWN)


def _level_in(reader: Reader) -> int:
    return reader.read_var_uint() + UNKNOWN


class _Resolver:
    """Works out the parent level of every item of one update, following origins and parents
    through the document and the update itself with an explicit stack (chains can be long)."""

    def __init__(self, nesting: TypeNesting, update: ParsedUpdate) -> None:
        self._nesting = nesting
        self._update = update
        self._items = update.items
        # Built when an item names one the document lacks: a keystroke's item names stored
        # ones only, and indexing the update would cost more than the rest of its check.
        self._local_index: _Local | None = None
        self._levels: list[int | None] = [None] * len(update.items)

    @property
    def _local(self) -> _Local:
        if self._local_index is None:
            self._local_index = _Local(self._update)
        return self._local_index

    def levels(self) -> list[int]:
        for index in range(len(self._items)):
            self._resolve(index)
        return [UNKNOWN if level is None else level for level in self._levels]

    def _resolve(self, first: int) -> None:
        if self._levels[first] is not None:
            return
        outcome = self._step(self._items[first])
        if not isinstance(outcome, _Need):  # the usual case: no chain to follow
            self._levels[first] = outcome
            return
        stack = [first]
        on_stack = {first}
        while stack:
            index = stack[-1]
            if self._levels[index] is not None:
                stack.pop()
                on_stack.discard(index)
                continue
            outcome = self._step(self._items[index])
            if isinstance(outcome, _Need):
                if outcome.index in on_stack:  # a cycle of origins: yrs never integrates it
                    self._levels[index] = UNKNOWN
                else:
                    stack.append(outcome.index)
                    on_stack.add(outcome.index)
                continue
            self._levels[index] = outcome
            stack.pop()
            on_stack.discard(index)

    def _step(self, item: Item) -> int | _Need:
        parent = item.parent
        if isinstance(parent, str):
            return 0
        if parent is not None:
            return self._type_level(parent)
        left = self._origin_level(item.origin)
        if left != GC:
            return left
        return self._origin_level(item.right_origin)

    def _type_level(self, id_: ID) -> int | _Need:
        stored = self._nesting.type_level(id_)
        if stored is not None:
            return stored
        index = self._local.find(id_)
        if index is None:
            return UNKNOWN
        if index < 0 or not self._items[index].is_type or self._items[index].clock != id_[1]:
            return GC
        level = self._levels[index]
        if level is None:
            return _Need(index)
        return level + 1 if level >= 0 else level

    def _origin_level(self, id_: ID | None) -> int | _Need:
        """The parent level of the item at an origin: GC when there is no origin or it is
        garbage, UNKNOWN when the document lacks it."""
        if id_ is None:
            return GC
        stored = self._nesting.stored_level(id_)
        if stored is not None:
            return stored
        index = self._local.find(id_)
        if index is None:
            return UNKNOWN
        if index < 0:
            return GC
        level = self._levels[index]
        return _Need(index) if level is None else level


class _Need:
    """The resolver must first know the level of item `index`."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index
