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


async def test_typing_through_a_reconnect_is_not_refused(server: ServerProcess) -> None:
    """A client that typed offline reconnects and goes on typing: its keystrokes of that round
    trip arrive before its SyncStep2 brings the offline ones. The first leaves structs
    pending, each next one continues them where they end: none is refused, and once the
    SyncStep2 arrives every peer and every newcomer holds the client's text."""
    typist: Doc[Any] = Doc(client_id=21)
    text = typist.get("content", type=Text)
    live: list[bytes] = []
    typist.observe(lambda event: live.append(event.update))
    text.insert(0, "online ")
    async with YClient(server.ws_url, "reconnect", ack=True) as keeper:
        await keeper.synced.wait()
        async with YClient(server.ws_url, "reconnect", ack=True) as first:
            await first.synced.wait()
            await first.send_raw(encode_update(typist.get_update()))
            await keeper.wait_text("online ")
        known = typist.get_state()
        text += "typed offline, "  # one transaction, never sent
        live.clear()
        for character in "then online again":  # one update each, after the offline ones
            text += character
        async with YClient(server.ws_url, "reconnect", ack=True) as second:
            await second.synced.wait()
            for update in live:
                await second.send_raw(encode_update(update))
            await second.wait_for(lambda: second.acked == 1 + len(live))  # its step 2, then these
            assert not second.closed.is_set()
            assert keeper.text == "online "  # the keystrokes wait for what they follow
            await second.send_raw(encode_sync_step2(typist.get_update(known)))
            await second.wait_for(lambda: second.acked == 2 + len(live))
            await keeper.wait_text(str(text))
            assert not second.closed.is_set()
        async with YClient(server.ws_url, "reconnect") as newcomer:
            await newcomer.synced.wait()
            assert newcomer.text == str(text)


async def test_a_client_skipping_past_its_own_pending_structs_is_refused(
    server: ServerProcess,
) -> None:
    """What continues a client's pending structs must start where they end: a run that starts
    further on is a second gap, refused as before."""
    typist: Doc[Any] = Doc(client_id=22)
    text = typist.get("content", type=Text)
    updates: list[bytes] = []
    typist.observe(lambda event: updates.append(event.update))
    for character in "abcd":
        text += character
    async with YClient(server.ws_url, "skip", ack=True) as sender:
        await sender.synced.wait()
        await sender.send_raw(encode_update(updates[1]))  # "b": pending, waits for "a"
        await sender.wait_for(lambda: sender.acked == 2)
        await sender.send_raw(encode_update(updates[3]))  # "d": skips "c"
        code, reason = await sender.wait_closed()
    assert code == 1007
    assert "start at clock 3" in reason and "up to 0" in reason
