"""A room refuses an update that skips a client's clocks while structs wait in the document
(content/pending.py): yrs would integrate part of it out of order, and every newcomer would
then see another text than the peers that were connected.

The three updates are the ones the endpoint fuzz test (tests/fuzz/test_fuzz.py) found: mutated
copies of one client's 'hello there fuzz'. The first leaves structs pending (an origin of a
client nobody knows), the second starts its structs at clock 59 of a client the room holds up
to 2, the third brings clocks 0 to 10 and another pending struct."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Text

from collab.protocol.messages import encode_sync_step2, encode_update
from collab.protocol.yupdate import parse_update
from tests.server import ServerProcess
from tests.yclient import YClient

LEAVES_PENDING = bytes.fromhex(
    "01040700010107636f6e74656e7402840b07036c6c6f840704052066757a2dc4070407050620746865726501"
    "07010002"
)
SKIPS_CLOCKS = bytes.fromhex(
    "0104073b010107636f6e74656e7402840701036c6c6f840704052066757a7ac4070407050620746865726501"
    "07010002"
)
FILLS_IN = bytes.fromhex(
    "01040700010107636f6e74656e7402840701036c6c6f840704052066757a7ac4140407050620746865726501"
    "07010002"
)


def test_the_updates_are_what_the_docstring_says() -> None:
    assert [(item.clock, item.origin) for item in parse_update(LEAVES_PENDING, 64).items][1] == (
        2,
        (11, 7),
    )
    assert parse_update(SKIPS_CLOCKS, 64).runs == [(7, 59)]
    # Applied in order by yrs, the three leave a document that its own encoding does not
    # reproduce: the reason the room refuses the second.
    doc: Doc[Any] = Doc()
    for update in (LEAVES_PENDING, SKIPS_CLOCKS, FILLS_IN):
        doc.apply_update(update)
    copy: Doc[Any] = Doc()
    copy.apply_update(doc.get_update())
    assert str(doc.get("content", type=Text)) != str(copy.get("content", type=Text))


async def test_a_gap_beside_pending_structs_is_refused_and_every_peer_agrees(
    server: ServerProcess,
) -> None:
    async with YClient(server.ws_url, "pending", ack=True, client_id=8) as keeper:
        keeper.append("hello fuzz")
        await keeper.wait_for(lambda: keeper.acked == 2)  # its SyncStep2 and its text
        own = keeper.doc.get_update()
        async with YClient(server.ws_url, "pending", ack=True) as sender:
            await sender.synced.wait()
            await sender.send_raw(encode_update(LEAVES_PENDING))
            await sender.wait_for(lambda: sender.acked == 2)
        async with YClient(server.ws_url, "pending", ack=True) as forger:
            await forger.synced.wait()
            await forger.send_raw(encode_update(SKIPS_CLOCKS))
            code, reason = await forger.wait_closed()
        assert code == 1007
        assert "start at clock 59" in reason and "up to 2" in reason
        async with YClient(server.ws_url, "pending", ack=True) as sender:
            await sender.synced.wait()
            await sender.send_raw(encode_update(FILLS_IN))
            await sender.wait_for(lambda: sender.acked == 2)
        await keeper.wait_for(lambda: keeper.text != "hello fuzz")
        expected: Doc[Any] = Doc()
        for update in (own, LEAVES_PENDING, FILLS_IN):
            expected.apply_update(update)
        assert keeper.text == str(expected.get("content", type=Text))
        async with YClient(server.ws_url, "pending") as newcomer:
            await newcomer.synced.wait()
            assert newcomer.text == keeper.text


class _Typist:
    """A client's document and each update it makes, one transaction at a time."""

    def __init__(self, client_id: int) -> None:
        self.doc: Doc[Any] = Doc(client_id=client_id)
        self.text = self.doc.get("content", type=Text)
        self.updates: list[bytes] = []
        self.doc.observe(lambda event: self.updates.append(event.update))

    def type(self, words: str, *, each: bool = False) -> list[bytes]:
        """Type `words` at the end (one update for each character if `each`); their updates."""
        made = len(self.updates)
        for piece in words if each else [words]:
            self.text += piece
        return self.updates[made:]


