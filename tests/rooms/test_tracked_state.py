"""A live document's state vector is kept from the updates it takes (content/encodings.py,
`integrated_state`) instead of being read from yrs after each one. Whatever updates arrive, in
whatever order, duplicated, or leaving structs pending, the kept vector is the one yrs has, or
the room asks yrs (None): never a vector that differs."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map, Text, XmlElement, XmlFragment, XmlText

from collab.content.encodings import DocEncodings, integrated_state
from collab.content.pending import PendingStructs
from collab.protocol.yupdate import parse_state_vector, parse_update
from tests.rooms.test_pending_structs import FILLS_IN, LEAVES_PENDING


def _edit(doc: Doc[Any], rng: random.Random) -> None:
    """One random edit of the kinds editors make: text typed or deleted, a map key set, a
    paragraph with text added to an XML fragment, an array grown."""
    text = doc.get("content", type=Text)
    choice = rng.randrange(5)
    if choice == 0 or not len(text):
        text.insert(rng.randint(0, len(text)), "abcdefgh"[: rng.randint(1, 8)])
    elif choice == 1:
        start = rng.randrange(len(text))
        del text[start : min(len(text), start + rng.randint(1, 3))]
    elif choice == 2:
        doc.get("meta", type=Map)[f"k{rng.randrange(4)}"] = rng.randrange(100)
    elif choice == 3:
        paragraph = doc.get("rich", type=XmlFragment).children.append(XmlElement("p"))
        paragraph.children.append(XmlText("para"))
    else:
        doc.get("list", type=Array).append(rng.randrange(10))


def _updates(seed: int, clients: int, edits: int) -> list[bytes]:
    """The updates of `clients` peers editing one document, each seeing the others' updates
    now and then (so their edits name each other's items)."""
    rng = random.Random(seed)
    docs: list[Doc[Any]] = [Doc(client_id=100 + n) for n in range(clients)]
    produced: list[bytes] = []
    for _ in range(edits):
        doc = docs[rng.randrange(clients)]
        before = doc.get_state()
        _edit(doc, rng)
        update = doc.get_update(before)
        produced.append(update)
        if rng.random() < 0.5:
            other = docs[rng.randrange(clients)]
            other.apply_update(doc.get_update(other.get_state()))
    return produced


def _check_delivery(updates: list[bytes]) -> int:
    """Apply `updates` in order as a room does; after each, the kept state vector (when kept)
    is yrs's. Returns how many were kept without asking yrs."""
    doc: Doc[Any] = Doc()
    encodings = DocEncodings(doc)
    pending = PendingStructs()
    kept = 0
    for update in updates:
        parsed = parse_update(update, 64)
        before = encodings.state()
        settled = not pending.held
        doc.apply_update(update)
        encodings.applied(parsed, before, settled=settled)
        if settled and integrated_state(parsed, before) is not None:
            kept += 1
        actual = parse_state_vector(doc.get_state())
        assert encodings.state() == actual
        pending.applied(parsed, actual)
    return kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    clients=st.integers(1, 4),
    edits=st.integers(1, 30),
    order=st.sampled_from(["in order", "shuffled", "with repeats", "merged pairs"]),
)
def test_the_kept_state_vector_is_the_one_yrs_has(
    seed: int, clients: int, edits: int, order: str
) -> None:
    updates = _updates(seed, clients, edits)
    rng = random.Random(seed)
    if order == "shuffled":
        rng.shuffle(updates)
    elif order == "with repeats":
        updates = [u for update in updates for u in ([update] * rng.randint(1, 2))]
    elif order == "merged pairs":
        merged: Doc[Any] = Doc()
        # A peer's SyncStep2: several clients' structs in one update.
        for update in updates[: len(updates) // 2]:
            merged.apply_update(update)
        updates = [merged.get_update(), *updates[len(updates) // 2 :]]
    _check_delivery(updates)


def test_one_writer_typing_in_order_keeps_the_vector_every_time() -> None:
    # The case the fast path is for: each keystroke of one client, in order.
    updates = _updates(7, 1, 40)
    assert _check_delivery(updates) == len(updates)


def test_structs_naming_a_missing_item_are_not_kept_and_pending_ones_ask_yrs() -> None:
    # An origin of a client the document lacks: yrs holds the struct back, and so while any
    # struct waits, the vector is read from yrs until they are integrated.
    assert integrated_state(parse_update(LEAVES_PENDING, 64), {}) is None
    _check_delivery([LEAVES_PENDING, FILLS_IN, *_updates(3, 2, 10)])


def test_a_cycle_between_two_clients_new_items_asks_yrs() -> None:
    # Two clients' new items naming each other: each names an item the document lacks.
    a: Doc[Any] = Doc(client_id=1)
    b: Doc[Any] = Doc(client_id=2)
    a.get("content", type=Text).insert(0, "aa")
    b.apply_update(a.get_update())
    b.get("content", type=Text).insert(1, "b")
    both: Doc[Any] = Doc()
    both.apply_update(a.get_update())
    both.apply_update(b.get_update())
    parsed = parse_update(both.get_update(), 64)
    assert integrated_state(parsed, {}) is None
    assert integrated_state(parsed, {1: 2}) == {1: 2, 2: 1}
