"""Process-wide bounds: what all connections together may hold in send buffers, and how often
one connection, user or address may make the server encode a large document."""

from __future__ import annotations

import asyncio

import httpx
import psutil

from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.test_metrics import scrape
from tests.yclient import YClient, open_stalled_client

MB = 1024 * 1024


async def _large_document(server: ServerProcess, room: str, megabytes: int) -> str:
    async with YClient(server.ws_url, room, ack=True) as writer:
        await writer.synced.wait()
        for index in range(megabytes):
            writer.append(chr(ord("a") + index % 26) * MB)
        await writer.wait_for(lambda: writer.acked == writer.sent_updates, timeout=60)
        return writer.text


async def test_clients_that_never_read_cannot_take_the_server_past_its_send_budget(
    make_server: ServerFactory, sqlite_url: str
):
    budget = 12 * MB
    server = make_server(sqlite_url, COLLAB_SEND_BUDGET_BYTES=str(budget))
    await server.start()
    text = await _large_document(server, "big", 8)
    assert server.process is not None
    process = psutil.Process(server.process.pid)
    before = process.memory_info().rss
    answered = await _full_states_sent(server)
    stalled = [await open_stalled_client(server.port, "big") for _ in range(8)]
    try:
        # Every stalled client has been sent the document before the honest one asks: a full
        # state sent after the honest one's would find it holding the most and drop it.
        async with asyncio.timeout(30):
            while await _full_states_sent(server) < answered + 8:
                await asyncio.sleep(0.1)
        health = await server.health()
        assert health["send_budget"]["dropped"] > 0
        assert health["send_budget"]["used"] <= budget
        async with YClient(server.ws_url, "big") as reader:  # an honest client still syncs
            await reader.wait_text(text, timeout=30)
        grown = process.memory_info().rss - before
        assert grown < budget + 150 * MB, f"RSS grew by {grown / MB:.0f} MB"
    finally:
        for _, writer in stalled:
            writer.close()


async def _full_states_sent(server: ServerProcess) -> float:
    """SyncStep2 messages the server has sent (or queued) so far (its /metrics)."""
    return (await scrape(server))[("collab_messages_sent_total", "type=sync_step2")]


async def test_full_state_work_is_throttled_per_address_across_reconnects(
    make_server: ServerFactory, sqlite_url: str
):
    """Each full-state answer costs the asker's allowance its size. Reconnecting does not reset
    it: every connection of an address shares one, so a client that reconnects to make the
    server encode and send a document again and again is slowed down (not refused) however
    fresh its connection."""
    server = make_server(
        sqlite_url,
        COLLAB_STATE_BYTES_PER_SECOND="50000",
        COLLAB_STATE_BYTE_BURST="300000",
    )
    await server.start()
    async with YClient(server.ws_url, "busy", ack=True) as writer:
        writer.append("b" * 200_000)  # each full state: 200 KB, within one connection's 300 KB
        await writer.wait_for(lambda: writer.acked == writer.sent_updates)
    throttled_at_first = None
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms/busy") as http:
        for round_ in range(10):  # 2 MB of encoding: past the address's 1.2 MB allowance
            insert = {"op": "insert", "index": 0, "text": "x"}
            assert (await http.patch("/text", json={"ops": [insert]})).status_code == 200
            asker = YClient(server.ws_url, "busy")
            await asker.connect()
            await asker.synced.wait()
            if round_ == 0:
                throttled_at_first = (await server.health())["throttled"]
            await asker.close()
            await server.wait_health(connections=0)
    assert throttled_at_first == 0
    fresh = YClient(server.ws_url, "busy")  # its own allowance is full; its address's is not
    await fresh.connect()
    await fresh.synced.wait()
    assert int((await server.health())["throttled"]) > 0 and not fresh.closed.is_set()
    await fresh.close()
