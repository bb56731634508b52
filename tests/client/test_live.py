"""LiveDocument against a real server: sync, durability, presence, reconnect and final closes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

from collab.client import Backoff, CollabClient, LiveClosed, LiveDocument, websocket_base
from tests.server import ServerProcess

FAST = Backoff(initial=0.05, cap=0.5)


@pytest.fixture
async def client(server: ServerProcess) -> AsyncIterator[CollabClient]:
    async with CollabClient(server.http_url) as client:
        yield client


async def _until(live: LiveDocument, predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        await live.wait_for(predicate)


async def _text_is(live: LiveDocument, expected: str) -> None:
    try:
        await _until(live, lambda: str(live.text) == expected)
    except TimeoutError:
        raise AssertionError(f"text is {str(live.text)!r}, expected {expected!r}") from None


def test_websocket_base_maps_http_schemes():
    assert websocket_base("http://h:1") == "ws://h:1/ws"
    assert websocket_base("https://h/collab/") == "wss://h/collab/ws"
    with pytest.raises(ValueError):
        websocket_base("ftp://h")


def test_backoff_is_jittered_exponential_and_capped():
    backoff, rng = Backoff(initial=0.1, cap=5.0), random.Random(7)
    for attempt in range(12):
        bound = min(5.0, 0.1 * 2**attempt)
        delays = [backoff.delay(attempt, rng) for _ in range(50)]
        assert all(0 <= d <= bound for d in delays) and max(delays) > bound / 2
    assert backoff.delay(10_000, rng) <= 5.0


async def test_two_live_documents_sync_both_ways(client: CollabClient):
    async with client.live("pair", name="Alice") as alice, client.live("pair") as bob:
        alice.text += "hello"
        await _text_is(bob, "hello")
        assert bob.sent == 1  # only the handshake reply: remote updates are never echoed back
        bob.text += " world"
        await _text_is(alice, "hello world")


async def test_live_document_and_rest_edits_meet(client: CollabClient):
    await client.create_room("mixed")
    async with client.live("mixed") as live:
        await client.replace_text("mixed", "from rest")
        await _text_is(live, "from rest")
        live.text.insert(0, "live and ")
        await live.flushed()  # committed, so a REST snapshot must already hold it
        assert await client.snapshot_text("mixed") == "live and from rest"


async def test_flushed_waits_for_every_local_edit_to_commit(client: CollabClient):
    async with client.live("flush") as live:
        for i in range(30):
            live.text += f"{i},"
        async with asyncio.timeout(10):
            await live.flushed()
        assert live.acked == live.sent >= 2
        assert await client.snapshot_text("flush") == "".join(f"{i}," for i in range(30))


async def test_presence_reaches_peers_and_leaves_with_them(client: CollabClient):
    async with client.live("pres") as alice:
        async with client.live("pres") as bob:
            bob.set_presence({"name": "Bob"})
            bob_id = bob.doc.client_id
            await _until(alice, lambda: alice.peers.get(bob_id) == {"name": "Bob"})
            bob.set_presence({"name": "Bobby"})
            await _until(alice, lambda: alice.peers.get(bob_id) == {"name": "Bobby"})
            assert bob_id not in bob.peers
        await _until(alice, lambda: bob_id not in alice.peers)


async def test_reconnects_after_graceful_restart_and_loses_nothing(
    client: CollabClient, server: ServerProcess
):
    alice, bob = client.live("phoenix", backoff=FAST), client.live("phoenix", backoff=FAST)
    async with alice, bob:
        alice.text += "one "
        await alice.flushed()
        # The restart's close is the first one after the stop; the refused reconnects that
        # follow (1006) would push it out of the bounded `recent_closes` if the test waited
        # for the process to exit first (it takes seconds on a loaded machine).
        before = len(alice.recent_closes)
        stopping = asyncio.create_task(server.stop())
        await _until(alice, lambda: len(alice.recent_closes) > before)
        assert alice.recent_closes[before][0] == 1012, list(alice.recent_closes)
        await stopping
        await _until(alice, lambda: not alice.connected and not bob.connected)
        alice.text += "two "  # offline edits: the handshake on reconnect sends them
        bob.text.insert(0, "zero ")
        await server.start()
        alice.text += "three "
        async with asyncio.timeout(15):
            await alice.flushed()
            await bob.flushed()
        expected = "zero one two three "
        await _text_is(alice, expected)
        await _text_is(bob, expected)
        assert alice.attempts >= 2
    assert await client.snapshot_text("phoenix") == expected
    async with client.live("phoenix") as reader:
        assert str(reader.text) == expected


async def test_initial_connection_refused_is_retried(client: CollabClient, server: ServerProcess):
    await server.stop()
    live = client.live("late", backoff=FAST)
    live.start()
    live.text += "queued"
    await _until(live, lambda: live.attempts >= 2)
    await server.start()
    async with asyncio.timeout(15):
        await live.flushed()
    await live.close()
    await live.close()  # idempotent
    assert not live.connected and await live.wait_closed() is None
    assert await client.snapshot_text("late") == "queued"


async def test_final_close_code_is_not_retried(server: ServerProcess):
    live = LiveDocument(server.ws_url, ".bad", backoff=FAST)
    with pytest.raises(LiveClosed) as info:
        async with live:
            pass
    assert info.value.code == 4400 and "room names" in info.value.reason
    assert live.closed_with == (4400, info.value.reason)
    assert await live.wait_closed() == live.closed_with
    assert live.attempts == 1


async def test_deleted_room_closes_the_live_document_for_good(client: CollabClient):
    live = client.live("doomed", backoff=FAST)
    async with live:
        live.text += "bye"
        await live.flushed()
        await client.delete_room("doomed")
        async with asyncio.timeout(10):
            code, reason = await live.wait_closed() or (None, "")
        assert code == 4410 and "deleted" in reason and live.attempts == 1
        with pytest.raises(LiveClosed):
            await live.synced()
