"""Bad input closes only its own connection; the room, its log and the other clients carry on."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from pycrdt import Doc, Text

from collab.protocol.awareness import AwarenessEntry, encode_awareness_entries
from collab.protocol.messages import encode_awareness
from tests.conftest import ServerFactory
from tests.launcher import run_collab
from tests.protocol.yupdates import deep_any_update
from tests.server import ServerProcess
from tests.test_metrics import scrape
from tests.yclient import YClient, open_stalled_client

# An update that decodes but makes yrs panic ("called `Option::unwrap()` on a `None` value")
# when applied to a document holding "hello world" typed by client 1 (found by mutation fuzzing).
PANIC_UPDATE = b"\x01\x00\x01\x99\xc4\x01\x02\x01\x03\x03XYZ\x01\x01\x01\x00\x02"


def _update_frame(update: bytes) -> bytes:
    from collab.protocol.messages import encode_update

    return encode_update(update)


def _hello_update() -> bytes:
    doc: Doc[Any] = Doc(client_id=1)
    doc.get("content", type=Text).insert(0, "hello world")
    return doc.get_update()


def test_panic_update_really_panics_pycrdt():
    doc: Doc[Any] = Doc()
    doc.apply_update(_hello_update())
    with pytest.raises(BaseException) as caught:
        doc.apply_update(PANIC_UPDATE)
    assert type(caught.value).__name__ == "PanicException"
    assert not isinstance(caught.value, Exception)


BAD_FRAMES: dict[str, tuple[bytes | str, int]] = {
    "garbage update": (_update_frame(b"\xff\xfe\xfd garbage"), 1007),
    "truncated update": (_update_frame(_hello_update()[:-5]), 1007),
    "panicking update": (_update_frame(PANIC_UPDATE), 1007),
    "truncated varint": (b"\x00\x02\xff", 1007),
    "length prefix beyond frame": (b"\x00\x02\xff\xff\x03abc", 1007),
    "unknown message type": (b"\x07\x00", 1002),
    "unknown sync type": (b"\x00\x09\x00", 1002),
    "bad awareness json": (b"\x01\x09\x01\x05\x01\x05{oops", 1007),
    "text frame": ("hello", 1003),
}


@pytest.mark.parametrize("name", list(BAD_FRAMES))
async def test_bad_frame_closes_only_its_connection(server: ServerProcess, name: str):
    frame, expected_code = BAD_FRAMES[name]
    async with YClient(server.ws_url, "victim", ack=True, client_id=1) as alice:
        await alice.synced.wait()
        alice.insert(0, "hello world")
        await alice.wait_for(lambda: alice.acked == 2)
        async with YClient(server.ws_url, "victim") as bob:
            await bob.wait_text("hello world")
            rows_before = await _stored_parts(server)

            attacker = YClient(server.ws_url, "victim")
            await attacker.connect()
            await attacker.synced.wait()
            await attacker.send_raw(frame)
            code, reason = await attacker.wait_closed()
            assert code == expected_code, reason
            assert reason

            assert await _stored_parts(server) == rows_before
            assert alice.closed.is_set() is False and bob.closed.is_set() is False
            alice.append("!")
            await bob.wait_text("hello world!")
    assert "hello world!" == await _text_from_database(server, "victim")


@pytest.mark.slow
async def test_a_room_whose_stored_data_is_refused_is_quarantined(
    make_server: ServerFactory, sqlite_url: str, tmp_path: Path
):
    """A room stored before updates were checked can hold a value that crashes yrs when
    rendered (20,000 levels: accepted, stored and acknowledged by older servers). Loading it
    walks every stored part first: the room is quarantined (4423 / 423), never rendered, the
    server carries on, and the operator lists, exports and releases it."""
    server = make_server(sqlite_url)
    await server.start()
    async with YClient(server.ws_url, "poisoned", ack=True) as alice:
        alice.append("precious")
        await alice.wait_for(lambda: alice.acked == 2)
    await server.stop()
    poison = deep_any_update(20_000, client=99)
    await _insert_raw_update(sqlite_url, "poisoned", poison)
    await server.start()
    for _ in range(2):
        client = YClient(server.ws_url, "poisoned")
        await client.connect()
        code, reason = await client.wait_closed()
        assert code == 4423 and "quarantined" in reason, reason
        assert client.received_updates == []
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        response = await http.get("/api/rooms/poisoned/snapshot", params={"format": "json"})
        assert response.status_code == 423, response.text
        assert "quarantined" in response.json()["detail"]
    async with YClient(server.ws_url, "healthy", ack=True) as other:  # the rest carries on
        other.append("fine")
        await other.wait_for(lambda: other.acked == 2)
    listed = _collab("quarantine", "list", database_url=sqlite_url)
    assert listed.returncode == 0 and b"poisoned" in listed.stdout and b"nested" in listed.stdout
    exported = tmp_path / "poisoned.json"
    result = _collab(
        "quarantine", "export", "poisoned", "-o", str(exported), database_url=sqlite_url
    )
    assert result.returncode == 0, result.stderr
    raw = json.loads(exported.read_text())
    assert base64.b64encode(poison).decode() in raw["log"] and raw["quarantined"]
    await server.stop()
    await _delete_update_rows_matching(sqlite_url, poison)
    released = _collab("quarantine", "release", "poisoned", database_url=sqlite_url)
    assert released.returncode == 0, released.stderr
    assert b"poisoned" not in _collab("quarantine", "list", database_url=sqlite_url).stdout
    await server.start()
    async with YClient(server.ws_url, "poisoned") as fresh:
        await fresh.wait_text("precious")


async def test_a_stored_version_that_could_crash_yrs_is_never_rendered(server: ServerProcess):
    async with YClient(server.ws_url, "history", ack=True) as alice:
        alice.append("text")
        await alice.wait_for(lambda: alice.acked == 2)
    version = await _insert_raw_version(server.database_url, "history", deep_any_update(20_000))
    async with httpx.AsyncClient(
        timeout=30, base_url=f"{server.http_url}/api/rooms/history"
    ) as http:
        for path in (f"/versions/{version}", f"/versions/{version}/diff"):
            response = await http.get(path)
            assert response.status_code == 423 and "refuses to render" in response.text
        response = await http.post(f"/versions/{version}/restore", json={})
        assert response.status_code == 423
        assert (await http.get("/snapshot", params={"format": "text"})).text == "text"
    assert (await server.health())["status"] == "ok"


async def _insert_raw_version(database_url: str, room: str, state: bytes) -> int:
    from collab.store.base import NewVersion
    from collab.store.db import create_engine
    from collab.store.sql import SqlStore

    store = SqlStore(create_engine(database_url))
    try:
        appended = await store.append([NewVersion(room, state, "poison", "named", "Poison")])
        [result] = appended.versions
        return result.info.id
    finally:
        await store.close()


def _collab(*args: str, database_url: str) -> subprocess.CompletedProcess[bytes]:
    return run_collab([*args, "--database-url", database_url])


async def test_socket_dying_mid_sync_does_not_disturb_the_room(server: ServerProcess):
    async with YClient(server.ws_url, "mid") as alice:
        alice.append("stable")
        for _ in range(5):
            ghost = YClient(server.ws_url, "mid")
            await ghost.connect()
            ghost.abort()
        await asyncio.sleep(0.2)
        async with YClient(server.ws_url, "mid") as bob:
            await bob.wait_text("stable")
            bob.append("+")
            await alice.wait_text("stable+")
    await server.wait_health(rooms=0, connections=0)


async def test_concurrent_first_connections_load_the_room_once(server: ServerProcess):
    async with YClient(server.ws_url, "crowd", ack=True) as alice:
        alice.append("shared")
        await alice.wait_for(lambda: alice.acked == 2)
    await server.wait_health(rooms=0, connections=0)
    loads_before = int((await server.health())["room_loads"])
    clients = [YClient(server.ws_url, "crowd") for _ in range(20)]
    await asyncio.gather(*(c.connect() for c in clients))
    await asyncio.gather(*(c.wait_text("shared") for c in clients))
    assert (await server.health())["room_loads"] == loads_before + 1
    await asyncio.gather(*(c.close() for c in clients))


async def test_rooms_are_isolated_and_unloaded_after_last_client_leaves(server: ServerProcess):
    clients = [YClient(server.ws_url, f"room-{i}", ack=True) for i in range(30)]
    await asyncio.gather(*(c.connect() for c in clients))
    for i, client in enumerate(clients):
        client.append(f"text of room {i}")
    await asyncio.gather(*(_wait_acked(c, 2) for c in clients))
    assert (await server.health())["rooms"] == 30
    await asyncio.gather(*(c.close() for c in clients))
    await server.wait_health(rooms=0, connections=0)
    for i in (0, 17, 29):
        async with YClient(server.ws_url, f"room-{i}") as again:
            await again.wait_text(f"text of room {i}")


async def test_invalid_room_name_is_refused_with_a_reason(server: ServerProcess):
    client = YClient(server.ws_url, ".hidden")
    await client.connect()
    code, reason = await client.wait_closed()
    assert code == 4400 and "room names" in reason


# -- helpers ---------------------------------------------------------------------------------


async def _wait_acked(client: YClient, count: int) -> None:
    await client.wait_for(lambda: client.acked == count)


async def _stored_parts(server: ServerProcess) -> list[bytes]:
    from collab.store.db import create_engine
    from collab.store.sql import SqlStore

    await asyncio.sleep(0.2)  # let any (wrongly) accepted write reach the database
    store = SqlStore(create_engine(server.database_url))
    try:
        return (await store.load("victim")).parts
    finally:
        await store.close()


async def _text_from_database(server: ServerProcess, room: str) -> str:
    from collab.store.db import create_engine
    from collab.store.sql import SqlStore

    store = SqlStore(create_engine(server.database_url))
    try:
        doc: Doc[Any] = Doc()
        for part in (await store.load(room)).parts:
            doc.apply_update(part)
        return str(doc.get("content", type=Text))
    finally:
        await store.close()


async def _insert_raw_update(database_url: str, room: str, data: bytes) -> None:
    from collab.store.base import NewUpdate
    from collab.store.db import create_engine
    from collab.store.sql import SqlStore

    store = SqlStore(create_engine(database_url))
    try:
        await store.append([NewUpdate(room, data)])
    finally:
        await store.close()


async def _delete_update_rows_matching(database_url: str, data: bytes) -> None:
    from sqlalchemy import delete

    from collab.store.db import create_engine
    from collab.store.models import UpdateRow

    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(delete(UpdateRow).where(UpdateRow.data == data))
    finally:
        await engine.dispose()


async def test_awareness_message_repeating_a_removal_is_harmless(server: ServerProcess):
    async with YClient(server.ws_url, "twice") as alice, YClient(server.ws_url, "twice") as bob:
        cid = alice.doc.client_id
        entries = [
            AwarenessEntry(cid, 1, '{"user": {"name": "A"}}'),
            AwarenessEntry(cid, 2, "null"),
            AwarenessEntry(cid, 3, "null"),
        ]
        await alice.send_raw(encode_awareness(encode_awareness_entries(entries)))
        alice.append("still here")
        await bob.wait_text("still here")
        assert not alice.closed.is_set(), (alice.close_code, alice.close_reason)
        await alice.send_raw(alice.set_awareness(4, {"user": {"name": "A again"}}))
        await bob.wait_for(lambda: cid in bob.awareness)


_REFUSE_POISON = {
    "sqlite": [
        f"CREATE TRIGGER refuse_poison_{table} BEFORE INSERT ON {table} "
        "WHEN NEW.author = 'poison' BEGIN SELECT RAISE(ABORT, 'poison refused'); END"
        for table in ("updates", "versions")
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
        "IF NEW.author = 'poison' THEN "
        "RAISE EXCEPTION 'poison refused' USING ERRCODE = 'check_violation'; END IF; "
        "RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON updates "
        "FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON versions "
        "FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
    ],
}


async def test_a_write_the_database_refuses_resets_only_its_room(
    make_server: ServerFactory, database_url: str
):
    """The database itself (a trigger) refuses one author's updates for good. The refused write
    is neither acknowledged nor relayed; its room is closed with a retryable code and reloads
    what is stored; every other room goes on committing (no endless retry of the batch)."""
    from sqlalchemy import text

    from collab.store import migrate
    from collab.store.db import create_engine

    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    async with engine.begin() as conn:
        for statement in _REFUSE_POISON[engine.dialect.name]:
            await conn.execute(text(statement))
    await engine.dispose()
    server = make_server(database_url)
    await server.start()
    async with (
        YClient(server.ws_url, "calm", ack=True) as calm,
        YClient(server.ws_url, "victim", ack=True) as honest,
    ):
        honest.append("kept")
        await honest.wait_for(lambda: honest.acked == 2)
        poison = YClient(server.ws_url, "victim", ack=True)
        poison.url += "&name=poison"
        await poison.connect()
        await poison.wait_text("kept")
        poison.append(" poisoned")
        code, reason = await poison.wait_closed()
        assert code == 1011 and "could not be stored" in reason
        assert poison.acked == 1, "a refused write must not be acknowledged as durable"
        assert (await honest.wait_closed())[0] == 1011
        assert "poisoned" not in honest.text
        calm.append("still committing")
        await calm.wait_for(lambda: calm.acked == 2)
        # A refused version fails only its request: the room and its clients carry on.
        async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
            refused = await http.post("/calm/versions", json={"label": "v", "author": "poison"})
            assert refused.status_code == 500 and "refused" in refused.json()["detail"]
            calm.append(" and on")
            await calm.wait_for(lambda: calm.acked == 3)
            assert not calm.closed.is_set()
            saved = await http.post("/calm/versions", json={"label": "v", "author": "Ada"})
            assert saved.status_code == 201, saved.text
    if engine.dialect.name == "sqlite":  # the updates, the refused one too, took the fast path
        counts = await scrape(server)
        fast = [("collab_store_appends_total", f"path={p}") for p in ("event_loop", "one_trip")]
        assert sum(counts[key] for key in fast) >= 4
    text_now = await _reload_text(server, "victim")
    assert text_now == "kept"
    assert "refused a write" in server.log_text()


async def _reload_text(server: ServerProcess, room: str) -> str:
    """Connect as a client would, retrying while the room is being reset (1011)."""
    async with asyncio.timeout(10):
        while (text := await _synced_text(server, room)) is None:
            await asyncio.sleep(0.1)
        return text


async def _synced_text(server: ServerProcess, room: str) -> str | None:
    client = YClient(server.ws_url, room)
    await client.connect()
    try:
        await client.wait_for(lambda: client.synced.is_set() or client.closed.is_set())
        return None if client.closed.is_set() else client.text
    finally:
        await client.close()


@pytest.mark.slow
async def test_sigterm_ends_despite_a_client_that_stopped_reading(
    make_server: ServerFactory, sqlite_url: str
):
    """A socket whose peer never reads cannot flush, so it never closes by itself: shutdown
    ends it after COLLAB_SHUTDOWN_TIMEOUT instead of waiting for it, and loses nothing."""
    server = make_server(
        sqlite_url,
        COLLAB_SHUTDOWN_TIMEOUT="1",
        COLLAB_RATE_BYTES_PER_SECOND="1e9",
        COLLAB_RATE_BYTE_BURST="1000000000",
        # The stalled client answers no ping: on a loaded machine the edits below can take
        # longer than a ping's interval and timeout, which would drop it before shutdown.
        COLLAB_PING_INTERVAL="600",
        COLLAB_PING_TIMEOUT="600",
    )
    await server.start()
    # With its receive buffer small, the stalled client's kernel holds a few KiB; the server's
    # send buffer grows up to the kernel's tcp_wmem maximum. 1 MiB past that stays queued.
    _reader, stalled = await open_stalled_client(server.port, "backlog", receive_buffer=4096)
    edits = (_kernel_send_buffer_max() + 1024 * 1024) // 16_384
    async with YClient(server.ws_url, "backlog", ack=True) as writer:
        for i in range(1, edits + 1):
            writer.append("z" * 16_384)
            if i % 16 == 0:
                await writer.wait_for(lambda: writer.acked == writer.sent_updates)
        assert (await server.health())["connections"] == 2  # the stalled one is still queued
        assert await server.stop() in (0, -15)  # raises if the server is still up after 30 s
        code, _ = await writer.wait_closed()
        assert code == 1012
    stalled.close()
    log = server.log_text()
    # uvicorn's own line: the stalled socket was still unflushed when the timeout ran out.
    assert "timeout graceful shutdown exceeded" in log
    assert "Application shutdown complete" in log
    await server.start()
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        served = await http.get("/api/rooms/backlog/snapshot", params={"format": "text"})
    assert len(served.text) == edits * 16_384, len(served.text)


def _kernel_send_buffer_max() -> int:
    """The most a TCP socket's send buffer grows to here (Linux's tcp_wmem maximum; 4 MiB, its
    default, where that cannot be read)."""
    try:
        return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    except (OSError, IndexError, ValueError):
        return 4 * 1024 * 1024


async def test_while_the_database_cannot_commit_clients_are_told_and_nothing_is_lost(
    make_server: ServerFactory, sqlite_url: str
):
    """Acknowledgements pause while commits wait on the database, and that is said: /healthz
    reports saving delayed, REST answers 503 with Retry-After after a bounded wait; once the
    database answers again, every change made meanwhile is committed."""
    import sqlite3

    server = make_server(sqlite_url, COLLAB_COMMIT_WAIT="1")
    await server.start()
    async with YClient(server.ws_url, "stuck", ack=True) as editor:
        editor.append("before")
        await editor.wait_for(lambda: editor.acked == 2)
        locker = sqlite3.connect(sqlite_url.split("///", 1)[1], isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # every write of the server now waits
        try:
            editor.append(" during")
            async with asyncio.timeout(15):
                while (writer := (await server.health())["writer"])["state"] != "delayed":
                    await asyncio.sleep(0.1)
            assert (await server.health())["status"] == "degraded"
            async with httpx.AsyncClient(
                timeout=30, base_url=f"{server.http_url}/api/rooms/stuck"
            ) as http:
                insert = {"op": "insert", "index": 0, "text": "!"}
                response = await http.patch("/text", json={"ops": [insert]})
                assert response.status_code == 503 and response.headers["retry-after"]
                assert "saving is delayed" in response.json()["detail"]
                response = await http.get("/snapshot", params={"format": "text"})
                assert response.status_code == 503 and response.headers["retry-after"]
            assert editor.acked == 2 and writer["pending"] is not None
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        await editor.wait_for(lambda: editor.acked == 3, timeout=30)
    assert (await server.health())["status"] == "ok"
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms/stuck") as http:
        text = (await http.get("/snapshot", params={"format": "text"})).text
    assert text == "!before during"
