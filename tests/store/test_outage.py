"""The database down: every REST operation that needs it answers 503 with Retry-After and a
problem document, a WebSocket join closes with 1013, and the log says so in one line per
request, without a traceback (an outage is not a bug). README "Failure and recovery"."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
from typing import Any

import httpx
import pytest
from pycrdt import Doc, Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from collab.api.errors import RETRY_AFTER_SECONDS
from collab.store.links import SqlLinks
from collab.store.outage import is_outage
from collab.store.sql import SqlStore
from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.tcpproxy import TcpProxy
from tests.yclient import YClient


def _update() -> bytes:
    doc: Doc[Any] = Doc()
    doc.get("content", type=Text).insert(0, "typed")
    return doc.get_update()


# (method, path, request arguments): the ten operations that need the database. The snapshot
# is of a room never loaded: a live room's committed state is served from memory.
OPERATIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/api/rooms/doc", {}),
    ("GET", "/api/rooms", {}),
    ("GET", "/api/rooms/doc/versions", {}),
    ("PATCH", "/api/rooms/doc/text", {"json": {"text": "changed"}}),
    (
        "POST",
        "/api/rooms/doc/updates",
        {"content": _update(), "headers": {"content-type": "application/octet-stream"}},
    ),
    ("PUT", "/api/rooms/another", {}),
    ("POST", "/api/rooms/doc/versions", {"json": {"label": "during"}}),
    ("POST", "/api/rooms/doc/versions/{version}/restore", {}),
    ("DELETE", "/api/rooms/doc", {}),
    ("GET", "/api/rooms/stored/snapshot", {"params": {"format": "text"}}),
]


# A REST write waits at most a second for its commit; every commit compacts (so the process
# takes the room's lease), and leases are renewed twice a second: background work meets the
# outage within the test.
OUTAGE_ENV = {
    "COLLAB_COMMIT_WAIT": "1",
    "COLLAB_COMPACT_MAX_UPDATES": "1",
    "COLLAB_LEASE_RENEW_SECONDS": "0.5",
    "COLLAB_LEASE_SECONDS": "5",
}


def _through(database_url: str, proxy: TcpProxy) -> str:
    """The same database, reached through the proxy."""
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


async def _prepared(server: ServerProcess) -> int:
    """A room with text and a version, and one only stored; the version's id."""
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        assert (await http.put("/api/rooms/stored")).status_code == 201
        assert (await http.put("/api/rooms/doc")).status_code == 201
        assert (await http.patch("/api/rooms/doc/text", json={"text": "kept"})).status_code == 200
        made = await http.post("/api/rooms/doc/versions", json={"label": "before"})
        assert made.status_code == 201, made.text
        version: int = made.json()["id"]
        return version


def _assert_unavailable(answer: httpx.Response) -> None:
    where = f"{answer.request.method} {answer.request.url.path}"
    assert answer.status_code == 503, f"{where}: {answer.status_code} {answer.text}"
    assert answer.headers["retry-after"] == str(RETRY_AFTER_SECONDS), where
    assert answer.headers["content-type"] == "application/problem+json", where
    assert answer.json()["status"] == 503 and answer.json()["detail"], where


async def test_with_postgres_down_every_operation_answers_503_and_logs_one_line(
    postgres_url: str, make_server: ServerFactory
):
    async with TcpProxy("127.0.0.1", make_url(postgres_url).port or 5432) as proxy:
        server = make_server(_through(postgres_url, proxy), **OUTAGE_ENV)
        await server.start()
        version = await _prepared(server)
        await _logged(server, "room doc: compacted")  # under the room's lease
        async with YClient(server.ws_url, "doc", ack=True) as editor:
            await editor.synced.wait()
            await proxy.cut()
            editor.append(" typed while it is down")  # the writer retries it
            async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
                for method, path, arguments in OPERATIONS:
                    answer = await http.request(method, path.format(version=version), **arguments)
                    _assert_unavailable(answer)
            async with YClient(server.ws_url, "unloaded") as client:
                code, reason = await client.wait_closed()
            assert code == 1013, reason
            for background in ("commit of 1 updates failed", "room leases failed"):
                await _logged(server, f"{background} (ConnectionRefusedError")
    log = server.log_text()
    assert "Traceback" not in log, log
    said = [line for line in log.splitlines() if "collab.api.errors" in line]
    assert len(said) == len(OPERATIONS), log
    assert all("unavailable; retry later (ConnectionRefusedError" in line for line in said), log


async def _logged(server: ServerProcess, text: str) -> None:
    """Wait until the server's log holds `text` (background work, on its own schedule)."""
    async with asyncio.timeout(15):
        while text not in server.log_text():
            await asyncio.sleep(0.05)


async def test_with_sqlite_locked_a_write_answers_503_after_the_busy_wait(
    make_server: ServerFactory, sqlite_url: str
):
    """SQLite's writer lock held by another process past the busy timeout: the write that
    waited for it answers 503 (one line in the log), not 500 with a traceback."""
    server = make_server(sqlite_url)
    await server.start()
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        assert (await http.put("/api/rooms/first")).status_code == 201
        locker = sqlite3.connect(sqlite_url.split("///", 1)[1], isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            _assert_unavailable(await http.put("/api/rooms/second"))
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert (await http.put("/api/rooms/second")).status_code == 201
    log = server.log_text()
    assert "Traceback" not in log, log
    assert "OperationalError: (sqlite3.OperationalError) database is locked" in log, log


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError(), True),
        (OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")), True),
        (sqlite3.OperationalError("database is locked"), True),
        (IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")), False),
        (ProgrammingError("SELEC", {}, sqlite3.ProgrammingError("syntax")), False),
        (ValueError("a bug"), False),
    ],
)
def test_an_outage_is_told_from_a_refusal_and_from_a_bug(error: Exception, outage: bool):
    assert is_outage(error) is outage


@pytest.mark.parametrize("store", [SqlStore, SqlLinks])
def test_every_public_coroutine_of_the_store_is_translated(store: type):
    public = [
        name
        for name, member in vars(store).items()
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    ]
    assert public and all(hasattr(getattr(store, name), "__wrapped__") for name in public)
