"""The validator's fast path for typed text (protocol/yupdate.py, `typed_text_update`) reads
only what the full walk reads the same way: for every input it either declines (None) or gives
exactly the walk's result, and never accepts what the walk refuses."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Text

from collab.protocol.encoding import write_var_uint
from collab.protocol.yupdate import (
    UpdateRefused,
    parse_update,
    typed_text_update,
    walk_update,
)


def _typed(client: int, before: str, at: int, text: str, then_delete: int = 0) -> bytes:
    """The update of typing `text` at `at` into a text that holds `before` (then deleting its
    first `then_delete` characters)."""
    doc: Doc[Any] = Doc(client_id=client)
    content = doc.get("content", type=Text)
    if before:
        content.insert(0, before)
    state = doc.get_state()
    content.insert(min(at, len(before)), text)
    if then_delete:
        del content[0:then_delete]
    return doc.get_update(state)


@st.composite
def updates(draw: st.DrawFn) -> bytes:
    """A keystroke or paste of some client, as is or with bytes changed, cut or added."""
    client = draw(st.sampled_from([1, 127, 128, 2**31 - 1, 2**32 - 1, 2**40, 2**53 - 1]))
    before = draw(st.text(alphabet="ab😀é", max_size=200))
    text = draw(st.text(min_size=1, max_size=20))
    update = _typed(client, before, draw(st.integers(0, 200)), text)
    mutation = draw(st.sampled_from(["none", "flip", "cut", "insert"]))
    if mutation == "none" or len(update) < 2:
        return update
    at = draw(st.integers(0, len(update) - 1))
    if mutation == "flip":
        return update[:at] + bytes([draw(st.integers(0, 255))]) + update[at + 1 :]
    if mutation == "cut":
        return update[:at] + update[at + 1 :]
    return update[:at] + bytes([draw(st.integers(0, 255))]) + update[at:]


@settings(max_examples=1500, deadline=None)
@given(updates())
def test_the_fast_path_agrees_with_the_full_walk(update: bytes) -> None:
    fast = typed_text_update(update)
    if fast is None:
        return
    try:
        walked = walk_update(update, 64)
    except UpdateRefused as error:
        raise AssertionError(f"the fast path took what the walk refuses: {error}") from None
    assert fast == walked


def test_a_keystroke_takes_the_fast_path_and_the_rest_do_not() -> None:
    keystroke = _typed(2**32 - 1, "hello", 5, "!")
    assert typed_text_update(keystroke) == walk_update(keystroke, 64)
    assert typed_text_update(keystroke) is not None
    # Beyond ASCII (surrogate pairs are the walk's to note), a first item placed by its parent,
    # and an update with a deletion take the full walk.
    assert typed_text_update(_typed(7, "hello", 5, "😀")) is None
    assert typed_text_update(_typed(7, "", 0, "first")) is None
    typed_and_deleted = _typed(7, "hello", 5, "!", then_delete=1)
    assert typed_text_update(typed_and_deleted) is None
    assert parse_update(typed_and_deleted, 64) == walk_update(typed_and_deleted, 64)


def test_clocks_past_32_bits_are_refused_on_either_path() -> None:
    # One item of "x" by client 5 at clock 3, its origin or right origin at clock 2**33.
    far = write_var_uint(2**33)
    for info, origins in (
        (0x84, b"\x05" + far),
        (0x44, b"\x05" + far),
        (0xC4, b"\x05\x02\x05" + far),
    ):
        update = bytes([1, 1, 5, 3, info]) + origins + b"\x01x\x00"
        assert typed_text_update(update) is None
        try:
            walk_update(update, 64)
        except UpdateRefused as error:
            assert "32 bits" in str(error)
        else:
            raise AssertionError("the walk took a clock past 32 bits")
