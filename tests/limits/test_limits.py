"""Limits: every one reported with a clear close code, and none disturbs other clients."""

from __future__ import annotations

import asyncio
import json
import os
import re

import psutil
import pytest
import websockets

from collab.protocol.awareness import AwarenessEntry, encode_awareness_entries
from collab.protocol.messages import encode_awareness, encode_update
from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.yclient import YClient, open_stalled_client


async def test_a_fast_writer_is_throttled_not_disconnected_and_loses_nothing(
    make_server: ServerFactory, sqlite_url: str
):
    """Over its message rate a connection is not read until its allowance refills (TCP holds
    the client back): it is never closed for a burst, and every update lands."""
    server = make_server(
        sqlite_url, COLLAB_RATE_MESSAGES_PER_SECOND="200", COLLAB_RATE_MESSAGE_BURST="20"
    )
    await server.start()
    async with (
        YClient(server.ws_url, "flood", ack=True) as writer,
        YClient(server.ws_url, "flood") as bob,
    ):
        await writer.synced.wait()
        for index in range(600):
            writer.append(f"{index},")
        await writer.wait_for(lambda: writer.acked == writer.sent_updates, timeout=30)
        assert not writer.closed.is_set()
        await bob.wait_text(writer.text, timeout=15)
        assert int((await server.health())["throttled"]) > 0
    async with YClient(server.ws_url, "flood") as later:
        await later.wait_text(",".join(str(i) for i in range(600)) + ",")


