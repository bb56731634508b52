"""Passages of either kind of document, for comment threads: where two Yjs relative positions
stand among the document's text nodes, and anchors made for a passage of a rich-text document.

A document's text nodes are its `content` Y.Text (plain text), or the XmlText nodes of its
`content` XmlFragment in document order (rich text: y-prosemirror keeps each run of inline text
of a paragraph, heading or list item in one). Passages are counted over the nodes' text joined
by one newline, in Unicode code points: for plain text that is the text itself.

pycrdt gives no way to make a relative position in an XmlText, nor to ask which node one names,
so both are worked out on a copy of the document, through public calls only:
- a character's Yjs id is what deleting it on the copy adds to the copy's delete set;
- the node a position is in is found by inserting a character at the start of some nodes at a
  time (one bit of the node's number per round) and watching whether its index moves;
- its offset in the node is settled as content/anchors.py settles plain text's (yrs adds UTF-16
  clock offsets to UTF-8 lengths; splitting items with a format it never stores fixes that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pycrdt import Assoc, Doc, StickyIndex, Text, XmlElement, XmlFragment, XmlText

from collab.content.export import RICH, content_kind
from collab.content.prosemirror_in import TEXT_BLOCKS
from collab.content.roots import content_root
from collab.errors import InvalidRequest, MalformedMessage
from collab.protocol.encoding import Reader, write_var_uint
from collab.protocol.yupdate import parse_state_vector, parse_update

# The attribute that splits a copy's items (never stored), and the character marking nodes.
_SPLIT = "collab-anchor"
_MARK = "#"
# The most splits settling one position makes before it answers with where it stands.
_MAX_SETTLING = 64
# How deep the copy's own delete-set updates are parsed (they hold no nested content), and how
# deep a stored document's values may nest when it is read for what it holds.
_DEPTH = 64
_STORED_DEPTH = 10_000

Node = Text | XmlText


@dataclass(frozen=True, slots=True)
class Anchors:
    """A passage held by two encoded Yjs relative positions, and its text when made."""

    start: bytes
    end: bytes
    quote: str


@dataclass(frozen=True, slots=True)
class Where:
    """Where an anchored passage stands now: code points into the nodes' joined text."""

    index: int
    length: int
    text: str
    # Found again next to where its deleted characters were (see `locate_all`).
    revived: bool = False


def copy_of(doc: Doc[Any]) -> Doc[Any]:
    """A copy of `doc` to work on (the document itself is never changed)."""
    copy: Doc[Any] = Doc()
    copy.apply_update(doc.get_update())
    return copy


def text_nodes(doc: Doc[Any]) -> list[Node]:
    """The document's text nodes in document order."""
    name = content_root(doc)
    if content_kind(doc) != RICH:
        return [doc.get(name, type=Text)]
    found: list[Node] = []
    _walk(doc.get(name, type=XmlFragment).children, found)
    return found


def _walk(children: Any, found: list[Node]) -> None:
    for child in children:
        if isinstance(child, XmlText):
            found.append(child)
        elif isinstance(child, XmlElement):
            _walk(child.children, found)


def node_string(node: Node) -> str:
    """A node's text (an XmlText's embeds, which y-prosemirror never makes, left out)."""
    if isinstance(node, Text):
        return str(node)
    return "".join(chunk[0] for chunk in node.diff() if isinstance(chunk[0], str))


def joined(strings: Sequence[str]) -> str:
    """The nodes' text as passages count it."""
    return "\n".join(strings)


# ---------------------------------------------------------------- decoding positions


def decode_position(data: bytes, what: str) -> StickyIndex:
    """A Yjs relative position (its v1 encoding) that names a character; InvalidRequest
    otherwise. Decoded here rather than by pycrdt, which panics on malformed bytes."""
    reader = Reader(data)
    try:
        kind = reader.read_var_uint()
        if kind != 0:
            raise InvalidRequest(
                f"anchor.{what}: a relative position naming a character is needed (this one "
                "names the start or end of a type): make it with "
                "Y.createRelativePositionFromTypeIndex inside the text"
            )
        client, clock = reader.read_var_uint(), reader.read_var_uint()
        assoc = reader.read_var_int() if reader.remaining else 0
        reader.expect_end()
    except MalformedMessage as error:
        raise InvalidRequest(
            f"anchor.{what}: not a Yjs relative position ({error.detail})"
        ) from None
    if clock >= 2**32 or client >= 2**53:
        raise InvalidRequest(f"anchor.{what}: the client or clock is out of range")
    return StickyIndex.from_json(
        {"item": {"client": client, "clock": clock}, "assoc": -1 if assoc < 0 else 0}
    )


