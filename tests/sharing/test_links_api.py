"""Share links over real HTTP and WebSockets: minting by admins, what a link opens, expiry,
listing, revocation closing open connections (docs/protocol.md "Close codes")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

import collab
from collab.api.openapi import build_schema
from tests.api.test_documented_responses import check
from tests.auth.test_websocket_auth import SECRET, token
from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.yclient import YClient


def bearer(role: str, room: str = "doc") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(room, role, name='Ada')}"}


def admin() -> dict[str, str]:
    """Fresh each time: a token made at import expires before a long run reaches the test."""
    return bearer("admin")


@pytest.fixture
async def secured(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    return server


@pytest.fixture
async def http(secured: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, base_url=f"{secured.http_url}/api") as client:
        for room in ("doc", "other"):
            response = await client.put(f"/rooms/{room}", headers=bearer("admin", room))
            assert response.status_code == 201
        yield client


async def mint(http: httpx.AsyncClient, room: str = "doc", **body: Any) -> dict[str, Any]:
    response = await http.post(
        f"/rooms/{room}/links", json={"role": "viewer", **body}, headers=bearer("admin", room)
    )
    assert response.status_code == 201, response.text
    link: dict[str, Any] = response.json()
    return link


async def refused(server: ServerProcess, link_token: str, room: str = "doc") -> tuple[Any, str]:
    client = YClient(server.ws_url, room, token=link_token)
    await client.connect()
    closed = await client.wait_closed()
    assert client.received_updates == [], "no document data before the checks pass"
    return closed


async def test_minting_needs_the_admin_role(http: httpx.AsyncClient):
    body = {"role": "viewer"}
    assert (await http.post("/rooms/doc/links", json=body)).status_code == 401
    for role in ("viewer", "editor"):
        response = await http.post("/rooms/doc/links", json=body, headers=bearer(role))
        assert response.status_code == 403, role
        assert response.headers["content-type"] == "application/problem+json"
        assert "admin" in response.json()["detail"]
    elsewhere = await http.post("/rooms/doc/links", json=body, headers=bearer("admin", "other"))
    assert elsewhere.status_code == 403
    for method in ("GET", "DELETE"):
        path = "/rooms/doc/links" + ("/x" if method == "DELETE" else "")
        assert (await http.request(method, path, headers=bearer("editor"))).status_code == 403
        assert (await http.request(method, path)).status_code == 401
    missing = await http.post("/rooms/nowhere/links", json=body, headers=bearer("admin", "*"))
    assert missing.status_code == 404 and "does not exist" in missing.json()["detail"]


async def test_a_new_link_has_a_url_a_token_and_its_terms(
    http: httpx.AsyncClient, secured: ServerProcess
):
    before = datetime.now(UTC)
    link = await mint(http, role="editor", expires_in=3600, label="  for Bo ")
    assert link["role"] == "editor" and link["label"] == "for Bo" and link["status"] == "live"
    assert link["room"] == "doc" and link["created_by"] == "Ada" and link["revoked_at"] is None
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(seconds=3598) < expires - before < timedelta(seconds=3602)
    assert link["url"] == f"{secured.http_url}/d/doc#token={link['token']}"
    never = await mint(http)
    assert never["expires_at"] is None
    at = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    fixed = await mint(http, expires_at=at.isoformat())
    assert datetime.fromisoformat(fixed["expires_at"]) == at


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ([], "body: Input should be a valid dictionary"),
        ({}, "role: Field required"),
        ({"role": "admin"}, "role: Input should be 'viewer', 'commenter' or 'editor'"),
        ({"role": "viewer", "expires_in": 0}, "expires_in"),
        ({"role": "viewer", "expires_in": -5}, "expires_in"),
        ({"role": "viewer", "expires_in": 1.5}, "expires_in"),
        ({"role": "viewer", "expires_in": True}, "expires_in"),
        ({"role": "viewer", "expires_in": "1h"}, "expires_in"),
        ({"role": "viewer", "expires_in": 10**12}, "expires_in"),
        ({"role": "viewer", "expires_in": 60, "expires_at": "2099-01-01T00:00Z"}, "not both"),
        ({"role": "viewer", "expires_at": "2001-01-01T00:00Z"}, "future"),
        ({"role": "viewer", "expires_at": "2099-01-01T00:00"}, "timezone"),
        ({"role": "viewer", "expires_at": "soon"}, "expires_at: Input should be a valid datetime"),
        ({"role": "viewer", "label": 7}, "label"),
        ({"role": "viewer", "label": "x" * 201}, "label: String should have at most 200"),
        ({"role": "viewer", "lifetime": 5}, "lifetime: Extra inputs are not permitted"),
        ({"role": "viewer", "expires_at": "2099-01-01T00:00Z"}, "at most ten years"),
    ],
)
async def test_bad_bodies_are_422_problems(http: httpx.AsyncClient, body: Any, detail: str):
    response = await http.post("/rooms/doc/links", json=body, headers=admin())
    assert response.status_code == 422, response.text
    assert detail in response.json()["detail"]


async def test_a_body_that_is_not_json_is_refused(http: httpx.AsyncClient):
    headers = {**admin(), "content-type": "application/json"}
    response = await http.post("/rooms/doc/links", content=b"{role", headers=headers)
    assert response.status_code == 422 and "not valid JSON" in response.json()["detail"]


async def test_a_viewer_link_reads_and_an_editor_link_writes(
    http: httpx.AsyncClient, secured: ServerProcess
):
    viewer_link, editor_link = await mint(http), await mint(http, role="editor")
    async with YClient(secured.ws_url, "doc", token=token("doc", "admin"), ack=True) as admin:
        admin.append("hello")
        await admin.wait_for(lambda: admin.acked == 2)
        async with YClient(secured.ws_url, "doc", token=editor_link["token"], ack=True) as editor:
            await editor.wait_text("hello")
            editor.append(" from a link")
            await admin.wait_text("hello from a link")
        viewer = YClient(secured.ws_url, "doc", token=viewer_link["token"])
        await viewer.connect()
        await viewer.wait_text("hello from a link")
        viewer.append("!")
        code, reason = await viewer.wait_closed()
        assert code == 4403 and "viewers cannot edit" in reason
    snapshot = await http.get("/rooms/doc/snapshot", headers={"Authorization": "Bearer x"})
    assert snapshot.status_code == 401
    read = await http.get(
        "/rooms/doc/snapshot?format=text",
        headers={"Authorization": f"Bearer {viewer_link['token']}"},
    )
    assert read.status_code == 200 and read.text == "hello from a link"


async def test_a_link_opens_its_own_room_only(http: httpx.AsyncClient, secured: ServerProcess):
    link = await mint(http)
    code, _ = await refused(secured, link["token"], room="other")
    assert code == 4403
    other = await http.get("/rooms/other", headers={"Authorization": f"Bearer {link['token']}"})
    assert other.status_code == 403
    minted = await http.post(
        "/rooms/doc/links",
        json={"role": "viewer"},
        headers={"Authorization": f"Bearer {link['token']}"},
    )
    assert minted.status_code == 403


async def test_an_expired_link_says_so_at_connect_and_while_connected(
    http: httpx.AsyncClient, secured: ServerProcess
):
    link = await mint(http, expires_in=2)
    async with YClient(secured.ws_url, "doc", token=link["token"]) as client:
        await client.synced.wait()
        assert await client.wait_closed() == (4419, "link expired")
    assert await refused(secured, link["token"]) == (4419, "link expired")
    rest = await http.get("/rooms/doc", headers={"Authorization": f"Bearer {link['token']}"})
    assert rest.status_code == 401 and rest.json()["detail"] == "link expired"
    listed = (await http.get("/rooms/doc/links", headers=admin())).json()["items"]
    assert [item["status"] for item in listed] == ["expired"]
    # A plain token's expiry has its own reason.
    assert await refused(secured, token(ttl=-5)) == (4419, "token expired")


async def test_revoking_closes_its_connections_and_refuses_new_ones(
    http: httpx.AsyncClient, secured: ServerProcess
):
    revoked, kept = await mint(http, role="editor"), await mint(http)
    async with (
        YClient(secured.ws_url, "doc", token=revoked["token"]) as first,
        YClient(secured.ws_url, "doc", token=revoked["token"]) as second,
        YClient(secured.ws_url, "doc", token=kept["token"]) as bystander,
        YClient(secured.ws_url, "doc", token=token("doc", "editor")) as writer,
    ):
        for client in (first, second, bystander, writer):
            await client.synced.wait()
        response = await http.delete(f"/rooms/doc/links/{revoked['id']}", headers=admin())
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["status"] == "revoked" and answer["closed_connections"] == 2
        assert await first.wait_closed() == (4403, "link revoked")
        assert await second.wait_closed() == (4403, "link revoked")
        writer.append("still here")
        await bystander.wait_text("still here")
        assert not bystander.closed.is_set()
    assert await refused(secured, revoked["token"]) == (4403, "link revoked")
    rest = await http.get("/rooms/doc", headers={"Authorization": f"Bearer {revoked['token']}"})
    assert rest.status_code == 403 and rest.json()["detail"] == "link revoked"
    again = await http.delete(f"/rooms/doc/links/{revoked['id']}", headers=admin())
    assert again.status_code == 200 and again.json()["revoked_at"] == answer["revoked_at"]
    assert again.json()["closed_connections"] == 0


async def test_revoking_needs_the_link_of_that_room(http: httpx.AsyncClient):
    link = await mint(http)
    unknown = await http.delete("/rooms/doc/links/nope", headers=admin())
    assert unknown.status_code == 404 and "no link" in unknown.json()["detail"]
    other_admin = bearer("admin", "other")
    wrong_room = await http.delete(f"/rooms/other/links/{link['id']}", headers=other_admin)
    assert wrong_room.status_code == 404
    listed = (await http.get("/rooms/doc/links", headers=admin())).json()["items"]
    assert [item["status"] for item in listed] == ["live"]


async def test_listing_shows_every_link_newest_first_without_tokens(http: httpx.AsyncClient):
    first = await mint(http, label="first")
    await asyncio.sleep(0.01)  # distinct creation times
    second = await mint(http, role="editor", expires_in=60, label="second")
    await mint(http, room="other", label="elsewhere")
    await http.delete(f"/rooms/doc/links/{first['id']}", headers=admin())
    response = await http.get("/rooms/doc/links", headers=admin())
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["id"], i["label"], i["status"]) for i in items] == [
        (second["id"], "second", "live"),
        (first["id"], "first", "revoked"),
    ]
    assert all("token" not in item and "url" not in item for item in items)
    assert items[0]["role"] == "editor" and items[0]["expires_at"] == second["expires_at"]


async def test_deleting_the_room_ends_its_links(http: httpx.AsyncClient, secured: ServerProcess):
    link = await mint(http, role="editor")
    assert (await http.delete("/rooms/doc", headers=admin())).status_code == 204
    assert (await http.put("/rooms/doc", headers=admin())).status_code == 201
    assert await refused(secured, link["token"]) == (4403, "link revoked")
    assert (await http.get("/rooms/doc/links", headers=admin())).json()["items"] == []


async def test_a_server_without_a_secret_cannot_sign_links(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api") as http:
        await http.put("/rooms/doc")
        response = await http.post("/rooms/doc/links", json={"role": "viewer"})
        assert response.status_code == 409 and "COLLAB_SECRET" in response.json()["detail"]


async def test_the_link_url_starts_with_the_public_url(make_server: ServerFactory, sqlite_url: str):
    server = make_server(
        sqlite_url, COLLAB_SECRET=SECRET, COLLAB_PUBLIC_URL="https://docs.example/"
    )
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api") as http:
        await http.put("/rooms/doc", headers=admin())
        link = await mint(http)
    assert link["url"] == f"https://docs.example/d/doc#token={link['token']}"


async def test_every_answer_is_the_one_the_schema_documents(
    http: httpx.AsyncClient, server: ServerProcess
):
    schema = build_schema(collab.create_app(collab.Settings()).routes)
    links, one = "/api/rooms/{room}/links", "/api/rooms/{room}/links/{link}"
    body = {"role": "viewer", "label": "x"}
    answers = [
        (links, await http.post("/rooms/doc/links", json=body, headers=admin()), 201),
        (links, await http.post("/rooms/doc/links", json=body), 401),
        (links, await http.post("/rooms/doc/links", json=body, headers=bearer("editor")), 403),
        (
            links,
            await http.post("/rooms/doc/links", json={"role": 1}, headers=admin()),
            422,
        ),
        (links, await http.post("/rooms/gone/links", json=body, headers=bearer("admin", "*")), 404),
        (links, await http.get("/rooms/doc/links", headers=admin()), 200),
        (one, await http.delete("/rooms/doc/links/nope", headers=admin()), 404),
    ]
    link_id = answers[0][1].json()["id"]
    answers.append((one, await http.delete(f"/rooms/doc/links/{link_id}", headers=admin()), 200))
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as open_server:
        await open_server.put("/api/rooms/doc")
        answers.append((links, await open_server.post("/api/rooms/doc/links", json=body), 409))
    for path, response, status in answers:
        assert response.status_code == status, (path, response.text)
        check(schema, path, response)