@pytest.mark.slow
async def test_only_a_flood_that_persists_is_closed_with_a_retryable_code(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(
        sqlite_url,
        COLLAB_RATE_MESSAGES_PER_SECOND="50",
        COLLAB_RATE_MESSAGE_BURST="10",
        COLLAB_RATE_CLOSE_AFTER="1",
    )
    await server.start()
    async with YClient(server.ws_url, "flood") as bob:
        flooder = YClient(server.ws_url, "flood")
        await flooder.connect()
        frame = encode_update(b"\x00\x00")
        async with asyncio.timeout(20):
            while not flooder.closed.is_set():
                await flooder.send_raw(frame)
                await asyncio.sleep(0.001)
        code, reason = await flooder.wait_closed()
        assert code == 1013 and "too long" in reason
        assert not bob.closed.is_set()


async def test_oversized_and_compression_bomb_messages_close_with_1009(server: ServerProcess):
    async with YClient(server.ws_url, "big") as watcher:
        for payload in (os.urandom(5 * 1024 * 1024), b"\x00" * (64 * 1024 * 1024)):
            ws = await websockets.connect(
                f"{server.ws_url}/big", max_size=None, compression="deflate"
            )
            try:
                await ws.send(encode_update(payload))
            except websockets.ConnectionClosed:
                pass  # the server may close while the frame is still being written
            try:
                await asyncio.wait_for(ws.wait_closed(), 15)
            finally:
                await ws.close()
            assert ws.close_code == 1009, ws.close_reason
        watcher.append("unharmed")
        await watcher.wait_for(lambda: watcher.text == "unharmed")
        assert not watcher.closed.is_set()


async def test_awareness_state_over_the_limit_closes_with_1009(server: ServerProcess):
    async with YClient(server.ws_url, "aw") as client:
        state = json.dumps({"user": {"name": "x" * 20_000}})
        entry = AwarenessEntry(client.doc.client_id, 1, state)
        await client.send_raw(encode_awareness(encode_awareness_entries([entry])))
        code, reason = await client.wait_closed()
        assert code == 1009 and "awareness" in reason


async def test_document_size_limit(make_server: ServerFactory, sqlite_url: str):
    server = make_server(sqlite_url, COLLAB_MAX_DOCUMENT_BYTES="20000")
    await server.start()
    async with (
        YClient(server.ws_url, "cap", ack=True) as small,
        YClient(server.ws_url, "cap") as big,
    ):
        small.append("small text")
        await small.wait_for(lambda: small.acked == 2)
        big._applying = True
        big.append("y" * 30_000)
        big._applying = False
        await big.send_raw(encode_update(big.doc.get_update(small.doc.get_state())))
        code, reason = await big.wait_closed()
        assert code == 1009 and "exceed" in reason
        small.append("!")
        await small.wait_for(lambda: small.acked == 3)
    async with YClient(server.ws_url, "cap") as fresh:
        await fresh.wait_text("small text!")


async def test_room_and_process_connection_limits(make_server: ServerFactory, sqlite_url: str):
    server = make_server(
        sqlite_url, COLLAB_MAX_CONNECTIONS_PER_ROOM="2", COLLAB_MAX_CONNECTIONS="3"
    )
    await server.start()
    async with YClient(server.ws_url, "full") as a, YClient(server.ws_url, "full") as b:
        await a.synced.wait()
        await b.synced.wait()
        third = YClient(server.ws_url, "full")
        await third.connect()
        code, reason = await third.wait_closed()
        assert code == 1013 and "full" in reason
        async with YClient(server.ws_url, "other") as c:
            await c.synced.wait()
            fourth = YClient(server.ws_url, "another")
            await fourth.connect()
            code, reason = await fourth.wait_closed()
            assert code == 1013 and "connection limit" in reason


async def test_room_limit_unloads_least_recently_used_idle_rooms(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_MAX_ROOMS="2", COLLAB_UNLOAD_GRACE="60")
    await server.start()
    async with YClient(server.ws_url, "old", ack=True) as old:
        old.append("kept on disk")
        await old.wait_for(lambda: old.acked == 2)
    async with YClient(server.ws_url, "busy") as busy:
        await busy.synced.wait()
        async with YClient(server.ws_url, "new") as new:
            await new.synced.wait()
            assert (await server.health())["rooms"] == 2
            refused = YClient(server.ws_url, "one-too-many")
            await refused.connect()
            code, reason = await refused.wait_closed()
            assert code == 1013 and "documents open" in reason
    async with YClient(server.ws_url, "old") as again:
        await again.wait_text("kept on disk")


@pytest.mark.slow
async def test_slow_consumer_is_dropped_and_memory_is_bounded(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_SEND_QUEUE_SIZE="64", **_NO_RATE_LIMIT)
    await server.start()
    # One edit at a time: edits committed together go out as one merged frame.
    growth = await _stream_past_a_stalled_client(server, pace=1)
    # The drop itself is the log line below. The growth is a guard against gross leaks (a copy
    # of the document per edit would be gigabytes: the drop comes after some 240 edits, a 4 MB
    # document, the server's kernel send buffer holding most of it): it measured 25 MB.
    assert growth < 300 * 1024 * 1024, f"server grew {growth / 1e6:.0f} MB"
    assert "fell 64 messages behind" in server.log_text()


@pytest.mark.slow
async def test_slow_consumer_is_dropped_by_queued_bytes(
    make_server: ServerFactory, sqlite_url: str
):
    # Few frames but many bytes: the byte bound drops the peer long before the frame bound.
    server = make_server(sqlite_url, COLLAB_SEND_QUEUE_BYTES="1000000", **_NO_RATE_LIMIT)
    await server.start()
    await _stream_past_a_stalled_client(server)
    log = server.log_text()
    assert re.search(r"fell \d+ bytes behind", log), log[-2000:]
    assert "messages behind" not in log


_NO_RATE_LIMIT = {"COLLAB_RATE_BYTES_PER_SECOND": "1e9", "COLLAB_RATE_BYTE_BURST": "1000000000"}


async def _stream_past_a_stalled_client(server: ServerProcess, pace: int = 25) -> int:
    """Stream 16 KiB edits (`pace` at a time) into a room where one client never reads, until
    the server says it dropped that client (at most 600 edits); check the others get everything
    and only the stalled one goes. Returns the server's RSS growth."""
    assert server.process is not None
    process = psutil.Process(server.process.pid)
    # A small receive buffer: the kernel holds little for the stalled client, so the server's
    # own bound is what fills, after tens of edits rather than megabytes of them.
    _reader, writer = await open_stalled_client(server.port, "slow", receive_buffer=4096)
    try:
        async with (
            YClient(server.ws_url, "slow", ack=True) as fast_writer,
            YClient(server.ws_url, "slow") as fast_reader,
        ):
            await fast_reader.synced.wait()
            baseline = process.memory_info().rss
            chunk = "z" * 16_384
            sent = 0
            while sent < 600 and " behind" not in server.log_text():
                for _ in range(pace):
                    fast_writer.append(chunk)
                sent += pace
                # Paced by the reader that keeps up, so only the stalled one falls behind.
                await _wait_length(fast_reader, sent * 16_384)
            assert " behind" in server.log_text(), f"not dropped after {sent} edits"
            await fast_writer.wait_for(
                lambda: fast_writer.acked == fast_writer.sent_updates, timeout=60
            )
            await server.wait_health(connections=2)  # the stalled client is gone, the others stay
            growth: int = process.memory_info().rss - baseline
    finally:
        writer.close()
    return growth


async def _wait_length(client: YClient, length: int, timeout: float = 60.0) -> None:
    # len() of the shared text, not of its copy as a str: copying up to 10 MB after each of
    # 600 frames took most of these tests' half minute.
    await client.wait_for(lambda: len(client.content) == length, timeout)


async def test_heartbeat_closes_dead_connections(make_server: ServerFactory, sqlite_url: str):
    server = make_server(sqlite_url, COLLAB_PING_INTERVAL="0.5", COLLAB_PING_TIMEOUT="0.5")
    await server.start()
    _reader, writer = await open_stalled_client(server.port, "ghost")
    await server.wait_health(connections=1)
    await server.wait_health(connections=0)
    writer.close()


async def test_awareness_over_the_rate_is_dropped_not_closed(server: ServerProcess):
    async with (
        YClient(server.ws_url, "busy-cursor") as mover,
        YClient(server.ws_url, "busy-cursor") as watcher,
    ):
        for clock in range(1, 201):
            await mover.send_raw(mover.set_awareness(clock, {"cursor": clock}))
        await mover.send_raw(mover.set_awareness(1000, {"cursor": "last"}))
        # The server reads one connection's messages in order: once an edit sent
        # after the burst reaches the watcher, the whole burst has been handled.
        mover.append("after the burst")
        await watcher.wait_text("after the burst")
        health = await server.health()
        assert int(health["awareness_dropped"]) > 0
        assert not mover.closed.is_set() and not watcher.closed.is_set()
        await watcher.wait_for(lambda: mover.doc.client_id in watcher.awareness)