def unknown(doc: Doc[Any], positions: Sequence[StickyIndex]) -> int | None:
    """The index of the first of `positions` that names no character `doc` holds (one it
    never saw, or one garbage-collected: yrs panics on either, and a deleted paragraph's text
    is collected); None when it holds them all. For positions a client sent."""
    holdings = _Holdings(doc, thorough=True)
    return next((n for n, p in enumerate(positions) if not holdings.holds(p)), None)


class _Holdings:
    """What a document holds, to check positions against: its state vector and the ranges it
    has garbage-collected (read once from its encoded state)."""

    def __init__(self, doc: Doc[Any], *, thorough: bool = False) -> None:
        self.clocks = parse_state_vector(doc.get_state())
        self.collected: dict[int, list[tuple[int, int]]] = {}
        # Only the content of a deleted type is collected: the text of a plain document's
        # `content` never is, so positions already checked to be in it (stored anchors) skip
        # reading a long document's whole encoding. A position from outside is always checked.
        if not thorough and content_kind(doc) != RICH:
            return
        for client, clock, length in parse_update(doc.get_update(), _STORED_DEPTH).gc:
            self.collected.setdefault(client, []).append((clock, length))

    def holds(self, position: StickyIndex) -> bool:
        item = position.to_json().get("item")
        if not isinstance(item, dict):
            return False
        client, clock = item.get("client"), item.get("clock")
        if not (isinstance(client, int) and isinstance(clock, int)):
            return False
        if clock >= self.clocks.get(client, 0):
            return False
        return not any(c <= clock < c + n for c, n in self.collected.get(client, ()))


# ---------------------------------------------------------------- locating


def locate_all(
    doc: Doc[Any],
    anchors: Sequence[tuple[bytes, bytes]],
    quotes: Sequence[str] | None = None,
) -> list[Where | None]:
    """Where each (start, end) pair stands in `doc` now: None when the passage is gone (all
    of it deleted, or a node holding one of its ends removed), or an anchor names nothing of
    this document's content. One copy for them all.

    A passage whose characters are all deleted is found again, `revived`, when its quote (in
    `quotes`) stands right before or right after where they were: an undo, or a restore, puts
    the text back as new characters there (Yjs re-creates deleted text; only the client that
    undid it knows which old characters the new ones stand for); or when the quote stands
    once in the whole text."""
    positions: list[StickyIndex | None] = []
    copy = copy_of(doc)
    holdings = _Holdings(copy)
    for start, end in anchors:
        for data in (start, end):
            try:
                position: StickyIndex | None = decode_position(data, "start")
            except InvalidRequest:
                position = None
            positions.append(
                position if position is not None and holdings.holds(position) else None
            )
    spots = _spots(copy, positions)
    strings = [node_string(node) for node in text_nodes(copy)]
    text = joined(strings)
    starts = _starts(strings)
    found: list[Where | None] = []
    for n in range(len(anchors)):
        first, last = spots[2 * n], spots[2 * n + 1]
        at = None
        if first is not None and last is not None:
            begin, finish = starts[first[0]] + first[1], starts[last[0]] + last[1]
            if finish > begin:
                found.append(Where(begin, finish - begin, text[begin:finish]))
                continue
            at = begin if begin == finish else None
        found.append(_revived(text, at, quotes[n]) if quotes else None)
    return found


def _revived(text: str, at: int | None, quote: str) -> Where | None:
    """A deleted passage's quote found again: right before or right after `at`, where its
    characters were; else standing once, and only once, in the whole text (an editor that
    re-creates a paragraph to split, join or retype it, as y-prosemirror does, deletes the
    paragraph's characters and writes new ones, and the old ones' place goes with them)."""
    if not quote:
        return None
    if at is not None and text[max(at - len(quote), 0) : at] == quote:
        return Where(at - len(quote), len(quote), quote, revived=True)
    if at is not None and text[at : at + len(quote)] == quote:
        return Where(at, len(quote), quote, revived=True)
    first = text.find(quote)
    if first >= 0 and text.find(quote, first + 1) < 0:
        return Where(first, len(quote), quote, revived=True)
    return None


