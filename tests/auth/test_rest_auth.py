"""Bearer tokens and roles on every REST endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from collab.auth import issue_token
from tests.auth.test_websocket_auth import SECRET, token
from tests.conftest import ServerFactory
from tests.server import ServerProcess


@pytest.fixture
async def secured(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    return server


@pytest.fixture
async def http(secured: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, base_url=f"{secured.http_url}/api") as client:
        yield client


def bearer(role: str, room: str = "doc", name: str = "Ada") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(room, role, name=name)}"}


async def test_missing_and_bad_tokens_are_401_problems(http: httpx.AsyncClient):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = await http.get("/rooms/doc", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == "application/problem+json"
    expired = {"Authorization": f"Bearer {token(ttl=-5)}"}
    response = await http.get("/rooms/doc", headers=expired)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


async def test_role_matrix(http: httpx.AsyncClient):
    viewer, editor, admin = bearer("viewer"), bearer("editor"), bearer("admin")
    assert (await http.put("/rooms/doc", headers=viewer)).status_code == 403
    assert (await http.put("/rooms/doc", headers=editor)).status_code == 201
    patch = {"json": {"text": "hello"}}
    assert (await http.patch("/rooms/doc/text", headers=viewer, **patch)).status_code == 403  # type: ignore[arg-type]
    assert (await http.patch("/rooms/doc/text", headers=editor, **patch)).status_code == 200  # type: ignore[arg-type]
    snapshot = await http.get("/rooms/doc/snapshot", params={"format": "text"}, headers=viewer)
    assert snapshot.text == "hello"
    version = await http.post("/rooms/doc/versions", json={"label": "v"}, headers=editor)
    assert version.status_code == 201 and version.json()["author"] == "Ada"
    vid = version.json()["id"]
    assert (await http.get(f"/rooms/doc/versions/{vid}/diff", headers=viewer)).status_code == 200
    assert (
        await http.post(f"/rooms/doc/versions/{vid}/restore", headers=editor)
    ).status_code == 403
    assert (await http.post(f"/rooms/doc/versions/{vid}/restore", headers=admin)).status_code == 200
    assert (await http.delete("/rooms/doc", headers=editor)).status_code == 403
    assert (
        await http.get("/rooms/doc", headers=bearer("admin", room="elsewhere"))
    ).status_code == 403
    assert (await http.delete("/rooms/doc", headers=admin)).status_code == 204


async def test_listing_shows_only_granted_rooms(http: httpx.AsyncClient):
    admin = {
        "Authorization": "Bearer "
        + issue_token(SECRET, user="a", name="A", grants={"*": "admin"}, ttl_seconds=60)
    }
    for name in ("team-a", "team-b", "private"):
        assert (await http.put(f"/rooms/{name}", headers=admin)).status_code == 201
    team = {
        "Authorization": "Bearer "
        + issue_token(SECRET, user="t", name="T", grants={"team-*": "viewer"}, ttl_seconds=60)
    }
    names = [room["name"] for room in (await http.get("/rooms", headers=team)).json()["items"]]
    assert sorted(names) == ["team-a", "team-b"]
    assert (await http.get("/rooms", params={"limit": 1}, headers=team)).json()["next_cursor"]


async def test_health_schema_and_pages_stay_open(secured: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=secured.http_url) as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/api/openapi.json")).status_code == 200
        home = await http.get("/")
        assert "Sign in to see your documents" in home.text and "Got a share link" in home.text
        assert "Development mode" not in home.text
        assert "home-private" in home.text
        assert '"devMode": false' in (await http.get("/d/doc")).text


async def test_development_mode_says_so(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        assert "Development mode" in (await http.get("/")).text
    assert "DEVELOPMENT MODE" in server.log_text()


async def test_copy_checks_the_token_before_reading_the_body(http: httpx.AsyncClient):
    deep = "[" * 100_000 + "]" * 100_000
    response = await http.post(
        "/rooms/doc/copy", content=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401 and "token" in response.json()["detail"]


async def test_python_client_live_sync_authenticates(secured: ServerProcess):
    from collab.client import CollabClient

    async with (
        CollabClient(secured.http_url, token=token("doc", "editor", name="Py")) as client,
        client.live("doc") as live,
    ):
        live.text += "from the Python client"
        await live.flushed()
        response = await client.snapshot_text("doc")
        assert response == "from the Python client"
