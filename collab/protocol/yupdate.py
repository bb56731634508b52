"""A bounded, non-recursive walk of a Yjs v1 update, run before pycrdt sees any untrusted bytes.

yrs decodes nested values recursively: an `Any` array nested 25,000 deep (50 KB) overflows its
stack and kills the process with SIGSEGV, which no `except` can catch. This module reads every
field of the update encoding (structs, every content kind, the delete set) with bounds checks,
counts the nesting of `Any` values and of JSON strings with an explicit stack, and refuses what
yrs could choke on. What it returns summarises the update (its items, their parents and origins,
its delete set), so callers can bound the nesting of shared types and tell whether an update
changes a document without copying the document. Layout: yjs `src/utils/encoding.js`, yrs
`update.rs` and `block.rs`; docs/protocol.md lists what is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from collab.config import Settings
from collab.errors import InvalidUpdate, MalformedMessage
from collab.protocol.encoding import Reader, read_var_uints

# yrs keeps clocks and lengths in u32.
_U32 = 0xFFFF_FFFF
# Item info byte: flags in the high bits, the content kind in the low five (yjs' BITS5).
_HAS_ORIGIN = 0x80
_HAS_RIGHT_ORIGIN = 0x40
_HAS_PARENT_SUB = 0x20
_CONTENT = 0x1F
_GC = 0
_SKIP = 10
_DELETED, _JSON, _BINARY, _STRING, _EMBED, _FORMAT, _TYPE, _ANY, _DOC = range(1, 10)
# Shared type refs: Array, Map, Text, XmlElement, XmlFragment, XmlText. XmlHook (5) is refused:
# Yjs writes a hook name after it and yrs reads none, so the two would read the rest apart.
_XML_ELEMENT = 3
_TYPE_REFS = frozenset({0, 1, 2, 3, 4, 6})
# lib0 `Any` tags.
_FIXED_ANY = {127: 0, 126: 0, 121: 0, 120: 0, 124: 4, 123: 8, 122: 8}
_ANY_INT, _ANY_STRING, _ANY_MAP, _ANY_ARRAY, _ANY_BUFFER = 125, 119, 118, 117, 116
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

ID = tuple[int, int]

# Deepest nesting of values and of shared types accepted where no setting is at hand: the
# default of Settings.max_nesting_depth (config.py says why it is that deep).
DEFAULT_MAX_DEPTH = Settings().max_nesting_depth


class UpdateRefused(InvalidUpdate):
    """An update collab will not hand to yrs: malformed, or nested deeper than allowed."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"refused update: {detail}")


@dataclass(slots=True)
class Item:
    """One item struct: where it sits (client, clock, length) and how yrs finds its parent:
    a root type's name, the id of the type item holding it, or neither (then the parent is
    that of its left origin, else of its right origin)."""

    client: int
    clock: int
    length: int
    parent: str | ID | None
    origin: ID | None
    right_origin: ID | None
    is_type: bool


@dataclass(slots=True)
class ParsedUpdate:
    """What an update holds: its items, its garbage-collected ranges, the end clock of its
    structs per client, the first clock of each run of structs it holds without a skip
    (client, clock), its delete set (client -> [(clock, length)]), and the id of the first
    UTF-16 unit of each character its strings hold beyond U+FFFF (a surrogate pair)."""

    items: list[Item] = field(default_factory=list)
    gc: list[tuple[int, int, int]] = field(default_factory=list)
    ends: dict[int, int] = field(default_factory=dict)
    runs: list[tuple[int, int]] = field(default_factory=list)
    skips: int = 0
    deletes: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    pairs: list[ID] = field(default_factory=list)

    @property
    def has_types(self) -> bool:
        """Whether the update creates shared types (which can nest)."""
        return any(item.is_type for item in self.items)