def locate_one(doc: Doc[Any], start: bytes, end: bytes) -> Where | None:
    """`locate_all` for one passage."""
    return locate_all(doc, [(start, end)])[0]


def _starts(strings: Sequence[str]) -> list[int]:
    """Where each node's text starts in the joined text."""
    starts, at = [], 0
    for string in strings:
        starts.append(at)
        at += len(string) + 1
    return starts


def _spots(copy: Doc[Any], positions: list[StickyIndex | None]) -> list[tuple[int, int] | None]:
    """(node number, code point offset) of each position in `copy`'s text nodes; None for one
    that stands in none of them. A start (Assoc.AFTER) gives its character's offset, an end
    (Assoc.BEFORE) the offset just after its character."""
    nodes = text_nodes(copy)
    numbers = _node_numbers(copy, nodes, positions)
    spots: list[tuple[int, int] | None] = []
    strings = [node_string(node) for node in nodes]
    for position, number in zip(positions, numbers, strict=True):
        if position is None or number is None:
            spots.append(None)
            continue
        spots.append((number, _settled(copy, nodes[number], strings[number], position)))
    return spots


def _offset(copy: Doc[Any], position: StickyIndex) -> int | None:
    try:
        with copy.transaction() as txn:
            return position.get_index(txn)
    except Exception:  # pycrdt raises when yrs finds no offset (an item garbage-collected)
        return None


def _node_numbers(
    copy: Doc[Any], nodes: list[Node], positions: list[StickyIndex | None]
) -> list[int | None]:
    """Which node each position is in: in round b a mark goes at the start of every node whose
    number plus one has bit b set; a position whose index moves has that bit. The marks are
    deleted again (tombstones count for nothing)."""
    codes = [0] * len(positions)
    last = [None if p is None else _offset(copy, p) for p in positions]
    marks = [0] * len(nodes)
    for bit in range(len(nodes).bit_length()):
        with copy.transaction():
            for number, node in enumerate(nodes):
                if (number + 1) >> bit & 1:
                    node.insert(0, _MARK)
                    marks[number] += 1
        now = [None if p is None else _offset(copy, p) for p in positions]
        for n, (before, after) in enumerate(zip(last, now, strict=True)):
            if before is not None and after is not None and after > before:
                codes[n] |= 1 << bit
        last = now
    with copy.transaction():
        for number, node in enumerate(nodes):
            if marks[number]:
                del node[0 : marks[number]]
    return [code - 1 if 1 <= code <= len(nodes) else None for code in codes]


def _settled(copy: Doc[Any], node: Node, current: str, position: StickyIndex) -> int:
    """The code point offset `position` names in `node` (whose text is `current`)."""
    before = position.assoc == Assoc.BEFORE
    index = -1
    for _ in range(_MAX_SETTLING):
        offset = _offset(copy, position) or 0
        if current.isascii():
            return min(offset, len(current))
        found = (
            (_code_point_at(current, offset - 1) + 1 if offset > 0 else 0)
            if before
            else _code_point_at(current, offset)
        )
        if found == index:
            break
        index = found
        with copy.transaction():
            for left in (index - 1, index):
                if 0 <= left < len(current):
                    node.format(utf8(current, left), utf8(current, left + 1), {_SPLIT: True})
    return index


# ---------------------------------------------------------------- making anchors


def anchor_nodes(doc: Doc[Any], index: int, length: int) -> Anchors:
    """Anchors for the `length` code points from `index` of the document's joined text, made
    from the Yjs ids of the passage's first and last characters. Works for both kinds; the
    passage's ends must be characters, not the newline between two nodes."""
    copy = copy_of(doc)
    nodes = text_nodes(copy)
    strings = [node_string(node) for node in nodes]
    text = joined(strings)
    if length < 1 or index < 0 or index + length > len(text):
        raise InvalidRequest(
            f"the passage of {length} at {index} is not inside the text (length {len(text)}): "
            "give an index and a length of at least 1 within it"
        )
    starts = _starts(strings)
    first, last = _node_at(starts, strings, index), _node_at(starts, strings, index + length - 1)
    if first is None or last is None:
        raise InvalidRequest(
            "the passage must start and end on a character of the text, not on the break "
            "between two paragraphs"
        )
    # The end first: deleting the start's character would move it if they share a node.
    end_id = _char_id(copy, nodes[last[0]], last[1])
    start_id = end_id if (first == last) else _char_id(copy, nodes[first[0]], first[1])
    start = StickyIndex.from_json(
        {"item": {"client": start_id[0], "clock": start_id[1]}, "assoc": 0}
    )
    end = StickyIndex.from_json(
        {"item": {"client": end_id[0], "clock": end_id[1] + end_id[2] - 1}, "assoc": -1}
    )
    return Anchors(start.encode(), end.encode(), text[index : index + length])