async def test_typing_through_a_reconnect_is_not_refused(server: ServerProcess) -> None:
    """Two clients typed offline, reconnect at the same time and go on typing: their keystrokes
    of that round trip arrive, interleaved, before their SyncStep2s bring the offline ones.
    Each one's first keystroke leaves its structs pending and its next ones continue them where
    they end: none is refused, and once the SyncStep2s arrive every peer and every newcomer
    holds what both typed."""
    ada, bob = _Typist(21), _Typist(22)
    async with YClient(server.ws_url, "reconnect", ack=True) as keeper:
        await keeper.synced.wait()
        async with YClient(server.ws_url, "reconnect", ack=True) as before:
            await before.synced.wait()
            for typist in (ada, bob):
                await before.send_raw(encode_update(typist.type(f"{typist.doc.client_id} ")[0]))
            await keeper.wait_for(lambda: len(keeper.text) == 6)
        for typist in (ada, bob):  # each learns the other's: they type in one document
            typist.doc.apply_update(keeper.doc.get_update())
        known = {typist: typist.doc.get_state() for typist in (ada, bob)}
        ada.type("ada offline, ")  # never sent
        bob.type("bob offline, ")
        ada_live, bob_live = ada.type("ada online", each=True), bob.type("bob online", each=True)
        async with (
            YClient(server.ws_url, "reconnect", ack=True) as ada_again,
            YClient(server.ws_url, "reconnect", ack=True) as bob_again,
        ):
            await ada_again.synced.wait()
            await bob_again.synced.wait()
            for ada_update, bob_update in zip(ada_live, bob_live, strict=True):
                await ada_again.send_raw(encode_update(ada_update))
                await bob_again.send_raw(encode_update(bob_update))
            await ada_again.wait_for(lambda: ada_again.acked == 1 + len(ada_live))
            await bob_again.wait_for(lambda: bob_again.acked == 1 + len(bob_live))
            assert not ada_again.closed.is_set() and not bob_again.closed.is_set()
            assert len(keeper.text) == 6  # the keystrokes wait for what they follow
            for again, typist in ((ada_again, ada), (bob_again, bob)):
                await again.send_raw(encode_sync_step2(typist.doc.get_update(known[typist])))
            await ada_again.wait_for(lambda: ada_again.acked == 2 + len(ada_live))
            await bob_again.wait_for(lambda: bob_again.acked == 2 + len(bob_live))
            expected: Doc[Any] = Doc()
            for typist in (ada, bob):
                expected.apply_update(typist.doc.get_update())
            await keeper.wait_text(str(expected.get("content", type=Text)))
            assert "ada offline, ada online" in keeper.text
            assert "bob offline, bob online" in keeper.text
            assert not ada_again.closed.is_set() and not bob_again.closed.is_set()
        async with YClient(server.ws_url, "reconnect") as newcomer:
            await newcomer.synced.wait()
            assert newcomer.text == keeper.text


async def test_a_client_skipping_past_its_own_pending_structs_is_refused(
    server: ServerProcess,
) -> None:
    """What continues a client's pending structs must start where they end: a run that starts
    further on is a second gap, refused as before."""
    updates = _Typist(23).type("abcd", each=True)
    async with YClient(server.ws_url, "skip", ack=True) as sender:
        await sender.synced.wait()
        await sender.send_raw(encode_update(updates[1]))  # "b": pending, waits for "a"
        await sender.wait_for(lambda: sender.acked == 2)
        await sender.send_raw(encode_update(updates[3]))  # "d": skips "c"
        code, reason = await sender.wait_closed()
    assert code == 1007
    assert "start at clock 3" in reason and "up to 0" in reason