class _Reader(Reader):
    """The lib0 reader, plus the checks the update encoding needs. Malformed bytes raise
    MalformedMessage (Reader's one error); `parse_update` turns it into UpdateRefused."""

    __slots__ = ()

    def u32(self) -> int:
        value = self.read_var_uint()
        if value > _U32:
            raise UpdateRefused(f"clock or length {value} exceeds 32 bits")
        return value

    def count(self, what: str, min_bytes: int = 1) -> int:
        """A length prefix that cannot claim more entries than bytes are left."""
        value = self.read_var_uint()
        if value * min_bytes > self.remaining:
            raise UpdateRefused(f"{what} count {value} exceeds the bytes left")
        return value

    def skip_var_int(self) -> None:
        """Step over a signed lib0 varint (its sign bit makes it up to 10 bytes long)."""
        for _ in range(10):
            if self.read_uint8() < 0x80:
                return
        raise UpdateRefused("integer longer than 10 bytes")

    def id(self) -> ID:
        client = self.read_var_uint()
        return client, self.u32()


def parse_update(data: bytes, max_depth: int) -> ParsedUpdate:
    """Walk `data` as a Yjs v1 update; UpdateRefused if it is malformed, has trailing bytes,
    uses a content or type yrs does not support, or nests values deeper than `max_depth`."""
    simple = simple_update(data)
    return simple if simple is not None else walk_update(data, max_depth)


def walk_update(data: bytes, max_depth: int) -> ParsedUpdate:
    """`parse_update` without its fast path for simple edits: every struct walked."""
    reader = _Reader(data)
    parsed = ParsedUpdate()
    listed: set[int] = set()
    try:
        for _ in range(reader.count("client", 3)):
            structs = reader.count("struct")
            client = reader.read_var_uint()
            if client in listed:
                # Yjs and yrs write each client once; yrs panics on a second listing and
                # leaves a document whose every encoding (and read of its text) fails.
                raise UpdateRefused(f"client {client} listed twice")
            listed.add(client)
            clock = reader.u32()
            run_starts = True
            for _ in range(structs):
                if run_starts:
                    parsed.runs.append((client, clock))
                skips = parsed.skips
                clock = _read_struct(reader, parsed, client, clock, max_depth)
                run_starts = parsed.skips > skips
            if structs:
                parsed.ends[client] = max(parsed.ends.get(client, 0), clock)
        _read_delete_set(reader, parsed)
    except MalformedMessage as error:
        raise UpdateRefused(error.detail) from None
    if reader.remaining:
        raise UpdateRefused(f"{reader.remaining} unexpected bytes after the update")
    return parsed