def _node_at(starts: list[int], strings: list[str], index: int) -> tuple[int, int] | None:
    for number, (begin, string) in enumerate(zip(starts, strings, strict=True)):
        if begin <= index < begin + len(string):
            return number, index - begin
    return None


def _char_id(copy: Doc[Any], node: Node, offset: int) -> tuple[int, int, int]:
    """The Yjs id (client, clock, UTF-16 length) of the character at code point `offset` of
    `node`: what deleting it adds to the copy's delete set. The copy loses that character."""
    current = node_string(node)
    before = _deletes(copy)
    del node[utf8(current, offset) : utf8(current, offset + 1)]
    for client, ranges in _deletes(copy).items():
        old = sorted(before.get(client, []))
        for clock, length in ranges:
            if (clock, length) not in old:
                fresh = _first_gap(clock, clock + length, old)
                if fresh is not None:
                    return client, fresh[0], fresh[1] - fresh[0]
    raise InvalidRequest("the passage's characters could not be found in the document")


def _first_gap(begin: int, end: int, old: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The first run of clocks in [begin, end) that none of the sorted `old` ranges covers."""
    spot = begin
    for clock, length in old:
        if clock + length <= spot:
            continue
        if clock > spot:
            return spot, min(clock, end)
        spot = clock + length
        if spot >= end:
            return None
    return (spot, end) if spot < end else None


def _deletes(copy: Doc[Any]) -> dict[int, list[tuple[int, int]]]:
    """The copy's delete set (an update for the state it has: no structs, every deletion)."""
    return parse_update(copy.get_update(copy.get_state()), _DEPTH).deletes


def utf8(text: str, index: int) -> int:
    """The UTF-8 byte offset of code point `index` of `text`."""
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _code_point_at(text: str, offset: int) -> int:
    """The code point whose UTF-8 bytes hold `offset` of `text` (the one it starts)."""
    consumed = 0
    for position, char in enumerate(text):
        consumed += len(char.encode("utf-8", "surrogatepass"))
        if consumed > offset:
            return position
    return len(text)


# ---------------------------------------------------------------- points (insertions)


def point_nodes(doc: Doc[Any], index: int) -> bytes:
    """A Yjs relative position for the place `index` of the document's joined text (between
    two characters, or at the start or end of a text node): made on the character before it
    (assoc -1), or, at the start of a node, on the node's first character (assoc 0), so text
    typed on either side leaves it where it was. 422 outside the text, or in an empty node
    (a position naming a character is needed, and an empty node holds none)."""
    copy = copy_of(doc)
    nodes = text_nodes(copy)
    strings = [node_string(node) for node in nodes]
    text = joined(strings)
    if index < 0 or index > len(text):
        raise InvalidRequest(
            f"the point {index} is not inside the text (length {len(text)}): give an index "
            "from 0 to the text's length"
        )
    starts = _starts(strings)
    number = next(
        n for n, (b, s) in enumerate(zip(starts, strings, strict=True)) if b <= index <= b + len(s)
    )
    offset = index - starts[number]
    if offset > 0:
        client, clock, size = _char_id(copy, nodes[number], offset - 1)
        item = {"client": client, "clock": clock + size - 1}
        return StickyIndex.from_json({"item": item, "assoc": -1}).encode()
    if not strings[number]:
        found = _node_id(copy, nodes[number])
        if found is None:
            if isinstance(nodes[number], Text):
                # As Yjs makes one in an empty root Y.Text: the root's name, assoc 0.
                name = content_root(copy).encode("utf-8")
                return b"\x01" + write_var_uint(len(name)) + name + b"\x00"
            raise InvalidRequest(
                "the point is in an empty document: an insertion needs a paragraph (or some "
                "text) to hold its place; type something first"
            )
        # As Yjs makes one in an empty Y.XmlText: the type's own id, assoc 0.
        return b"\x02" + write_var_uint(found[0]) + write_var_uint(found[1]) + b"\x00"
    client, clock, _ = _char_id(copy, nodes[number], 0)
    return StickyIndex.from_json({"item": {"client": client, "clock": clock}, "assoc": 0}).encode()


def locate_points(doc: Doc[Any], points: Sequence[bytes]) -> list[int | None]:
    """Where each point (an encoded relative position) stands in `doc`'s joined text now, the
    character it names deleted or not; None for one that names nothing this document's text
    holds (never did, or its node was removed). One copy for them all."""
    copy = copy_of(doc)
    holdings = _Holdings(copy)
    positions: list[StickyIndex | None] = []
    types: dict[int, tuple[int, int, int]] = {}
    roots: dict[int, tuple[str, int]] = {}
    for n, data in enumerate(points):
        position: StickyIndex | None = None
        in_type = _type_position(data)
        in_root = _root_position(data) if in_type is None else None
        if in_type is not None:
            types[n] = in_type
        elif in_root is not None:
            roots[n] = in_root
        else:
            try:
                position = decode_position(data, "at")
            except InvalidRequest:
                position = None
        positions.append(position if position is not None and holdings.holds(position) else None)
    strings = [node_string(node) for node in text_nodes(copy)]
    starts = _starts(strings)
    found = [
        None if spot is None else starts[spot[0]] + spot[1] for spot in _spots(copy, positions)
    ]
    # A point naming a type stands where Yjs puts it: at the type's end, or with a negative
    # assoc at its start (createAbsolutePositionFromRelativePosition).
    plain, root = content_kind(copy) != RICH, content_root(copy)
    if types:  # the last use of the copy: this takes its nodes away
        places = _type_places(copy, [(c, k) for c, k, _ in types.values()])
        for (n, (_, _, assoc)), place in zip(types.items(), places, strict=True):
            if place is not None:
                found[n] = place.index(starts, strings, assoc)
    for n, (name, assoc) in roots.items():
        if plain and name == root:
            found[n] = len(strings[0]) if assoc >= 0 else 0
    return found


def check_point(data: bytes, what: str) -> None:
    """InvalidRequest unless `data` is an insertion's point: a relative position naming a
    character, or (in an empty paragraph) a type by its id, or (in an empty plain text) a
    root type by its name."""
    if _type_position(data) is None and _root_position(data) is None:
        decode_position(data, what)


def _root_position(data: bytes) -> tuple[str, int] | None:
    """(name, assoc) of a relative position naming a root type (what Yjs makes in an empty
    root Y.Text), else None."""
    reader = Reader(data)
    try:
        if reader.read_var_uint() != 1:
            return None
        name = reader.read_var_string()
        assoc = reader.read_var_int() if reader.remaining else 0
        reader.expect_end()
    except MalformedMessage:
        return None
    return name, assoc


def _type_position(data: bytes) -> tuple[int, int, int] | None:
    """(client, clock, assoc) of a relative position naming a type by its id (what Yjs makes
    in an empty Y.XmlText: an empty paragraph), else None."""
    reader = Reader(data)
    try:
        if reader.read_var_uint() != 2:
            return None
        client, clock = reader.read_var_uint(), reader.read_var_uint()
        assoc = reader.read_var_int() if reader.remaining else 0
        reader.expect_end()
    except MalformedMessage:
        return None
    return client, clock, assoc


@dataclass(frozen=True, slots=True)
class _TypePlace:
    """A type an insertion's point names: a text node (its number), or a block holding inline
    text (its path of child indexes from the content root; an empty paragraph, into which
    y-prosemirror writes no text node), with the text nodes before and inside it."""

    number: int | None
    block: tuple[int, ...] | None
    before: int
    within: int

    def index(self, starts: list[int], strings: list[str], assoc: int) -> int:
        """Where the point stands in the joined text: as Yjs resolves it, at the type's end
        (its start with a negative assoc). An empty block's point stands where the text
        before it ends (a block with no text node adds nothing to the joined text)."""
        if self.number is not None:
            return starts[self.number] + (len(strings[self.number]) if assoc >= 0 else 0)
        if self.within and assoc < 0:
            return starts[self.before]
        last = self.before + self.within - 1
        return starts[last] + len(strings[last]) if last >= 0 else 0


def _type_places(copy: Doc[Any], ids: list[tuple[int, int]]) -> list[_TypePlace | None]:
    """Which text node, or block holding inline text, each Yjs type id is (None: neither, or
    an id that is not a type's, as a character's): every node of `copy` (a copy the caller
    has done with: it loses its nodes) is removed in turn, each after all it holds and the
    siblings before it (so it is always its parent's first child), and the type id one
    removal deletes is that node's own."""
    if content_kind(copy) != RICH:
        return [None] * len(ids)
    types = {
        (i.client, i.clock)
        for i in parse_update(copy.get_update(), _STORED_DEPTH).items
        if i.is_type
    }
    order: list[tuple[XmlElement | XmlFragment, _TypePlace | None]] = []
    count = 0

    def walk(parent: XmlElement | XmlFragment, path: tuple[int, ...]) -> None:
        nonlocal count
        for n, child in enumerate(parent.children):
            if isinstance(child, XmlText):
                order.append((parent, _TypePlace(count, None, count, 0)))
                count += 1
            elif isinstance(child, XmlElement):
                before = count
                walk(child, (*path, n))
                block = (*path, n) if child.tag in TEXT_BLOCKS else None
                place = _TypePlace(None, block, before, count - before) if block else None
                order.append((parent, place))
            else:  # anything else y-prosemirror never writes: removed in its turn all the same
                order.append((parent, None))

    walk(copy.get(content_root(copy), type=XmlFragment), ())
    found: list[_TypePlace | None] = [None] * len(ids)
    missing = {n for n, given in enumerate(ids) if given in types}
    updates: list[bytes] = []
    subscription = copy.observe(lambda event: updates.append(event.update))
    try:
        for parent, place in order:
            if not missing:
                break
            del parent.children[0]
            deletes = parse_update(updates.pop(), _DEPTH).deletes
            for n in list(missing):
                client, clock = ids[n]
                if any(c <= clock < c + k for c, k in deletes.get(client, ())):
                    found[n] = place
                    missing.discard(n)
    finally:
        copy.unobserve(subscription)
    return found


def locate_insertion(doc: Doc[Any], point: bytes) -> tuple[int | None, XmlElement | None]:
    """Where an insertion's point stands in `doc`'s joined text now (as `locate_points`), and,
    when it names a block holding inline text rather than a character or a text node (what
    the editor makes in a paragraph y-prosemirror left without a text node), that block of
    `doc` itself; one pass over the document for both."""
    typed = _type_position(point)
    if typed is None or content_kind(doc) != RICH:
        [index] = locate_points(doc, [point])
        return index, None
    [place] = _type_places(copy_of(doc), [typed[:2]])
    if place is None:
        return None, None
    strings = [node_string(node) for node in text_nodes(doc)]
    index = place.index(_starts(strings), strings, typed[2])
    if place.block is None:
        return index, None
    node: Any = doc.get(content_root(doc), type=XmlFragment)
    for number in place.block:
        node = node.children[number]
    return index, node if isinstance(node, XmlElement) else None


def _node_id(copy: Doc[Any], node: Node) -> tuple[int, int] | None:
    """The Yjs id (client, clock) of an EMPTY XmlText node of `copy` (removing it deletes
    nothing else), which the copy loses; None for a plain text (a root has no id)."""
    gone = _removed(copy, node)
    return (gone[0][0], gone[0][1]) if gone else None


def _removed(copy: Doc[Any], node: Node) -> list[tuple[int, int, int]]:
    """Remove an XmlText node from its parent in `copy`: the (client, first, past last) clock
    ranges that adds to the copy's delete set (the node's own item and its text's)."""
    parent = node.parent if isinstance(node, XmlText) else None
    if not isinstance(parent, XmlElement | XmlFragment):
        return []
    place = next((n for n, child in enumerate(parent.children) if child == node), None)
    if place is None:
        return []
    before = _deletes(copy)
    del parent.children[place]
    gone = []
    for client, ranges in _deletes(copy).items():
        old = sorted(before.get(client, []))
        for clock, length in ranges:
            spot, end = clock, clock + length
            while spot < end and (fresh := _first_gap(spot, end, old)) is not None:
                if fresh[1] > fresh[0]:
                    gone.append((client, fresh[0], fresh[1]))
                spot = max(fresh[1], spot + 1)
    return gone
