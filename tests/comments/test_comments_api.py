"""Comment threads over real HTTP and WebSockets, on SQLite and PostgreSQL: who may read and
write them, anchors following edits made by another client, detached threads, restarts,
limits, hostile bodies, and a deleted room taking its threads with it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.auth.test_websocket_auth import SECRET, token
from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.test_durability import _log_rows
from tests.yclient import YClient

TEXT = "The quick brown fox jumps over the lazy dog."


def as_(role: str, name: str = "Ada", room: str = "doc") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(room, role, name=name)}"}


@pytest.fixture
async def server(make_server: ServerFactory, database_url: str) -> ServerProcess:
    server = make_server(
        database_url,
        COLLAB_SECRET=SECRET,
        COLLAB_COMMENTS_PER_THREAD="3",
        COLLAB_THREADS_PER_DOCUMENT="4",
        COLLAB_COMMENT_MAX_CHARS="200000",
    )
    await server.start()
    return server


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as client:
        assert (await client.put("/doc", headers=as_("admin"))).status_code == 201
        edited = await client.patch("/doc/text", json={"text": TEXT}, headers=as_("editor"))
        assert edited.status_code == 200, edited.text
        yield client


async def start(
    http: httpx.AsyncClient, word: str, body: str = "Why?", role: str = "commenter", **kw: Any
) -> dict[str, Any]:
    passage = {"index": TEXT.index(word), "length": len(word)}
    response = await http.post(
        "/doc/threads", json={"passage": passage, "body": body}, headers=as_(role, **kw)
    )
    assert response.status_code == 201, response.text
    thread: dict[str, Any] = response.json()
    return thread


async def threads(http: httpx.AsyncClient, status: str = "open") -> list[dict[str, Any]]:
    viewer = as_("viewer", name="Vi")
    response = await http.get("/doc/threads", params={"status": status}, headers=viewer)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_thread_is_made_replied_edited_resolved_reopened_and_deleted(
    http: httpx.AsyncClient,
):
    thread = await start(http, "brown fox", name="Cy")
    assert thread["quote"] == "brown fox" and not thread["detached"]
    assert thread["range"] == {"index": 10, "length": 9, "text": "brown fox"}
    assert thread["created_by"] == {"name": "Cy", "person_id": None, "yours": True, "agent": False}
    first = thread["comments"][0]
    assert first["body"] == "Why?" and first["author"]["name"] == "Cy"
    base = f"/doc/threads/{thread['id']}"
    answer = await http.post(f"{base}/comments", json={"body": "Because."}, headers=as_("editor"))
    assert answer.status_code == 201, answer.text
    reply = answer.json()
    assert reply["author"] == {"name": "Ada", "person_id": None, "yours": True, "agent": False}
    shown = (await threads(http))[0]
    assert [c["body"] for c in shown["comments"]] == ["Why?", "Because."]
    assert [c["author"]["yours"] for c in shown["comments"]] == [False, False], "a viewer's view"
    # Only its author (or an admin) edits or deletes a comment.
    path = f"{base}/comments/{reply['id']}"
    other = await http.patch(path, json={"body": "x"}, headers=as_("editor", name="Bo"))
    assert other.status_code == 403 and "author" in other.json()["detail"]
    edited = await http.patch(path, json={"body": "Since."}, headers=as_("editor"))
    assert edited.status_code == 200 and edited.json()["body"] == "Since."
    assert edited.json()["edited_at"] is not None
    resolved = await http.post(f"{base}/resolve", headers=as_("commenter", name="Cy"))
    assert resolved.status_code == 200 and resolved.json()["resolved_by"] == "Cy"
    assert await threads(http) == []
    assert [t["id"] for t in await threads(http, "resolved")] == [thread["id"]]
    reopened = await http.post(f"{base}/reopen", headers=as_("commenter"))
    assert reopened.status_code == 200 and reopened.json()["resolved"] is False
    refused = await http.delete(path, headers=as_("commenter", name="Cy"))
    assert refused.status_code == 403
    deleted = await http.delete(path, headers=as_("admin", name="Root"))
    assert deleted.json() == {"deleted": "comment", "thread": thread["id"], "comment": reply["id"]}
    whole = await http.delete(f"{base}/comments/{first['id']}", headers=as_("commenter", name="Cy"))
    assert whole.status_code == 200 and whole.json()["deleted"] == "thread"
    assert await threads(http, "all") == []
    assert (await http.get(base, headers=as_("viewer"))).status_code == 404


async def test_viewers_read_commenters_comment_and_nobody_else_writes(
    server: ServerProcess, http: httpx.AsyncClient
):
    body = {"passage": {"index": 0, "length": 3}, "body": "hm"}
    viewer = await http.post("/doc/threads", json=body, headers=as_("viewer"))
    assert viewer.status_code == 403 and "commenter" in viewer.json()["detail"]
    assert (await http.post("/doc/threads", json=body)).status_code == 401
    elsewhere = await http.post("/doc/threads", json=body, headers=as_("admin", room="other"))
    assert elsewhere.status_code == 403
    thread = await start(http, "The")
    assert (
        await http.get(f"/doc/threads/{thread['id']}", headers=as_("viewer"))
    ).status_code == 200
    again = await http.post(
        f"/doc/threads/{thread['id']}/comments", json={"body": "x"}, headers=as_("viewer")
    )
    assert again.status_code == 403
    # A commenter changes no text: not over REST, not over its WebSocket.
    text = await http.patch("/doc/text", json={"text": "gone"}, headers=as_("commenter"))
    assert text.status_code == 403
    async with (
        YClient(server.ws_url, "doc", token=token("doc", "commenter", name="Cy")) as commenter,
        YClient(server.ws_url, "doc", token=token("doc", "editor")) as editor,
    ):
        await commenter.wait_text(TEXT)
        await editor.wait_text(TEXT)
        commenter.insert(0, "HACKED ")
        code, _ = await commenter.wait_closed()
        assert code == 4403, "a commenter's connection is read-only"
        editor.insert(len(TEXT), " Done.")
        await _wait_text(http, TEXT + " Done.")


async def test_anchors_follow_edits_by_others_and_a_deleted_passage_detaches(
    server: ServerProcess, http: httpx.AsyncClient
):
    fox = await start(http, "brown fox")
    dog = await start(http, "lazy dog")
    async with YClient(server.ws_url, "doc", token=token("doc", "editor", name="Bo")) as bo:
        await bo.wait_text(TEXT)
        bo.insert(0, "Look: ")  # before both passages
        bo.insert(len("Look: The quick brown"), " very")  # inside the first
        after = "Look: The quick brown very fox jumps over the lazy dog"
        bo.insert(len(after), " and cat")  # just after the second: not part of it
        expected = "Look: The quick brown very fox jumps over the lazy dog and cat."
        await bo.wait_text(expected)
        await _wait_text(http, expected)
        shown = {t["id"]: t for t in await threads(http)}
        assert shown[fox["id"]]["range"] == {
            "index": expected.index("brown"),
            "length": len("brown very fox"),
            "text": "brown very fox",
        }
        assert shown[dog["id"]]["range"]["text"] == "lazy dog"
        start_at = expected.index("brown")
        del bo.content[start_at : start_at + len("brown very fox")]
        gone = expected.replace("brown very fox", "")
        await _wait_text(http, gone)
    listed = await threads(http)
    assert [t["id"] for t in listed] == [dog["id"], fox["id"]], "detached ones come last"
    detached = listed[1]
    assert detached["detached"] is True and detached["range"] is None
    assert detached["quote"] == "brown very fox", "the passage's text as it last stood"
    await server.restart()
    after_restart = {t["id"]: t for t in await threads(http)}
    assert after_restart[fox["id"]]["detached"] is True
    assert after_restart[dog["id"]]["range"]["index"] == gone.index("lazy dog")


async def test_limits_and_bad_bodies_are_clear_422s(http: httpx.AsyncClient):
    thread = await start(http, "fox")
    comments = f"/doc/threads/{thread['id']}/comments"
    for text in ("two", "three"):
        assert (await http.post(comments, json={"body": text}, headers=as_("editor"))).is_success
    full = await http.post(comments, json={"body": "four"}, headers=as_("editor"))
    assert full.status_code == 422 and "3 comments" in full.json()["detail"]
    for word in ("The", "quick", "dog"):
        await start(http, word)
    many = await http.post(
        "/doc/threads",
        json={"passage": {"index": 0, "length": 1}, "body": "x"},
        headers=as_("editor"),
    )
    assert many.status_code == 422 and "4 threads" in many.json()["detail"]
    cases = [
        ({"passage": {"index": 0, "length": 0}, "body": "x"}, "length"),
        ({"passage": {"index": 40, "length": 10}, "body": "x"}, "not inside the text"),
        ({"passage": {"index": 0, "length": 1}, "body": "   "}, "needs some text"),
        ({"passage": {"index": 0, "length": 1}, "body": "a\u0000b"}, "NUL"),
        ({"passage": {"index": 0, "length": 1}, "body": "x" * 200_001}, "at most 200000"),
        ({"passage": {"index": 0, "length": 1}, "body": "x", "author": "Eve"}, "author"),
    ]
    await http.delete(
        f"/doc/threads/{thread['id']}/comments/{thread['comments'][0]['id']}",
        headers=as_("commenter"),
    )
    for body, detail in cases:
        answer = await http.post("/doc/threads", json=body, headers=as_("editor"))
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert detail in answer.json()["detail"], (detail, answer.json())
    surrogate = b'{"passage": {"index": 0, "length": 1}, "body": "\\ud800"}'
    answer = await http.post(
        "/doc/threads",
        content=surrogate,
        headers={**as_("editor"), "content-type": "application/json"},
    )
    assert answer.status_code == 422, "a lone surrogate is no text"
    assert answer.headers["content-type"] == "application/problem+json"


async def test_hostile_bodies_are_stored_verbatim_and_returned_as_json_strings(
    http: httpx.AsyncClient,
):
    hostile = [
        "<script>alert(1)</script><img src=x onerror=alert(2)>",
        "\u202egnp.exe\u202c and \u2066isolated\u2069",
        "😀" * 25_000,  # 100 KB of emoji
        "'; DROP TABLE comments; --",
    ]
    made = await start(http, "jumps", body=hostile[0])
    for body in hostile[1:3]:
        answer = await http.post(
            f"/doc/threads/{made['id']}/comments", json={"body": body}, headers=as_("commenter")
        )
        assert answer.status_code == 201, answer.text
    await start(http, "dog", body=hostile[3])
    listed = await http.get("/doc/threads", headers=as_("viewer"))
    assert listed.headers["content-type"] == "application/json"
    items = listed.json()["items"]
    assert [c["body"] for t in items for c in t["comments"]] == hostile


async def test_the_author_is_who_asks_and_deleting_the_room_deletes_its_threads(
    http: httpx.AsyncClient,
):
    thread = await start(http, "over", name="Cy")
    assert thread["created_by"]["name"] == "Cy"
    gone = await http.delete("/doc", headers=as_("admin"))
    assert gone.status_code in (200, 204), gone.text
    assert (await http.put("/doc", headers=as_("admin"))).status_code == 201
    assert await threads(http, "all") == []


async def test_editors_open_on_the_room_hear_of_each_change(
    server: ServerProcess, http: httpx.AsyncClient
):
    async with YClient(server.ws_url, "doc", events=True, token=token("doc", "viewer")) as page:
        await page.wait_text(TEXT)
        thread = await start(http, "fox", name="Cy")
        await http.post(f"/doc/threads/{thread['id']}/resolve", headers=as_("commenter"))
        await page.wait_for(lambda: len(_comment_events(page)) == 2)
    first, second = _comment_events(page)
    assert first == {
        "type": "comment",
        "action": "created",
        "thread": thread["id"],
        "comment": thread["comments"][0]["id"],
        "author": "Cy",
    }
    assert second["action"] == "resolved" and second["comment"] is None


def _comment_events(client: YClient) -> list[dict[str, Any]]:
    return [event for event, _ in client.events if event["type"] == "comment"]


async def _wait_text(http: httpx.AsyncClient, expected: str) -> None:
    """Until the server's text is `expected` (the client's edits reached it)."""
    for _ in range(200):
        if (
            await http.get("/doc/snapshot", params={"format": "text"}, headers=as_("viewer"))
        ).text == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the server never held {expected!r}")


async def test_too_many_changes_a_minute_are_a_429(make_server: ServerFactory, sqlite_url: str):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET, COLLAB_COMMENTS_PER_MINUTE="2")
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/doc", headers=as_("admin"))).status_code == 201
        await http.patch("/doc/text", json={"text": TEXT}, headers=as_("editor"))
        await start(http, "fox", name="Cy")
        await start(http, "dog", name="Cy")
        body = {"passage": {"index": 0, "length": 3}, "body": "a third"}
        third = await http.post("/doc/threads", json=body, headers=as_("commenter", name="Cy"))
        assert third.status_code == 429 and "2 comment changes a minute" in third.json()["detail"]
        other = await http.post("/doc/threads", json=body, headers=as_("commenter", name="Bo"))
        assert other.status_code == 201, "the budget is each identity's own"


async def test_anchors_hold_through_compaction_and_a_restart(
    make_server: ServerFactory, database_url: str
):
    server = make_server(database_url, COLLAB_SECRET=SECRET, COLLAB_COMPACT_MAX_UPDATES="5")
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/doc", headers=as_("admin"))).status_code == 201
        fox = None
        editor = token("doc", "editor", name="Bo")
        async with YClient(server.ws_url, "doc", token=editor, ack=True) as bo:
            await bo.synced.wait()
            bo.insert(0, TEXT)
            await bo.wait_for(lambda: bo.acked == bo.sent_updates)
            fox = await start(http, "brown fox")
            for i in range(30):  # thirty updates, one at a time: the log is compacted
                bo.insert(0, f"{i}é ")
                await asyncio.sleep(0)
            await bo.wait_for(lambda: bo.acked == bo.sent_updates)
            expected = bo.text
        rows = await _log_rows(database_url, "doc")
        assert rows < 30, f"the log still holds {rows} rows: compaction did not run"
        for _ in range(2):
            shown = await http.get(f"/doc/threads/{fox['id']}", headers=as_("viewer"))
            assert shown.json()["range"] == {
                "index": expected.index("brown fox"),
                "length": len("brown fox"),
                "text": "brown fox",
            }
            await server.restart()
