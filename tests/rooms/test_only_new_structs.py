"""Only updates that add nothing but new structs are merged with their neighbours into one log
row and one frame: one that re-sends or claims structs the room has stays on its own."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Text

from collab.protocol.yupdate import parse_state_vector, parse_update
from collab.rooms.room import only_new_structs


def _doc(client_id: int, text: str) -> Doc[Any]:
    doc: Doc[Any] = Doc(client_id=client_id)
    doc.get("content", type=Text).insert(0, text)
    return doc


def test_new_structs_merge_and_known_ones_do_not() -> None:
    room = _doc(7, "hello")
    known = parse_state_vector(room.get_state())
    typed: Doc[Any] = Doc(client_id=7)
    typed.apply_update(room.get_update())
    state = typed.get_state()
    typed.get("content", type=Text).insert(5, "!")
    assert only_new_structs(parse_update(typed.get_update(state), 64), known)
    # A reconnecting client's SyncStep2 (everything again) and a forged struct with a known id.
    assert not only_new_structs(parse_update(typed.get_update(), 64), known)
    assert not only_new_structs(parse_update(_doc(7, "fake!").get_update(), 64), known)
    # Another client's text, and a deletion only, are new.
    assert only_new_structs(parse_update(_doc(9, "other").get_update(), 64), known)
    deleting: Doc[Any] = Doc(client_id=7)
    deleting.apply_update(room.get_update())
    state = deleting.get_state()
    del deleting.get("content", type=Text)[0:2]
    assert only_new_structs(parse_update(deleting.get_update(state), 64), known)
