"""The awareness relay's budget: changes go out at once until a window's frames reach the room's
budget, then wait for the window's end and go out as one message with the newest entries."""

from __future__ import annotations

import asyncio

from collab.protocol.awareness import AwarenessEntry, decode_awareness
from collab.protocol.messages import AwarenessUpdate, decode_message
from collab.rooms.awareness_relay import AwarenessRelay


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _entry(client_id: int, clock: int) -> AwarenessEntry:
    return AwarenessEntry(client_id, clock, f'{{"cursor": {clock}}}')


def _clocks(frame: bytes) -> list[tuple[int, int]]:
    message = decode_message(frame)
    assert isinstance(message, AwarenessUpdate)
    return [(e.client_id, e.clock) for e in decode_awareness(message.payload)]


async def test_changes_go_out_at_once_until_the_budget_then_as_one_message() -> None:
    clock = Clock()
    relay = AwarenessRelay(window=0.05, frame_budget=30, clock=clock)
    sent: list[bytes] = []
    flushed = asyncio.Event()

    def broadcast(frame: bytes) -> None:
        sent.append(frame)
        flushed.set()

    # A room of 10: three messages fit the budget of 30 frames.
    for n in range(1, 4):
        relay.relay([_entry(1, n)], broadcast, peers=10)
    assert [_clocks(f) for f in sent] == [[(1, 1)], [(1, 2)], [(1, 3)]]
    # The fourth and those after it in the same window wait, and go as one message.
    flushed.clear()
    relay.relay([_entry(1, 4)], broadcast, peers=10)
    relay.relay([_entry(2, 1)], broadcast, peers=10)
    relay.relay([_entry(1, 5)], broadcast, peers=10)
    assert len(sent) == 3
    await flushed.wait()
    assert _clocks(sent[3]) == [(1, 5), (2, 1)]
    # Still busy: the next window starts spent, so a change in it waits for its end too.
    flushed.clear()
    clock.now += 0.01
    relay.relay([_entry(1, 6)], broadcast, peers=10)
    assert len(sent) == 4
    await flushed.wait()
    assert _clocks(sent[4]) == [(1, 6)]
    # Calm again (a whole window without a change): at once.
    clock.now += 1.0
    relay.relay([_entry(1, 7)], broadcast, peers=10)
    assert len(sent) == 6 and _clocks(sent[5]) == [(1, 7)]


async def test_a_room_larger_than_the_budget_still_sends_the_first_change_at_once() -> None:
    relay = AwarenessRelay(window=0.05, frame_budget=30, clock=Clock())
    sent: list[bytes] = []
    relay.relay([_entry(1, 1)], sent.append, peers=500)
    assert len(sent) == 1
    relay.relay([_entry(1, 2)], sent.append, peers=500)
    assert len(sent) == 1  # held for the window's end
    relay.cancel()
