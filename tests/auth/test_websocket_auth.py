"""Tokens, roles and Origin on the WebSocket endpoint, against a real server with a secret."""

from __future__ import annotations

import asyncio
import time

import httpx
import jwt
import pytest
import websockets

from collab.auth import issue_token
from collab.protocol.messages import encode_sync_step2, encode_update
from tests.conftest import ServerFactory
from tests.protocol.yupdates import deep_any_update
from tests.server import ServerProcess
from tests.yclient import YClient

SECRET = "test-secret-with-enough-entropy-0123456789"


def token(room: str = "doc", role: str = "editor", *, name: str = "Ada", ttl: float = 600) -> str:
    return issue_token(SECRET, user=f"user-{name}", name=name, grants={room: role}, ttl_seconds=ttl)


@pytest.fixture
async def secured(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(
        sqlite_url, COLLAB_SECRET=SECRET, COLLAB_ALLOWED_ORIGINS="https://app.example"
    )
    await server.start()
    return server


async def _refused(server: ServerProcess, room: str, **kwargs: object) -> tuple[int | None, str]:
    client = YClient(server.ws_url, room, **kwargs)  # type: ignore[arg-type]
    await client.connect()
    code, reason = await client.wait_closed()
    assert client.received_updates == [], "no document data before the checks pass"
    return code, reason


async def _viewer_of_original(server: ServerProcess, editor: YClient) -> YClient:
    """The editor writes "original"; a viewer connects and reads it."""
    editor.append("original")
    await editor.wait_for(lambda: editor.acked == 2)
    viewer = YClient(server.ws_url, "doc", token=token(role="viewer", name="Vi"))
    await viewer.connect()
    await viewer.wait_text("original")
    return viewer


async def test_token_matrix(secured: ServerProcess):
    expired = token(ttl=-10)
    forged = jwt.encode(
        {"sub": "x", "exp": time.time() + 60, "rooms": {"doc": "admin"}},
        "wrong-secret-but-long-enough-0123456789",
    )
    assert (await _refused(secured, "doc"))[0] == 4401
    assert (await _refused(secured, "doc", token="not-a-jwt"))[0] == 4402
    assert (await _refused(secured, "doc", token=forged))[0] == 4402
    code, reason = await _refused(secured, "doc", token=expired)
    assert code == 4419 and "expired" in reason
    assert (await _refused(secured, "other", token=token("doc")))[0] == 4403
    prefix = issue_token(SECRET, user="u", name="P", grants={"team-*": "editor"}, ttl_seconds=60)
    assert (await _refused(secured, "teamwork", token=prefix))[0] == 4403
    async with YClient(secured.ws_url, "team-a", token=prefix) as ok:
        await ok.synced.wait()


async def test_editor_writes_and_viewer_reads_live(secured: ServerProcess):
    async with (
        YClient(secured.ws_url, "doc", token=token(), ack=True) as editor,
        YClient(secured.ws_url, "doc", token=token(role="viewer", name="Vi")) as viewer,
    ):
        editor.append("written by an editor")
        await viewer.wait_text("written by an editor")
        await editor.wait_for(lambda: editor.acked == 2)
        assert not viewer.closed.is_set(), "a viewer's no-op SyncStep2 must be accepted"


@pytest.mark.parametrize("kind", ["update", "sync step 2"])
async def test_viewer_writes_are_refused_and_never_stored(secured: ServerProcess, kind: str):
    async with YClient(secured.ws_url, "doc", token=token(), ack=True) as editor:
        viewer = await _viewer_of_original(secured, editor)
        viewer._applying = True  # build the write by hand, without the client sending it
        viewer.content.insert(0, "HACKED ")
        viewer._applying = False
        update = viewer.doc.get_update(editor.doc.get_state())
        frame = encode_update(update) if kind == "update" else encode_sync_step2(update)
        await viewer.send_raw(frame)
        code, reason = await viewer.wait_closed()
        assert code == 4403 and "viewers cannot edit" in reason
        editor.append("!")
        await editor.wait_for(lambda: editor.acked == 3)
        assert editor.text == "original!"
    async with YClient(secured.ws_url, "doc", token=token()) as fresh:
        await fresh.wait_text("original!")


async def test_token_expiring_while_connected_closes_with_expired_code(secured: ServerProcess):
    async with YClient(secured.ws_url, "doc", token=token(ttl=2)) as client:
        await client.synced.wait()
        code, _ = await client.wait_closed(timeout=10)
        assert code == 4419


async def test_query_token_fallback_is_redacted_from_logs(secured: ServerProcess):
    secret_token = token()
    query_client = YClient(secured.ws_url, "doc", token=secret_token, token_in_query=True, ack=True)
    async with query_client as client:
        client.append("via query")
        await client.wait_for(lambda: client.acked == 2)
    async with YClient(secured.ws_url, "doc", token=token(name="Bo")) as other:
        await other.wait_text("via query")
    log = secured.log_text()
    assert "token=[redacted]" in log
    assert secret_token not in log and secret_token.split(".")[2] not in log


@pytest.mark.parametrize("name", ["%74oken", "t%6Fken", "%74%6f%6b%65%6e"])
async def test_query_token_is_redacted_whatever_its_spelling(secured: ServerProcess, name: str):
    """The server decodes the parameter name, so every spelling it accepts is redacted."""
    secret_token = token(name="Spelled")
    async with websockets.connect(f"{secured.ws_url}/doc?ack=1&{name}={secret_token}") as ws:
        first = await asyncio.wait_for(ws.recv(), 5)
        assert isinstance(first, bytes) and first[0] == 0  # the token was accepted
    log = secured.log_text()
    assert f"{name}=[redacted]" in log
    assert secret_token.split(".")[2] not in log


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example", True),
        (None, True),
        ("https://evil.example", False),
        ("https://app.example.evil", False),
        ("https://evilapp.example", False),
        ("null", False),
    ],
)
async def test_origin_allow_list(secured: ServerProcess, origin: str | None, allowed: bool):
    client = YClient(secured.ws_url, "doc", token=token(), origin=origin)
    if allowed:
        await client.connect()
        await client.synced.wait()
        await client.close()
        return
    with pytest.raises(websockets.InvalidStatus) as refused:
        await client.connect()
    assert refused.value.response.status_code == 403


