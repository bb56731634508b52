"""Everything a peer has seen survives restarts, SIGKILL and compaction, on every backend."""

from __future__ import annotations

import asyncio

from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.test_metrics import scrape
from tests.yclient import YClient


async def test_document_survives_a_graceful_restart(any_server: ServerProcess):
    async with YClient(any_server.ws_url, "keep", ack=True) as alice:
        alice.append("persist me")
        await alice.wait_for(lambda: alice.acked == alice.sent_updates == 2)
    await any_server.restart()
    async with YClient(any_server.ws_url, "keep") as fresh:
        await fresh.wait_text("persist me")


async def test_sigterm_closes_clients_with_service_restart_code(any_server: ServerProcess):
    async with YClient(any_server.ws_url, "bye") as alice:
        await alice.synced.wait()
        alice.append("last words")
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
    is there after the restart. On a SQLite file they were appended in one trip
    (collab/store/sqlite_append.py): checked in /metrics before the kill."""
    writer = YClient(any_server.ws_url, "acked", ack=True)
    await writer.connect()
    await writer.synced.wait()

    async def write_forever() -> None:
        for i in range(100_000):
            writer.append(f"<{i}>")
            await asyncio.sleep(0.002)

    stream = asyncio.create_task(write_forever())
    await writer.wait_for(lambda: writer.acked >= 200, timeout=20)
    path = "one_trip" if any_server.database_url.startswith("sqlite") else "sqlalchemy"
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


async def test_compaction_keeps_the_document_and_loads_from_the_compacted_state(
    make_server: ServerFactory, database_url: str
):
    server = make_server(database_url, COLLAB_COMPACT_MAX_UPDATES="25")
    await server.start()
    async with YClient(server.ws_url, "long", ack=True) as alice:
        await alice.synced.wait()
        for i in range(120):
            alice.append(f"{i},")
            await asyncio.sleep(0)
        await alice.wait_for(lambda: alice.acked == alice.sent_updates == 121)
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
