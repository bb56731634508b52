"""Honest clients reconnecting after typing offline are never refused by the room's pending
rule (content/pending.py), and the document they make is the one its encoding reproduces.

Each trial: a few clients share a document, type offline (now and then passing their updates
to one another directly, as tabs of one browser do), then reconnect at once. Each sends the
keystrokes it makes meanwhile as they come and its SyncStep2 (what it holds past the server's
state) somewhere among them; the server receives the clients' streams interleaved at random,
every update checked by a real `PendingStructs` and applied by pycrdt, as a room does."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pycrdt import Doc, Text

from collab.content.pending import GapBesidePending, PendingStructs
from collab.protocol.yupdate import parse_state_vector, parse_update


class _Client:
    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.doc: Doc[Any] = Doc()
        self.text = self.doc.get("content", type=Text)
        self.made: list[bytes] = []
        self.doc.observe(lambda event: self.made.append(event.update))

    def edit(self) -> None:
        """Insert a word, or delete a character or two, somewhere."""
        size = len(self.text)
        if size and self.rnd.random() < 0.25:
            at = self.rnd.randrange(size)
            del self.text[at : min(size, at + self.rnd.randrange(1, 3))]
        else:
            self.text.insert(self.rnd.randrange(size + 1), self.rnd.choice(["a", "bc", "xyz"]))

    def catch_up_with(self, other: Doc[Any]) -> None:
        self.doc.apply_update(other.get_update(self.doc.get_state()))


def _reconnect_trial(seed: int) -> None:
    rnd = random.Random(seed)
    server: Doc[Any] = Doc()
    served = server.get("content", type=Text)
    clients = [_Client(rnd) for _ in range(rnd.randrange(2, 5))]
    for client in clients:
        client.edit()
        server.apply_update(client.doc.get_update(server.get_state()))
    for client in clients:
        client.catch_up_with(server)
    known = server.get_state()
    for _ in range(rnd.randrange(3, 25)):  # offline
        rnd.choice(clients).edit()
        if rnd.random() < 0.3:
            giver, taker = rnd.sample(clients, 2)
            taker.catch_up_with(giver.doc)
    streams = []
    for client in clients:  # back: keystrokes as they come, the SyncStep2 among them
        made = len(client.made)
        for _ in range(rnd.randrange(1, 6)):
            client.edit()
        live = client.made[made:]
        at = rnd.randrange(len(live) + 1)
        streams.append([*live[:at], client.doc.get_update(known), *live[at:]])
    pending = PendingStructs()
    while any(streams):
        update = rnd.choice([s for s in streams if s]).pop(0)
        parsed = parse_update(update, 64)
        try:
            pending.check(parsed, parse_state_vector(server.get_state()))
        except GapBesidePending as refused:
            pytest.fail(f"seed {seed}: an honest client was refused: {refused}")
        server.apply_update(update)
        pending.applied(parsed, parse_state_vector(server.get_state()))
    assert not pending.held, f"seed {seed}: structs still pending"
    for client in clients:
        client.catch_up_with(server)
    copy: Doc[Any] = Doc()
    copy.apply_update(server.get_update())
    texts = {str(served), str(copy.get("content", type=Text))}
    texts |= {str(client.text) for client in clients}
    assert len(texts) == 1, f"seed {seed}: {texts}"


def test_honest_clients_reconnecting_together_are_never_refused_and_agree() -> None:
    for seed in range(400):
        _reconnect_trial(seed)
