"""collab.serving.inbox.Inbox: a WebSocket's queue of messages read and not yet taken by the app."""

from __future__ import annotations

import asyncio

from collab.serving.inbox import Inbox, Messages


async def test_items_come_out_in_order_and_a_waiting_get_is_woken_by_a_put():
    inbox: Inbox[int] = Inbox()
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert inbox.qsize() == 2 and not inbox.empty()
    assert [await inbox.get(), await inbox.get()] == [1, 2]
    assert inbox.empty()
    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    inbox.put_nowait(3)
    assert await asyncio.wait_for(waiting, 1) == 3


async def test_two_waiting_gets_each_take_one_item():
    inbox: Inbox[str] = Inbox()
    first, second = asyncio.ensure_future(inbox.get()), asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait("a")
    inbox.put_nowait("b")
    assert sorted(await asyncio.wait_for(asyncio.gather(first, second), 1)) == ["a", "b"]


async def test_a_get_cancelled_after_it_was_woken_leaves_the_item_to_the_next():
    inbox: Inbox[str] = Inbox()
    first, second = asyncio.ensure_future(inbox.get()), asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait("only")  # wakes the first...
    first.cancel()  # ...which is cancelled before it runs
    assert await asyncio.wait_for(second, 1) == "only"
    assert first.cancelled()
    assert inbox.empty()


async def test_a_cancelled_get_takes_nothing():
    inbox: Inbox[int] = Inbox()
    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.sleep(0)
    inbox.put_nowait(7)
    assert await inbox.get() == 7


async def test_messages_stop_reading_the_socket_past_16_messages_or_256_kib_until_all_are_taken():
    loop = asyncio.get_running_loop()
    accepted: list[asyncio.BaseTransport] = []

    class Accepting(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.append(transport)

    server = await loop.create_server(Accepting, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
    messages = Messages()
    messages.transport = transport
    one = {"type": "websocket.receive", "bytes": b"x"}
    for _ in range(15):
        messages.put(one, 1)
    assert transport.is_reading()
    messages.put(one, 1)  # the 16th
    assert not transport.is_reading()
    for _ in range(15):
        await messages.take()
        assert not transport.is_reading()
    await messages.take()
    assert transport.is_reading()
    messages.put({"type": "websocket.receive", "bytes": b"y" * 262_144}, 262_144)
    assert not transport.is_reading()
    await messages.take()
    assert transport.is_reading()
    transport.close()
    for other in accepted:
        other.close()
    server.close()
    await server.wait_closed()
