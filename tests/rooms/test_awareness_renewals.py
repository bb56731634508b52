"""Renewals (a client's unchanged state sent again at a newer clock, every 15 s by stock
clients) are relayed together, at most 2 s late; changes are not held back by them
(rooms/awareness_relay.py)."""

from __future__ import annotations

import asyncio
import json

from collab.protocol.awareness import AwarenessEntry, decode_awareness
from collab.protocol.messages import AwarenessUpdate, decode_message
from collab.rooms.awareness_relay import AwarenessRelay
from tests.server import ServerProcess
from tests.test_awareness_relay import _state
from tests.yclient import YClient


def _entries(frame: bytes) -> list[tuple[int, int, str]]:
    message = decode_message(frame)
    assert isinstance(message, AwarenessUpdate)
    return [(e.client_id, e.clock, e.state_json) for e in decode_awareness(message.payload)]


class _Sent:
    """A room's broadcast: the frames sent, and an event set by each."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.event = asyncio.Event()

    def __call__(self, frame: bytes) -> None:
        self.frames.append(frame)
        self.event.set()


async def test_renewals_of_a_window_go_in_one_message_with_the_newest_clocks() -> None:
    sent = _Sent()
    relay = AwarenessRelay(renew_window=0.01)
    relay.renew([AwarenessEntry(1, 2, '{"a":1}')], sent)
    relay.renew([AwarenessEntry(2, 5, '{"b":1}')], sent)
    relay.renew([AwarenessEntry(1, 3, '{"a":1}')], sent)
    assert sent.frames == [] and relay.waiting_renewals == 2
    await sent.event.wait()
    assert [_entries(frame) for frame in sent.frames] == [[(1, 3, '{"a":1}'), (2, 5, '{"b":1}')]]
    assert relay.waiting_renewals == 0


async def test_a_change_goes_at_once_and_takes_the_place_of_its_clients_renewal() -> None:
    sent = _Sent()
    relay = AwarenessRelay(renew_window=3600)
    relay.renew([AwarenessEntry(1, 2, '{"a":1}'), AwarenessEntry(2, 7, '{"b":1}')], sent)
    relay.relay([AwarenessEntry(1, 3, '{"a":2}')], sent, peers=2)
    assert [_entries(frame) for frame in sent.frames] == [[(1, 3, '{"a":2}')]]
    assert relay.waiting_renewals == 1  # client 2's
    relay.flush_renewals()
    assert _entries(sent.frames[-1]) == [(2, 7, '{"b":1}')]
    relay.cancel()


async def test_a_renewal_of_a_client_whose_change_waits_goes_with_the_change() -> None:
    sent = _Sent()
    # A budget of one frame: the second change in the window waits for the window's end.
    relay = AwarenessRelay(window=3600, frame_budget=1, renew_window=3600)
    relay.relay([AwarenessEntry(1, 1, '{"a":1}')], sent, peers=5)
    relay.relay([AwarenessEntry(1, 2, '{"a":2}')], sent, peers=5)
    relay.renew([AwarenessEntry(1, 3, '{"a":2}')], sent)
    assert len(sent.frames) == 1 and relay.waiting_renewals == 0
    relay.flush()
    assert _entries(sent.frames[-1]) == [(1, 3, '{"a":2}')]
    relay.cancel()


async def test_renewals_reach_the_others_and_a_change_after_them_too(
    server: ServerProcess,
) -> None:
    async with (
        YClient(server.ws_url, "renewals") as watcher,
        YClient(server.ws_url, "renewals") as mover,
    ):
        await watcher.wait_for(lambda: watcher.synced.is_set())
        await mover.send_raw(_state(4242, 1, {"cursor": 1}))
        await watcher.wait_for(lambda: watcher.awareness_clocks.get(4242) == 1)
        for clock in (2, 3, 4):
            await mover.send_raw(_state(4242, clock, {"cursor": 1}))
        await watcher.wait_for(lambda: watcher.awareness_clocks.get(4242) == 4)
        assert json.loads(watcher.awareness[4242]) == {"cursor": 1}
        await mover.send_raw(_state(4242, 5, {"cursor": 2}))
        await watcher.wait_for(lambda: watcher.awareness.get(4242) == '{"cursor": 2}')
        assert watcher.awareness_clocks[4242] == 5
