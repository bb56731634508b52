"""A burst of awareness changes reaches each peer in a few messages with the latest states."""

from __future__ import annotations

import json

from collab.protocol.awareness import AwarenessEntry, encode_awareness_entries
from collab.protocol.messages import encode_awareness
from tests.server import ServerProcess
from tests.yclient import YClient


def _state(client_id: int, clock: int, state: object) -> bytes:
    entry = AwarenessEntry(client_id, clock, json.dumps(state) if state is not None else "null")
    return encode_awareness(encode_awareness_entries([entry]))


async def test_in_a_calm_room_every_change_is_relayed_at_once(server: ServerProcess):
    async with YClient(server.ws_url, "calm") as watcher, YClient(server.ws_url, "calm") as mover:
        await watcher.wait_for(lambda: watcher.synced.is_set())
        before = watcher.awareness_frames
        for clock in range(1, 41):  # a cursor moving on every keystroke
            await mover.send_raw(_state(4242, clock, {"cursor": clock}))
        await watcher.wait_for(lambda: watcher.awareness.get(4242) == '{"cursor": 40}')
        # Two peers: 40 changes cost 80 frames, within any window's budget, so none waited to
        # share a message with the next.
        assert watcher.awareness_frames - before == 40
        # The sender's own view is kept too (it is a peer of the room like any other).
        await mover.wait_for(lambda: mover.awareness.get(4242) == '{"cursor": 40}')


async def test_a_change_then_a_removal_in_one_burst_leaves_the_client_gone(server: ServerProcess):
    async with YClient(server.ws_url, "leave") as watcher, YClient(server.ws_url, "leave") as mover:
        await mover.send_raw(_state(77, 1, {"here": True}))
        await watcher.wait_for(lambda: 77 in watcher.awareness)
        await mover.send_raw(_state(77, 2, {"here": "still"}))
        await mover.send_raw(_state(77, 3, None))
        await watcher.wait_for(lambda: 77 not in watcher.awareness)
        async with YClient(server.ws_url, "leave") as newcomer:
            await newcomer.wait_for(lambda: newcomer.synced.is_set())
            assert 77 not in newcomer.awareness
