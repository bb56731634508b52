"""The validator's fast path for simple edits (protocol/yupdate.py, `simple_update`) reads only
what the full walk reads the same way: for every input it either declines (None) or gives
exactly the walk's result, and never accepts what the walk refuses. Its inputs here are real
edits (keystrokes, pastes, backspaces, typing over a selection, a map's entry set, written by
yrs and in Yjs' own encoding of integers) as they are and with bytes changed, cut or added."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Map, Text

from collab.protocol.encoding import write_var_uint
from collab.protocol.yupdate import (
    UpdateRefused,
    parse_update,
    simple_update,
    walk_update,
)
from tests.protocol.yupdates import check_fast_path

CLIENTS = [1, 127, 128, 2**31 - 1, 2**32 - 1, 2**40, 2**53 - 1]


def _typed(client: int, before: str, at: int, text: str, then_delete: int = 0) -> bytes:
    """The update of typing `text` at character `at` into a text that holds `before` (then
    deleting its first `then_delete` characters). pycrdt's Text counts UTF-8 bytes."""
    doc: Doc[Any] = Doc(client_id=client)
    content = doc.get("content", type=Text)
    if before:
        content.insert(0, before)
    state = doc.get_state()
    if text:
        content.insert(len(before[:at].encode()), text)
    if then_delete:
        del content[0 : len(before[:then_delete].encode())]
    return doc.get_update(state)


def _set(client: int, values: list[Any]) -> bytes:
    """The update of setting a map's entry to the last of `values` (after the others)."""
    doc: Doc[Any] = Doc(client_id=client)
    entries = doc.get("m", type=Map)
    for value in values[:-1]:
        entries["key"] = value
    state = doc.get_state()
    entries["key"] = values[-1]
    return doc.get_update(state)


def _yjs_int_set(client: int, clock: int, origin_clock: int, value: int) -> bytes:
    """A map entry set as Yjs writes it for an integer (lib0 tag 125, a signed varint): one item
    after the entry it replaces, which the delete set deletes."""
    magnitude = abs(value)
    first = (magnitude & 0x3F) | (0x40 if value < 0 else 0)
    rest = magnitude >> 6
    number = bytearray()
    number.append(first | (0x80 if rest else 0))
    while rest:
        number.append((rest & 0x7F) | (0x80 if rest >> 7 else 0))
        rest >>= 7
    head = b"\x01\x01" + write_var_uint(client) + write_var_uint(clock)
    item = bytes([0xA8]) + write_var_uint(client) + write_var_uint(origin_clock)
    content = b"\x01\x7d" + bytes(number)
    deletes = b"\x01" + write_var_uint(client) + b"\x01" + write_var_uint(origin_clock) + b"\x01"
    return head + item + content + deletes


values = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(alphabet="ab😀é\x00", max_size=20),
    st.booleans(),
    st.none(),
    st.lists(st.integers(0, 9), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(0, 9), max_size=2),
)


@st.composite
def edits(draw: st.DrawFn) -> bytes:
    """A real edit of some client, as is or with bytes changed, cut or added."""
    client = draw(st.sampled_from(CLIENTS))
    shape = draw(st.sampled_from(["typed", "typed over", "backspace", "set", "yjs set"]))
    if shape == "set":
        update = _set(client, draw(st.lists(values, min_size=1, max_size=3)))
    elif shape == "yjs set":
        clock = draw(st.integers(0, 2**33))
        value = draw(st.integers(-(2**70), 2**70))
        update = _yjs_int_set(client, clock, draw(st.integers(0, 2**33)), value)
    else:
        before = draw(st.text(alphabet="ab😀é—", min_size=1, max_size=200))
        text = "" if shape == "backspace" else draw(st.text(min_size=1, max_size=20))
        deleted = 0 if shape == "typed" else draw(st.integers(1, len(before)))
        # Typed after the deleted characters, so what is typed is not what is deleted.
        at = draw(st.integers(deleted, 200))
        update = _typed(client, before, at, text, deleted)
    mutation = draw(st.sampled_from(["none", "flip", "cut", "insert"]))
    if mutation == "none" or len(update) < 2:
        return update
    at = draw(st.integers(0, len(update) - 1))
    if mutation == "flip":
        return update[:at] + bytes([draw(st.integers(0, 255))]) + update[at + 1 :]
    if mutation == "cut":
        return update[:at] + update[at + 1 :]
    return update[:at] + bytes([draw(st.integers(0, 255))]) + update[at:]


@settings(max_examples=3000, deadline=None)
@given(edits())
def test_the_fast_path_agrees_with_the_full_walk(update: bytes) -> None:
    check_fast_path(update)


def test_the_edits_people_make_take_the_fast_path() -> None:
    taken = {
        "keystroke": _typed(2**32 - 1, "hello", 5, "!"),
        "paste beyond ASCII": _typed(7, "hello", 2, "é—ü"),
        "backspace": _typed(7, "hello", 5, "", then_delete=1),
        "typed over a selection": _typed(7, "hello", 5, "J", then_delete=1),
        "a map entry set (yrs)": _set(7, [1, 2]),
        "a string entry set": _set(7, ["a", "b"]),
        "a map entry set (Yjs)": _yjs_int_set(2**32 - 1, 12, 11, -300),
    }
    for name, update in taken.items():
        fast = simple_update(update)
        assert fast is not None, name
        assert fast == walk_update(update, 64), name
        assert parse_update(update, 64) == fast, name
    assert simple_update(taken["backspace"]).deletes == {7: [(0, 1)]}  # type: ignore[union-attr]
    # Surrogate pairs are the walk's to note; a first item is placed by its parent (a root's
    # name); a nested value has its depth counted by the walk; an entry's first set has no origin.
    declined = {
        "astral": _typed(7, "hello", 5, "😀"),
        "first item": _typed(7, "", 0, "first"),
        "nested value": _set(7, [1, [1, [2]]]),
        "first entry": _set(7, [1]),
    }
    for name, update in declined.items():
        assert simple_update(update) is None, name
        assert parse_update(update, 64) == walk_update(update, 64), name


def test_clocks_past_32_bits_are_refused_on_either_path() -> None:
    # One item of "x" by client 5 at clock 3, its origin or right origin at clock 2**33; then
    # a deletion of a range past 32 bits.
    far = write_var_uint(2**33)
    updates = [
        bytes([1, 1, 5, 3, info]) + origins + b"\x01x\x00"
        for info, origins in (
            (0x84, b"\x05" + far),
            (0x44, b"\x05" + far),
            (0xC4, b"\x05\x02\x05" + far),
        )
    ]
    updates.append(b"\x00\x01\x05\x01" + far + b"\x01")
    updates.append(b"\x00\x01\x05\x01\x01" + write_var_uint(2**32 - 1))
    updates.append(_yjs_int_set(5, 2**32 - 1, 3, 1))
    for update in updates:
        assert simple_update(update) is None
        try:
            walk_update(update, 64)
        except UpdateRefused as error:
            assert "32 bits" in str(error)
        else:
            raise AssertionError("the walk took a clock past 32 bits")