def simple_update(data: bytes) -> ParsedUpdate | None:
    """The shapes of nearly every edit, read in one pass: at most one client's one item, placed
    by its origins, of text without characters beyond U+FFFF (a keystroke, a paste) or of one
    plain value (a number, a string, true, false, null: a map's entry set), followed by a
    delete set (a backspace is a delete set alone; a set entry deletes the value it replaces).
    None for anything else, or anything doubtful, which `parse_update` then walks in full; for
    what it does read, the result is the one `walk_update` gives (tests/protocol/
    test_simple_updates.py holds the two to that over real and mutated edits)."""
    size = len(data)
    if size < 2:
        return None
    reader = Reader(data)
    read = reader.read_var_uint
    parsed = ParsedUpdate()
    try:
        clients = read()
        if clients == 1:
            if read() != 1:  # one struct
                return None
            client = read()
            clock = read()
            info = reader.read_uint8()
            kind = info & _CONTENT
            if not info & (_HAS_ORIGIN | _HAS_RIGHT_ORIGIN) or clock > _U32:
                return None
            origin = right_origin = None
            if info & _HAS_ORIGIN:
                origin = (read(), read())
                if origin[1] > _U32:
                    return None
            if info & _HAS_RIGHT_ORIGIN:
                right_origin = (read(), read())
                if right_origin[1] > _U32:
                    return None
            if kind == _STRING:
                raw = reader.read_var_bytes()
                if raw.isascii():
                    length = len(raw)
                else:
                    text = raw.decode("utf-8")
                    if _ASTRAL.search(text):
                        return None  # its surrogate pairs are the walk's to note
                    length = len(text)
                if not length:
                    return None
            elif kind == _ANY:
                if read() != 1:  # one value
                    return None
                tag = reader.read_uint8()
                fixed = _FIXED_ANY.get(tag)
                if fixed is not None:
                    reader.skip(fixed)
                elif tag == _ANY_STRING:
                    reader.read_var_bytes().decode("utf-8")
                elif tag == _ANY_INT:
                    reader.read_var_int()
                else:
                    return None
                length = 1
            else:
                return None
            end = clock + length
            if end > _U32:
                return None
            parsed.items.append(Item(client, clock, length, None, origin, right_origin, False))
            parsed.ends[client] = end
            parsed.runs.append((client, clock))
        elif clients:
            return None
        # The delete set, with the walk's bounds: each count no larger than the bytes left allow.
        deleted = read()
        if deleted * 2 > size - reader.pos:
            return None
        deletes = parsed.deletes
        for _ in range(deleted):
            ranges = deletes.setdefault(read(), [])
            count = read()
            if count * 2 > size - reader.pos:
                return None
            for _ in range(count):
                start = read()
                length = read()
                if start > _U32 or length > _U32 or start + length > _U32:
                    return None
                if length:
                    ranges.append((start, length))
    except (MalformedMessage, UnicodeDecodeError):
        return None
    if reader.pos != size:
        return None
    return parsed


def _read_struct(reader: _Reader, parsed: ParsedUpdate, client: int, clock: int, depth: int) -> int:
    info = reader.read_uint8()
    if info in (_GC, _SKIP):
        length = reader.u32()
        if not length:
            # yrs keeps an empty GC or skip block and later divides by its length: every
            # encoding of the document (each newcomer's sync) panics from then on.
            raise UpdateRefused("empty garbage-collected or skipped range")
        if info == _GC:
            parsed.gc.append((client, clock, length))
        else:
            parsed.skips += 1
        return _advance(clock, length)
    kind = info & _CONTENT
    if not _DELETED <= kind <= _DOC:
        raise UpdateRefused(f"unknown content kind {kind}")
    origin = reader.id() if info & _HAS_ORIGIN else None
    right_origin = reader.id() if info & _HAS_RIGHT_ORIGIN else None
    parent: str | ID | None = None
    if not info & (_HAS_ORIGIN | _HAS_RIGHT_ORIGIN):
        parent = _read_parent(reader)
        if info & _HAS_PARENT_SUB:
            reader.read_var_string()
    if kind == _STRING:
        length = _read_string(reader, parsed, client, clock)
    else:
        length = _read_content(reader, kind, depth)
    if not length:
        # No editor writes an empty item, and yrs panics on one.
        raise UpdateRefused("empty item")
    parsed.items.append(Item(client, clock, length, parent, origin, right_origin, kind == _TYPE))
    return _advance(clock, length)


def _advance(clock: int, length: int) -> int:
    if clock + length > _U32:
        raise UpdateRefused("struct clocks overflow 32 bits")
    return clock + length


def _read_parent(reader: _Reader) -> str | ID:
    kind = reader.read_var_uint()
    if kind == 1:
        return reader.read_var_string()
    if kind == 0:
        return reader.id()
    raise UpdateRefused(f"unknown parent kind {kind}")


def _read_string(reader: _Reader, parsed: ParsedUpdate, client: int, clock: int) -> int:
    """Read a string item's content, noting where its surrogate pairs sit; return its length
    in clock ticks (UTF-16 units)."""
    text = reader.read_var_string()
    length = len(text.encode("utf-16-le")) // 2
    if length != len(text):
        # Each pair before a character shifts it one UTF-16 unit further.
        for before, match in enumerate(_ASTRAL.finditer(text)):
            parsed.pairs.append((client, clock + match.start() + before))
    return length


