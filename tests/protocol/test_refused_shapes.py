"""Updates yrs mishandles are refused before it sees them (found by review with pycrdt 0.14 /
yrs 0.28): a client listed twice (yrs panics and leaves a document whose every encoding, and
any read of its text, fails), an empty item (yrs panics), and an item placed in an item that
is not a shared type (yrs applies the structs before it, then fails, keeping what it applied).
A room keeps working for everyone after each is refused."""

from __future__ import annotations

import pytest

from collab.protocol.messages import encode_update
from collab.protocol.nesting import TypeNesting
from collab.protocol.yupdate import UpdateRefused, parse_update, walk_update
from tests.server import ServerProcess
from tests.yclient import YClient

# Client 2 listed twice at clock 0: "a" in `content`, then "abc".
TWICE = bytes.fromhex("02010200040107636f6e74656e740161010200040107636f6e74656e740361626300")
# An empty string item of client 1 at clock 5.
EMPTY = bytes.fromhex("01010105040101740000")
# Client 1 types "hello" in `content`; client 2 then "ab", then "c" placed in item 1:2 ("l").
HELLO = bytes.fromhex("01010100040107636f6e74656e740568656c6c6f00")
IN_A_CHARACTER = bytes.fromhex("01020200040107636f6e74656e7402616204000102016300")
# The same "c" placed in client 2's own "b" (2:1), within the update.
IN_ITS_OWN_CHARACTER = bytes.fromhex("01020200040107636f6e74656e7402616204000201016300")


@pytest.mark.parametrize(("update", "words"), [(TWICE, "listed twice"), (EMPTY, "empty item")])
def test_the_walk_refuses_what_yrs_panics_on(update: bytes, words: str) -> None:
    for parse in (parse_update, walk_update):
        with pytest.raises(UpdateRefused, match=words):
            parse(update, 64)


@pytest.mark.parametrize("update", [IN_A_CHARACTER, IN_ITS_OWN_CHARACTER])
def test_an_item_placed_in_a_character_is_refused(update: bytes) -> None:
    nesting = TypeNesting(64)
    hello = parse_update(HELLO, 64)
    nesting.record(hello, nesting.admit(hello))
    with pytest.raises(UpdateRefused, match="not a shared type"):
        nesting.admit(parse_update(update, 64))


async def test_a_room_refuses_them_and_keeps_working(server: ServerProcess) -> None:
    async with YClient(server.ws_url, "refused-shapes", ack=True) as keeper:
        keeper.append("kept")
        await keeper.wait_for(lambda: keeper.acked == 2)
        for update in (TWICE, EMPTY):
            async with YClient(server.ws_url, "refused-shapes") as sender:
                await sender.synced.wait()
                await sender.send_raw(encode_update(update))
                code, reason = await sender.wait_closed()
            assert code == 1007, reason
        keeper.append(" and more")
        await keeper.wait_for(lambda: keeper.acked == 3)
        async with YClient(server.ws_url, "refused-shapes") as newcomer:
            await newcomer.synced.wait()
            assert newcomer.text == keeper.text == "kept and more"
