"""Deleting a room on one process closes its clients on every process, and no late write from
any process brings it back; a room of that name created afterwards starts clean."""

from __future__ import annotations

import asyncio
from functools import partial

import asyncpg
import httpx

from tests.cluster.conftest import ClusterFactory, all_acked, plain_postgres_url
from tests.launcher import run_collab
from tests.yclient import YClient


async def test_a_delete_closes_every_process_and_nothing_brings_the_room_back(
    start_cluster: ClusterFactory, postgres_url: str
):
    servers = await start_cluster(3)
    writers = [YClient(server.ws_url, "doomed", ack=True) for server in servers]
    for writer in writers:
        await writer.connect()
        await writer.synced.wait()
    writers[0].append("old content")
    for writer in writers:
        await writer.wait_text("old content")

    async def keep_writing(client: YClient) -> None:
        for i in range(10_000):
            if client.closed.is_set():
                return
            client.append(f"<{i}>")
            await asyncio.sleep(0.005)

    streams = [asyncio.create_task(keep_writing(w)) for w in (writers[0], writers[2])]
    await asyncio.sleep(0.3)
    async with httpx.AsyncClient() as http:
        deleted = await http.delete(f"{servers[1].http_url}/api/rooms/doomed")
    assert deleted.status_code == 204, deleted.text
    for writer in writers:
        code, _ = await writer.wait_closed(timeout=10)
        assert code == 4410
    await asyncio.gather(*streams)

    conn = await asyncpg.connect(plain_postgres_url(postgres_url))
    try:
        await asyncio.sleep(1.5)  # late batches of every process have been refused by now
        rows = await conn.fetchval("SELECT count(*) FROM updates WHERE room = 'doomed'")
        states = await conn.fetchval("SELECT count(*) FROM room_states WHERE room = 'doomed'")
        tombstone = await conn.fetchval("SELECT deleted_at FROM rooms WHERE name = 'doomed'")
    finally:
        await conn.close()
    assert (rows, states) == (0, 0), "no late write brought the room back"
    assert tombstone is not None
    async with httpx.AsyncClient() as http:
        for server in servers:
            gone = await http.get(f"{server.http_url}/api/rooms/doomed")
            assert gone.status_code == 404, gone.text

    for server in servers:  # created again, on any process: it starts clean
        async with YClient(server.ws_url, "doomed", ack=True) as fresh:
            await fresh.synced.wait()
            assert "old content" not in fresh.text and "<" not in fresh.text
            fresh.append(f"new on {server.port}. ")
            await fresh.wait_for(partial(all_acked, fresh))
    async with YClient(servers[0].ws_url, "doomed") as check:
        await check.wait_for(lambda: check.text.count("new on") == 3)
        assert "old content" not in check.text


def test_clustering_refuses_sqlite_with_a_clear_message(tmp_path):
    done = run_collab(
        ["serve", "--redis-url", "redis://127.0.0.1:6379/0"],
        env={"COLLAB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", "PATH": "/usr/bin"},
        timeout=30,
    )
    assert done.returncode == 3  # configuration
    assert b"needs PostgreSQL" in done.stderr
