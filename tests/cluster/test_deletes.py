"""Deleting a room on one process closes its clients on every process, and no late write from
any process brings it back, nor any comment thread; a room of that name created afterwards
starts clean, without the old one's threads."""

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
    # Threads keep being started until the delete refuses one: no per-minute budget ends it.
    servers = await start_cluster(3, COLLAB_COMMENTS_PER_MINUTE="100000")
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

    threads = f"{servers[2].http_url}/api/rooms/doomed/threads"
    passage = {"passage": {"index": 0, "length": 3}, "body": "old?"}
    async with httpx.AsyncClient(timeout=30) as http:
        made = await http.post(threads, json=passage)
        assert made.status_code == 201, made.text
        replied = await http.post(f"{threads}/{made.json()['id']}/comments", json={"body": "yes"})
        assert replied.status_code == 201, replied.text

    stored = asyncio.Event()

    async def keep_commenting(http: httpx.AsyncClient) -> list[int]:
        """Threads started on another process while the room goes: each stored, or refused."""
        codes: list[int] = []
        while not codes or codes[-1] == 201:
            codes.append((await http.post(threads, json=passage)).status_code)
            if codes[-1] == 201:
                stored.set()
        return codes

    streams = [asyncio.create_task(keep_writing(w)) for w in (writers[0], writers[2])]
    async with httpx.AsyncClient(timeout=30) as commenter:
        commenting = asyncio.create_task(keep_commenting(commenter))
        await stored.wait()  # threads are being started on the other process
        async with httpx.AsyncClient(timeout=30) as http:
            deleted = await http.delete(f"{servers[1].http_url}/api/rooms/doomed")
        assert deleted.status_code == 204, deleted.text
        for writer in writers:
            code, _ = await writer.wait_closed(timeout=10)
            assert code == 4410
        await asyncio.gather(*streams)
        assert (await commenting)[-1] == 404, "a thread on a deleted room is refused"

    conn = await asyncpg.connect(plain_postgres_url(postgres_url))
    try:
        await asyncio.sleep(1.5)  # late batches of every process have been refused by now
        rows = await conn.fetchval("SELECT count(*) FROM updates WHERE room = 'doomed'")
        states = await conn.fetchval("SELECT count(*) FROM room_states WHERE room = 'doomed'")
        tombstone = await conn.fetchval("SELECT deleted_at FROM rooms WHERE name = 'doomed'")
        kept = await conn.fetchval("SELECT count(*) FROM comment_threads WHERE room = 'doomed'")
        replies = await conn.fetchval("SELECT count(*) FROM comments")
    finally:
        await conn.close()
    assert (rows, states) == (0, 0), "no late write brought the room back"
    assert (kept, replies) == (0, 0), "the room's threads and their comments went with it"
    assert tombstone is not None
    async with httpx.AsyncClient(timeout=30) as http:
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
    async with httpx.AsyncClient(timeout=30) as http:
        for server in servers:
            listed = await http.get(f"{server.http_url}/api/rooms/doomed/threads?status=all")
            assert listed.status_code == 200 and listed.json()["items"] == [], listed.text


def test_clustering_refuses_sqlite_with_a_clear_message(tmp_path):
    done = run_collab(
        ["serve", "--redis-url", "redis://127.0.0.1:6379/0"],
        env={"COLLAB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", "PATH": "/usr/bin"},
        timeout=30,
    )
    assert done.returncode == 3  # configuration
    assert b"needs PostgreSQL" in done.stderr
