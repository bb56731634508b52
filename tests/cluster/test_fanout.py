"""One room across three processes: every committed update reaches every process's clients,
once and in order; losses on the bus are repaired from PostgreSQL."""

from __future__ import annotations

import asyncio
import sys
from functools import partial

import asyncpg
import redis.asyncio as redis

from tests.cluster.conftest import ClusterFactory, all_acked, plain_postgres_url, texts_on
from tests.yclient import YClient


def has_all(client: YClient, markers: set[str]) -> bool:
    return all(marker in client.text for marker in markers)


async def log_seqs(postgres_url: str, room: str) -> list[int]:
    conn = await asyncpg.connect(plain_postgres_url(postgres_url))
    try:
        rows = await conn.fetch("SELECT seq FROM updates WHERE room = $1 ORDER BY seq", room)
        head = await conn.fetchval("SELECT seq FROM rooms WHERE name = $1", room)
    finally:
        await conn.close()
    seqs = [row["seq"] for row in rows]
    assert seqs == list(range(1, head + 1)), "the room's log must be numbered 1..seq, no gaps"
    return seqs


async def test_edits_on_three_processes_reach_every_client(
    start_cluster: ClusterFactory, postgres_url: str
):
    servers = await start_cluster(3)
    clients = [YClient(server.ws_url, "shared", ack=True) for server in servers for _ in range(2)]
    for client in clients:
        await client.connect()
        await client.synced.wait()
    for round_ in range(20):
        for index, client in enumerate(clients):
            client.append(f"<{index}.{round_}>")
        await asyncio.sleep(0.01)
    markers = {f"<{index}.{round_}>" for index in range(len(clients)) for round_ in range(20)}
    for client in clients:
        await client.wait_for(partial(has_all, client, markers), timeout=20)
    texts = {client.text for client in clients}
    assert len(texts) == 1, "every replica converges to one text"
    text = texts.pop()
    assert all(text.count(marker) == 1 for marker in markers), "nothing applied twice"
    for client in clients:
        await client.wait_for(partial(all_acked, client))
    assert await texts_on(servers, "shared") == [text] * 3  # every process's copy
    for client in clients:
        await client.close()
    assert await log_seqs(postgres_url, "shared")  # numbered in commit order, gapless
    async with YClient(servers[1].ws_url, "shared") as fresh:  # a fresh load equals the replicas
        await fresh.wait_for(lambda: all(m in fresh.text for m in markers))


async def pubsub_connections(redis_url: str, prefix: str) -> int:
    """How many subscriptions this test's cluster holds now."""
    client = redis.Redis.from_url(redis_url)
    try:
        entries = await client.client_list(_type="pubsub")
    finally:
        await client.aclose()
    return sum(1 for entry in entries if entry.get("name", "").startswith(prefix))


async def kill_pubsub_connections(redis_url: str, prefix: str) -> int:
    """Kill the subscriptions of this test's cluster (the client names carry its prefix)."""
    client = redis.Redis.from_url(redis_url)
    killed = 0
    try:
        for entry in await client.client_list(_type="pubsub"):
            if entry.get("name", "").startswith(prefix):
                killed += await client.client_kill_filter(_id=entry["id"])
    finally:
        await client.aclose()
    return killed


async def test_subscriptions_killed_mid_burst_reconnect_and_lose_nothing(
    start_cluster: ClusterFactory, redis_url: str, bus_prefix: str
):
    first, second = await start_cluster(2)
    async with (
        YClient(first.ws_url, "gap", ack=True) as writer,
        YClient(second.ws_url, "gap") as reader,
    ):
        await writer.synced.wait()
        await reader.synced.wait()
        writer.append("before ")
        await reader.wait_text("before ")
        for i in range(60):
            writer.append(f"<{i}>")
            if i in (10, 30):
                # Both processes subscribed (again, after the first kill) before the kill.
                async with asyncio.timeout(15):
                    while await pubsub_connections(redis_url, bus_prefix) < 2:
                        await asyncio.sleep(0.05)
                assert await kill_pubsub_connections(redis_url, bus_prefix) >= 2
            await asyncio.sleep(0.01)
        expected = "before " + "".join(f"<{i}>" for i in range(60))
        await reader.wait_text(expected, timeout=15)
        writer.append(" after")  # the bus works again after the reconnect
        await reader.wait_text(expected + " after", timeout=15)


async def test_rows_that_never_crossed_the_bus_are_found_by_the_periodic_check(
    start_cluster: ClusterFactory, postgres_url: str, tmp_path
):
    """`collab import` writes to the database only: no process publishes it, no later message
    reveals the gap, and only the check against the database can find it."""
    first, second = await start_cluster(2)
    async with (
        YClient(first.ws_url, "quiet") as one,
        YClient(second.ws_url, "quiet") as two,
    ):
        await one.synced.wait()
        await two.synced.wait()
        one.append("live ")
        await two.wait_text("live ")
        source = tmp_path / "extra.txt"
        source.write_text("live imported")
        command = ["-m", "collab", "import", "quiet", str(source), "--format", "text"]
        importer = await asyncio.create_subprocess_exec(
            sys.executable, *command, "--database-url", postgres_url
        )
        assert await importer.wait() == 0
        await one.wait_text("live imported", timeout=10)
        await two.wait_text("live imported", timeout=10)
    for server in (first, second):
        health = await server.health()
        assert health["status"] == "ok"
        assert health["cluster"]["clustered"] and health["cluster"]["bus_connected"]
        assert health["cluster"]["catch_ups"] >= 1