async def test_same_origin_is_the_default(make_server: ServerFactory, sqlite_url: str):
    server = make_server(sqlite_url)
    await server.start()
    same = YClient(server.ws_url, "doc", origin=f"http://127.0.0.1:{server.port}")
    await same.connect()
    await same.synced.wait()
    await same.close()
    with pytest.raises(websockets.InvalidStatus):
        await YClient(server.ws_url, "doc", origin="http://127.0.0.1:1").connect()


async def test_attribution_comes_from_the_token(secured: ServerProcess):
    import httpx

    async with YClient(secured.ws_url, "doc", token=token(name="Token Name"), ack=True) as client:
        client.url += "&name=Spoofed"
        client.append("signed work")
        await client.wait_for(lambda: client.acked == 2)
    headers = {"Authorization": f"Bearer {token(role='editor', name='Token Name')}"}
    async with httpx.AsyncClient(timeout=30, base_url=secured.http_url, headers=headers) as http:
        async with asyncio.timeout(10):
            while not (items := (await http.get("/api/rooms/doc/versions")).json()["items"]):
                await asyncio.sleep(0.1)
    assert items[0]["authors"] == ["Token Name"]


async def test_viewers_cannot_create_rooms_by_connecting(secured: ServerProcess):
    viewer = issue_token(SECRET, user="v", name="Vi", grants={"team-*": "viewer"}, ttl_seconds=60)
    code, reason = await _refused(secured, "team-new", token=viewer)
    assert code == 4404 and "does not exist" in reason
    admin = issue_token(SECRET, user="a", name="Ad", grants={"*": "admin"}, ttl_seconds=60)
    async with httpx.AsyncClient(
        timeout=30, base_url=f"{secured.http_url}/api", headers={"Authorization": f"Bearer {admin}"}
    ) as http:
        assert (await http.get("/rooms/team-new")).status_code == 404
        assert (await http.put("/rooms/team-new")).status_code == 201
    async with YClient(secured.ws_url, "team-new", token=viewer) as reader:
        await reader.synced.wait()  # once it exists, viewers may read it
        assert reader.text == "" and not reader.closed.is_set()


async def test_viewer_harmless_updates_cost_no_copy_and_are_never_cut_off(secured: ServerProcess):
    """A viewer's update is checked against the state vector and delete set, not a copy of the
    document, so however many harmless ones it sends, it stays connected; a change, or a deep
    value, is still refused."""
    async with YClient(secured.ws_url, "doc", token=token(), ack=True) as editor:
        viewer = await _viewer_of_original(secured, editor)
        known = encode_update(viewer.doc.get_update())  # nothing the server lacks
        for _ in range(60):
            await viewer.send_raw(known)
        editor.append("!")
        await viewer.wait_text("original!")
        assert not viewer.closed.is_set()
        deep = YClient(secured.ws_url, "doc", token=token(role="viewer", name="Vi"))
        await deep.connect()
        await deep.wait_text("original!")
        await deep.send_raw(encode_update(deep_any_update(25_000)))
        code, reason = await deep.wait_closed()
        assert code == 1007 and "nested deeper" in reason
        viewer.append("?")
        code, reason = await viewer.wait_closed()
        assert code == 4403
        editor.append("?")
        await editor.wait_for(lambda: editor.acked == 4)
    assert (await secured.health())["status"] == "ok"


async def test_non_browser_clients_may_send_a_bearer_header(secured: ServerProcess):
    async with websockets.connect(
        f"{secured.ws_url}/doc", additional_headers={"Authorization": f"Bearer {token()}"}
    ) as ws:
        first = await asyncio.wait_for(ws.recv(), 5)
        assert isinstance(first, bytes) and first[0] == 0  # a sync message: admitted
    async with websockets.connect(
        f"{secured.ws_url}/doc", additional_headers={"Authorization": "Bearer not-a-jwt"}
    ) as refused:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(refused.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4402
