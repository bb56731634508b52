"""The trash (issue 25) against a real server on SQLite and PostgreSQL: a delete moves a
document there (its editors closed with 4410, gone from listings, its name still taken), its
owner or an admin restores it whole (content, versions, comments, sharing, links) or deletes it
forever, and the periodic purge erases what was deleted COLLAB_TRASH_DAYS ago."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy import text

from collab.store.db import create_engine
from tests.cluster.test_single_runner import eventually
from tests.conftest import ServerFactory
from tests.images.pictures import png
from tests.people.accounts import SECRET, SignedIn, add_person, sign_in
from tests.people.test_sharing import editor_of
from tests.server import ServerProcess

Team = tuple[ServerProcess, SignedIn, SignedIn, SignedIn]


@pytest.fixture
async def team(make_server: ServerFactory, database_url: str) -> AsyncIterator[Team]:
    server = make_server(database_url, COLLAB_SECRET=SECRET, COLLAB_TRASH_DAYS="30")
    await server.start()
    await add_person(database_url, "ada@example.com", "Ada Lovelace")
    await add_person(database_url, "grace@example.com", "Grace Hopper")
    await add_person(database_url, "root@example.com", "Root", admin=True)
    people = [await sign_in(server, f"{who}@example.com") for who in ("ada", "grace", "root")]
    yield server, people[0], people[1], people[2]
    for person in people:
        await person.close()


async def _ok(response: httpx.Response, *status: int) -> httpx.Response:
    assert response.status_code in (status or (200,)), response.text
    return response


def _problem(response: httpx.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    assert fragment in response.json()["detail"], response.text


async def _shared_document(ada: SignedIn, grace: SignedIn) -> str:
    """Ada's document with text, a named version, a comment thread, Grace as editor, a link;
    the link's id."""
    post, changes = ada.http.post, ada.changes()
    await _ok(await post("/api/rooms", json={"title": "Q3 plan"}, headers=changes), 201)
    await _ok(
        await ada.http.patch("/api/rooms/q3-plan/text", json={"text": "Plan A"}, headers=changes)
    )
    await _ok(
        await post("/api/rooms/q3-plan/versions", json={"label": "v1"}, headers=changes), 200, 201
    )
    thread = {"passage": {"index": 0, "length": 4}, "body": "Why?"}
    await _ok(await post("/api/rooms/q3-plan/threads", json=thread, headers=changes), 201)
    grant = {"email": grace.me["person"]["email"], "role": "editor"}
    await _ok(await post("/api/rooms/q3-plan/access", json=grant, headers=changes))
    link = await _ok(
        await post("/api/rooms/q3-plan/links", json={"role": "viewer"}, headers=changes), 201
    )
    return str(link.json()["id"])


async def _names(who: SignedIn, path: str = "/api/rooms") -> list[str]:
    response = await _ok(await who.http.get(path))
    return [item["name"] for item in response.json()["items"]]


async def test_a_deleted_document_waits_in_the_trash_and_comes_back_whole(team: Team):
    server, ada, grace, root = team
    link = await _shared_document(ada, grace)
    async with editor_of(server, "q3-plan", ada) as editor:
        await editor.synced.wait()
        await _ok(await ada.http.delete("/api/rooms/q3-plan", headers=ada.changes()), 204)
        code, reason = await editor.wait_closed()
    assert code == 4410 and "deleted" in reason

    # Gone from every listing, cannot be opened, its name still taken.
    assert await _names(ada) == [] and await _names(grace) == []
    _problem(await ada.http.get("/api/rooms/q3-plan"), 410, "in the trash")
    for read in ("snapshot", "versions", "blame"):
        _problem(await ada.http.get(f"/api/rooms/q3-plan/{read}"), 410, "in the trash")
    _problem(await ada.http.put("/api/rooms/q3-plan", headers=ada.changes()), 409, "in the trash")
    again = editor_of(server, "q3-plan", ada)
    await again.connect()
    assert (await again.wait_closed())[0] == 4410
    made = await ada.http.post("/api/rooms", json={"title": "Q3 plan"}, headers=ada.changes())
    assert (await _ok(made, 201)).json()["name"] == "q3-plan-2"

    # The owner and a server admin see it; Grace, who could edit it, may not touch it.
    trash = (await _ok(await ada.http.get("/api/trash"))).json()
    assert trash["days"] == 30 and len(trash["items"]) == 1
    item = trash["items"][0]
    assert (item["name"], item["title"], item["kind"]) == ("q3-plan", "Q3 plan", "text")
    assert item["deleted_by"] == "Ada Lovelace" and item["owner"]["name"] == "Ada Lovelace"
    kept = datetime.fromisoformat(item["purge_at"]) - datetime.fromisoformat(item["deleted_at"])
    assert kept.days == 30
    assert await _names(root, "/api/trash") == ["q3-plan"]
    assert await _names(grace, "/api/trash") == []
    refused = await grace.http.post("/api/trash/q3-plan/restore", headers=grace.changes())
    _problem(refused, 403, "admin role")
    _problem(await grace.http.delete("/api/trash/q3-plan", headers=grace.changes()), 403, "own it")

    # Restored: content, history, comments, sharing and the link, as they were.
    restored = await ada.http.post("/api/trash/q3-plan/restore", headers=ada.changes())
    assert (await _ok(restored)).json()["title"] == "Q3 plan"
    assert await _names(ada, "/api/trash") == []
    snapshot = await _ok(
        await ada.http.get("/api/rooms/q3-plan/snapshot", params={"format": "text"})
    )
    assert snapshot.text == "Plan A"
    versions = (await _ok(await ada.http.get("/api/rooms/q3-plan/versions"))).json()["items"]
    assert "v1" in [v["label"] for v in versions]
    threads = (await _ok(await ada.http.get("/api/rooms/q3-plan/threads"))).json()["items"]
    assert [t["comments"][0]["body"] for t in threads] == ["Why?"]
    assert "q3-plan" in await _names(grace)
    links = (await _ok(await ada.http.get("/api/rooms/q3-plan/links"))).json()["items"]
    assert [entry["id"] for entry in links] == [link]
    async with editor_of(server, "q3-plan", grace) as reopened:
        await reopened.wait_text("Plan A")