def _read_content(reader: _Reader, kind: int, depth: int) -> int:
    """Read one item's content other than a string; return its length in clock ticks."""
    if kind == _ANY:
        count = reader.count("value")
        _walk_any(reader, count, depth)
        return count
    if kind == _DELETED:
        return reader.u32()
    if kind in (_EMBED, _FORMAT):
        if kind == _FORMAT:
            reader.read_var_string()
        _check_json(reader.read_var_string(), depth)
        return 1
    if kind == _TYPE:
        type_ref = reader.read_uint8()
        if type_ref not in _TYPE_REFS:
            raise UpdateRefused(f"unsupported shared type {type_ref}")
        if type_ref == _XML_ELEMENT:
            reader.read_var_string()
        return 1
    if kind == _BINARY:
        reader.read_var_bytes()
        return 1
    if kind == _DOC:
        reader.read_var_string()
        _walk_any(reader, 1, depth)
        return 1
    # _JSON: legacy (Yjs < 13); yrs and Yjs disagree on its entry count, so it is refused.
    raise UpdateRefused("legacy JSON content is not supported; re-encode with Yjs 13 or later")


def _walk_any(reader: _Reader, count: int, max_depth: int) -> None:
    """Read `count` lib0 Any values with an explicit stack of (values left, is a map)."""
    stack: list[list[int]] = [[count, 0]]
    while stack:
        top = stack[-1]
        if not top[0]:
            stack.pop()
            continue
        top[0] -= 1
        if top[1]:
            reader.read_var_string()  # a map entry's key
        tag = reader.read_uint8()
        size = _FIXED_ANY.get(tag)
        if size is not None:
            reader.skip(size)
        elif tag == _ANY_STRING:
            reader.read_var_string()
        elif tag == _ANY_INT:
            reader.skip_var_int()
        elif tag == _ANY_BUFFER:
            reader.read_var_bytes()
        elif tag in (_ANY_ARRAY, _ANY_MAP):
            if len(stack) > max_depth:
                raise UpdateRefused(f"value nested deeper than {max_depth} levels")
            is_map = tag == _ANY_MAP
            stack.append([reader.count("entry", 2 if is_map else 1), int(is_map)])
        else:
            raise UpdateRefused(f"unknown value tag {tag}")


def _check_json(text: str, max_depth: int) -> None:
    """A JSON string (embeds, format attributes): valid, and nested at most `max_depth`."""
    depth = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > max_depth:
            raise UpdateRefused(f"JSON value nested deeper than {max_depth} levels")
    try:
        json.loads(text)
    except ValueError:
        raise UpdateRefused("embedded JSON is not valid") from None


def _read_delete_set(reader: _Reader, parsed: ParsedUpdate) -> None:
    for _ in range(reader.count("delete set client", 2)):
        client = reader.read_var_uint()
        ranges = parsed.deletes.setdefault(client, [])
        for _ in range(reader.count("deleted range", 2)):
            clock = reader.u32()
            length = reader.u32()
            _advance(clock, length)
            if length:
                ranges.append((clock, length))


def parse_state_vector(data: bytes) -> dict[int, int]:
    """A state vector (client -> clock); UpdateRefused if malformed."""
    try:
        values = read_var_uints(data)
    except MalformedMessage as error:
        raise UpdateRefused(error.detail) from None
    if not values:
        raise UpdateRefused("message truncated: expected one more byte")
    if values[0] * 2 != len(values) - 1:
        raise UpdateRefused("state vector entry count does not match its length")
    clocks = values[2::2]
    if clocks and max(clocks) > _U32:
        raise UpdateRefused(f"clock or length {max(clocks)} exceeds 32 bits")
    return dict(zip(values[1::2], clocks, strict=True))
