"""Everything a peer has seen survives restarts, SIGKILL and compaction, on every backend;
so does every comment acknowledged, and its webhook."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import ServerFactory
from tests.server import ServerProcess, free_port
from tests.test_metrics import scrape
from tests.test_webhooks import Receiver, receiving, webhook_server
from tests.yclient import YClient


async def test_document_survives_a_graceful_restart(any_server: ServerProcess):
    async with YClient(any_server.ws_url, "keep", ack=True) as alice:
        alice.append("persist me")
        await alice.wait_for(lambda: alice.acked == alice.sent_updates == 2)
    await any_server.restart()
    async with YClient(any_server.ws_url, "keep") as fresh:
        await fresh.wait_text("persist me")


async def test_sigterm_closes_clients_with_service_restart_code(any_server: ServerProcess):
    async with YClient(any_server.ws_url, "bye", ack=True) as alice:
        await alice.synced.wait()
        alice.append("last words")
        # Acknowledged, so the server must keep it (an update still on the wire when SIGTERM
        # lands was never received, and may be lost).
        await alice.wait_for(lambda: alice.acked == alice.sent_updates)
        stop = asyncio.create_task(any_server.stop())
        code, _ = await alice.wait_closed()
        assert code == 1012
        assert await stop in (0, -15)  # uvicorn re-raises SIGTERM after a clean shutdown
    await any_server.start()
    async with YClient(any_server.ws_url, "bye") as fresh:
        await fresh.wait_text("last words")


async def test_sigkill_loses_nothing_a_peer_had_received(any_server: ServerProcess):
    writer = YClient(any_server.ws_url, "stream")
    reader = YClient(any_server.ws_url, "stream")
    await writer.connect()
    await reader.connect()
    await writer.synced.wait()
    await reader.synced.wait()

    async def write_forever() -> None:
        for i in range(100_000):
            writer.append(f"<{i}>")
            await asyncio.sleep(0.002)

    stream = asyncio.create_task(write_forever())
    await reader.wait_for(lambda: reader.text.count("<") >= 200, timeout=20)
    await any_server.kill()
    stream.cancel()
    seen = reader.text
    seen_count = seen.count("<")
    await writer.close()
    await reader.close()

    await any_server.start()
    async with YClient(any_server.ws_url, "stream") as fresh:
        await fresh.synced.wait()
        recovered = fresh.text
    assert seen_count >= 200
    assert recovered.startswith(seen), "every update a peer had received must be in the database"
    assert recovered.count("<") >= seen_count


async def test_sigkill_loses_no_acknowledged_update(any_server: ServerProcess):
    """Updates stream in while the server is killed; every one acknowledged as durable before
    is there after the restart. They were committed on the event loop's thread on a SQLite
    file (collab/store/sqlite_inline.py) and in one statement on PostgreSQL
    (collab/store/postgres_append.py): checked in /metrics before the kill."""
    writer = YClient(any_server.ws_url, "acked", ack=True)
    await writer.connect()
    await writer.synced.wait()

    async def write_forever() -> None:
        for i in range(100_000):
            writer.append(f"<{i}>")
            await asyncio.sleep(0.002)

    stream = asyncio.create_task(write_forever())
    await writer.wait_for(lambda: writer.acked >= 200, timeout=20)
    path = "event_loop" if any_server.database_url.startswith("sqlite") else "one_statement"
    assert (await scrape(any_server))[("collab_store_appends_total", f"path={path}")] > 0
    await any_server.kill()
    stream.cancel()
    await writer.close()
    acked = writer.acked  # the first message was the answer to the server's SyncStep1
    await any_server.start()
    async with YClient(any_server.ws_url, "acked") as fresh:
        await fresh.synced.wait()
        recovered = fresh.text
    durable = "".join(f"<{i}>" for i in range(acked - 1))
    assert recovered.startswith(durable), f"{acked - 1} updates were acknowledged as durable"


async def test_sigkill_loses_no_acknowledged_comment_nor_its_webhook(
    make_server: ServerFactory, database_url: str
):
    """Threads and replies stream in from four commenters while the server is killed; every
    comment answered 201 before is there after the restart, and its comment.created webhook is
    delivered then (the receiver listens only after the restart: only the outbox, written in
    the comment's own transaction, can announce it)."""
    receiver = Receiver(port=free_port())
    server = webhook_server(
        make_server, database_url, receiver, COLLAB_COMMENTS_PER_MINUTE="1000000"
    )
    await server.start()
    acked: dict[str, str] = {}  # comment id: its body
    refused: list[int] = []
    enough = asyncio.Event()

    async def comment_forever(http: httpx.AsyncClient, writer: int) -> None:
        thread = None
        for i in range(100_000):
            body = f"w{writer}-{i}"
            try:
                if i % 5 == 0:
                    passage = {"index": writer, "length": 5}
                    answer = await http.post("/c/threads", json={"passage": passage, "body": body})
                else:
                    answer = await http.post(f"/c/threads/{thread}/comments", json={"body": body})
            except httpx.HTTPError:
                return  # killed: this one was never acknowledged
            if answer.status_code != 201:
                refused.append(answer.status_code)
                return
            made = answer.json()
            if i % 5 == 0:
                thread, made = made["id"], made["comments"][0]
            acked[made["id"]] = body
            if len(acked) >= 80:
                enough.set()

    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/c")).status_code == 201
        assert (await http.patch("/c/text", json={"text": "comment on me, please"})).is_success
        writers = [asyncio.create_task(comment_forever(http, n)) for n in range(4)]
        async with asyncio.timeout(30):
            await enough.wait()
        await server.kill()
        await asyncio.gather(*writers)
    assert refused == [], "nothing was refused before the kill"
    survivors = dict(acked)

    async with receiving(receiver):
        await server.start()
        async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
            listed = await http.get("/c/threads", params={"status": "all"})
        stored = {c["id"]: c["body"] for t in listed.json()["items"] for c in t["comments"]}
        missing = {k: v for k, v in survivors.items() if stored.get(k) != v}
        assert not missing, f"{len(missing)} acknowledged comments were lost"

        def announced() -> set[str]:
            created = receiver.delivered("comment.created")
            return {r.json["comment"]["id"] for r in created}

        await receiver.wait(lambda: set(survivors) <= announced(), timeout=30)
    assert len(survivors) >= 80


async def test_compaction_keeps_the_document_and_loads_from_the_compacted_state(
    make_server: ServerFactory, database_url: str
):
    server = make_server(database_url, COLLAB_COMPACT_MAX_UPDATES="25")
    await server.start()
    async with YClient(server.ws_url, "long", ack=True) as alice:
        await alice.synced.wait()
        for i in range(120):  # each committed alone: a row each (a run in one commit is one)
            alice.append(f"{i},")
            await alice.wait_for(lambda: alice.acked == alice.sent_updates)
        assert alice.sent_updates == 121
        expected = alice.text
    rows = await _log_rows(database_url, "long")
    assert rows < 120, f"the log still holds {rows} rows: compaction did not run"
    await server.restart()
    async with YClient(server.ws_url, "long") as fresh:
        await fresh.wait_text(expected)


async def _log_rows(database_url: str, room: str) -> int:
    from sqlalchemy import func, select

    from collab.store.db import create_engine
    from collab.store.models import UpdateRow

    engine = create_engine(database_url)
    try:
        for _ in range(100):
            async with engine.connect() as conn:
                count = await conn.scalar(
                    select(func.count()).select_from(UpdateRow).where(UpdateRow.room == room)
                )
            if count is not None and count < 100:
                return count
            await asyncio.sleep(0.05)
        return int(count or 0)
    finally:
        await engine.dispose()