async def test_a_trashed_documents_images_answer_410_until_it_is_restored(
    make_server: ServerFactory, database_url: str
):
    server = make_server(database_url, COLLAB_TRASH_DAYS="30")
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api") as http:
        await _ok(await http.put("/rooms/album", json={"kind": "rich"}), 201)
        picture = png()
        uploaded = await _ok(await http.post("/rooms/album/images", content=picture), 201)
        path = uploaded.json()["url"].removeprefix("/api")
        assert (await _ok(await http.get(path))).content == picture

        await _ok(await http.delete("/rooms/album"), 204)
        # As the document's other reads answer while it is in the trash.
        _problem(await http.get("/rooms/album"), 410, "in the trash")
        _problem(await http.get(path), 410, "in the trash")
        _problem(await http.get("/rooms/album/images/nope"), 410, "in the trash")
        _problem(await http.post("/rooms/album/images", content=png()), 410, "in the trash")

        await _ok(await http.post("/trash/album/restore"))
        assert (await _ok(await http.get(path))).content == picture


async def _count(database_url: str, table: str, room: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(
                text(f"SELECT count(*) FROM {table} WHERE room = :r"), {"r": room}
            )
    finally:
        await engine.dispose()
    return int(found or 0)


async def _backdate(database_url: str, room: str) -> None:
    """Move the room's delete 31 days into the past, as if it had been deleted then."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            moved = await conn.execute(
                text(
                    "UPDATE rooms SET trashed_at = trashed_at - interval '31 days' WHERE name = :r"
                )
                if engine.dialect.name == "postgresql"
                else text(
                    "UPDATE rooms SET trashed_at = datetime(trashed_at, '-31 days') WHERE name = :r"
                ),
                {"r": room},
            )
            assert moved.rowcount == 1
    finally:
        await engine.dispose()


_TABLES = ("updates", "room_states", "versions", "comment_threads", "images")


async def test_delete_forever_and_the_purge_erase_everything_and_free_the_name(
    make_server: ServerFactory, database_url: str
):
    server = make_server(database_url, COLLAB_TRASH_DAYS="30", COLLAB_TRASH_PURGE_INTERVAL="0.2")
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api") as http:
        for room in ("old", "recent", "unwanted"):
            await _ok(await http.put(f"/rooms/{room}"), 201)
            await _ok(await http.patch(f"/rooms/{room}/text", json={"text": f"text of {room}"}))
            await _ok(await http.post(f"/rooms/{room}/versions", json={"label": "v"}), 200, 201)
            thread = {"passage": {"index": 0, "length": 4}, "body": "?"}
            await _ok(await http.post(f"/rooms/{room}/threads", json=thread), 201)
            await _ok(await http.post(f"/rooms/{room}/images", content=png()), 201)
            await _ok(await http.delete(f"/rooms/{room}"), 204)
        assert (
            await _count(database_url, "updates", "old")
            + await _count(database_url, "room_states", "old")
            > 0
        ), "the trash keeps the data"
        assert await _count(database_url, "images", "old") == 1, "the trash keeps the images"

        await _ok(await http.delete("/trash/unwanted"), 204)
        _problem(await http.delete("/trash/unwanted"), 404, "not in the trash")
        for table in _TABLES:
            assert await _count(database_url, table, "unwanted") == 0, table
        assert (await _ok(await http.put("/rooms/unwanted"), 201)).json()["size_bytes"] == 0

        await _backdate(database_url, "old")

        async def purged() -> bool:
            listed = (await http.get("/trash")).json()["items"]
            return [item["name"] for item in listed] == ["recent"]

        await eventually(purged, timeout=10)
        for table in _TABLES:
            assert await _count(database_url, table, "old") == 0, table
        assert await _count(database_url, "versions", "recent") == 1
        assert (await _ok(await http.put("/rooms/old"), 201)).json()["size_bytes"] == 0
        restored = await _ok(await http.post("/trash/recent/restore"))
        assert restored.json()["size_bytes"] > 0
