"""JSON logs with ids; /livez and /readyz (a locked database, the SIGTERM drain)."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3

import httpx

from tests.conftest import ServerFactory
from tests.yclient import YClient


async def test_json_logs_carry_room_and_connection_ids(
    make_server: ServerFactory, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_LOG_FORMAT="json", COLLAB_LOG_LEVEL="debug")
    await server.start()
    async with YClient(server.ws_url, "logged", name="Ann") as client:
        await client.send_raw(client.set_awareness(1, {"user": {"name": "Bea"}}))
        await client.wait_for(lambda: bool(client.awareness))
    await server.wait_health(connections=0)
    async with YClient(server.ws_url, "bad%21") as refused:
        await refused.wait_closed()
    await server.stop()
    lines = [line for line in server.log_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    renamed = [e for e in entries if "is now 'Bea'" in e["message"]]
    assert renamed and renamed[0]["room"] == "logged" and renamed[0]["connection"] == 1
    assert renamed[0]["request"]
    refusal = [e for e in entries if e["message"].startswith("refused WebSocket")]
    assert refusal and refusal[0]["room"] == "bad!"
    assert any(e["logger"] == "uvicorn.error" for e in entries)  # uvicorn's lines too
    opened = [e for e in entries if e["message"] == "connection open"]
    assert opened and opened[0]["logger"] == "collab.websockets"  # shown when debugging


async def test_a_connection_logs_one_line_at_the_default_level(
    make_server: ServerFactory, sqlite_url: str
) -> None:
    """uvicorn's "[accepted]" line (address and path) is the line a connection makes;
    websockets' "connection open" and "connection closed" are kept for debugging."""
    server = make_server(sqlite_url)
    await server.start()
    async with YClient(server.ws_url, "quiet-log") as client:
        await client.synced.wait()
    await server.wait_health(connections=0)
    await server.stop()
    text = server.log_text()
    assert '"WebSocket /ws/quiet-log" [accepted]' in text
    assert "connection open" not in text and "connection closed" not in text


async def test_readyz_fails_while_the_database_is_locked(
    make_server: ServerFactory, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_COMMIT_WAIT="1")
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        assert (await http.get("/readyz")).status_code == 200
        async with YClient(server.ws_url, "stuck", ack=True) as editor:
            editor.append("before")
            await editor.wait_for(lambda: editor.acked == 2)
            locker = sqlite3.connect(sqlite_url.split("///", 1)[1], isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")
            try:
                editor.append(" during")
                async with asyncio.timeout(15):
                    while (response := await http.get("/readyz")).status_code == 200:
                        await asyncio.sleep(0.1)
                assert response.status_code == 503
                assert "delayed" in response.json()["reason"]
                assert (await http.get("/livez")).status_code == 200
            finally:
                locker.execute("ROLLBACK")
                locker.close()
            await editor.wait_for(lambda: editor.acked == 3, timeout=30)
        assert (await http.get("/readyz")).status_code == 200


async def test_readyz_fails_first_when_draining(
    make_server: ServerFactory, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_DRAIN_DELAY="2")
    await server.start()
    async with (
        httpx.AsyncClient(timeout=30, base_url=server.http_url) as http,
        YClient(server.ws_url, "draining") as client,
    ):
        await client.wait_for(lambda: client.synced.is_set())
        assert (await http.get("/readyz")).status_code == 200
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(5):
            while (response := await http.get("/readyz")).status_code == 200:
                await asyncio.sleep(0.05)
        assert response.json()["reason"] == "shutting down"
        await asyncio.sleep(1.0)
        assert not client.closed.is_set()  # sockets stay open through the drain delay
        async with httpx.AsyncClient(
            timeout=30, base_url=server.http_url
        ) as fresh:  # still listening
            assert (await fresh.get("/readyz")).status_code == 503
            assert (await fresh.get("/livez")).status_code == 200
        code, _ = await client.wait_closed(timeout=10)
        assert code == 1012
    assert await server.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
