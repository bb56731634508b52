"""CollabClient against a real server: every REST endpoint, pagination, ETags and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from pycrdt import Doc, Map, Text

from collab.client import CollabAPIError, CollabClient, Room
from tests.server import ServerProcess


@pytest.fixture
async def client(server: ServerProcess) -> AsyncIterator[CollabClient]:
    async with CollabClient(server.http_url) as client:
        yield client


def _text_update(text: str) -> tuple[Doc[Any], bytes]:
    doc: Doc[Any] = Doc()
    doc.get("content", type=Text).insert(0, text)
    return doc, doc.get_update()


async def test_create_get_and_delete_room(client: CollabClient):
    room, created = await client.create_room("plan")
    assert created and isinstance(room, Room) and room.name == "plan"
    assert isinstance(room.created_at, datetime) and room.created_at.tzinfo is not None
    again, created_again = await client.create_room("plan")
    assert not created_again and again.created_at == room.created_at
    fetched = await client.get_room("plan")
    assert fetched.name == "plan" and fetched.clients == 0 and fetched.size_bytes >= 0
    assert fetched.kind == "text"
    rich, _ = await client.create_room("rich-plan", kind="rich")
    assert rich.kind == "rich" and (await client.get_room("rich-plan")).kind == "rich"
    await client.delete_room("plan")
    with pytest.raises(CollabAPIError) as info:
        await client.get_room("plan")
    error = info.value
    assert error.status == 404 and error.title == "Not Found" and "does not exist" in error.detail


async def test_list_rooms_pages_and_iter_rooms_follows_cursors(client: CollabClient):
    names = [f"team-{i}" for i in range(5)]
    for name in [*names, "other"]:
        await client.create_room(name)
    page = await client.list_rooms(limit=2, prefix="team-")
    assert len(page.items) == 2 and page.next_cursor is not None
    rest = await client.list_rooms(limit=10, prefix="team-", cursor=page.next_cursor)
    assert len(rest.items) == 3 and rest.next_cursor is None
    seen = [room.name async for room in client.iter_rooms(prefix="team-", page_size=2)]
    assert sorted(seen) == names and len(seen) == len(set(seen))
    assert {room.name async for room in client.iter_rooms()} == {*names, "other"}


async def test_copy_room(client: CollabClient):
    await client.create_room("source")
    await client.replace_text("source", "original")
    copy = await client.copy_room("source", "duplicate")
    assert copy.name == "duplicate"
    assert await client.snapshot_text("duplicate") == "original"
    with pytest.raises(CollabAPIError) as info:
        await client.copy_room("source", "duplicate")
    assert info.value.status == 409


async def test_snapshots_in_every_format(client: CollabClient):
    doc, update = _text_update("hello")
    doc.get("meta", type=Map)["title"] = "Greeting"
    await client.create_room("formats")
    await client.apply_update("formats", doc.get_update())
    assert await client.snapshot_text("formats") == "hello"
    assert await client.snapshot_json("formats") == {
        "content": "hello",
        "meta": {"title": "Greeting"},
    }
    fresh: Doc[Any] = Doc()
    fresh.apply_update(await client.snapshot_update("formats"))
    assert str(fresh.get("content", type=Text)) == "hello"
    missing = await client.snapshot_update("formats", since=fresh.get_state())
    assert missing == b"\x00\x00"
    follower: Doc[Any] = Doc()
    follower.apply_update(update)
    rest = await client.snapshot_update("formats", since=follower.get_state())
    follower.apply_update(rest)
    assert follower.get("meta", type=Map).to_py() == {"title": "Greeting"}


async def test_conditional_text_fetch_answers_304_until_changed(client: CollabClient):
    await client.create_room("etag")
    await client.replace_text("etag", "one")
    text, etag = await client.snapshot_text_if_changed("etag", None)
    assert text == "one" and etag.startswith('"')
    unchanged, same = await client.snapshot_text_if_changed("etag", etag)
    assert unchanged is None and same == etag
    await client.edit_text("etag", [{"op": "insert", "index": 3, "text": " two"}])
    changed, new_etag = await client.snapshot_text_if_changed("etag", etag)
    assert changed == "one two" and new_etag != etag


async def test_apply_update_returns_the_state_vector(client: CollabClient):
    doc, update = _text_update("abc")
    await client.create_room("vec")
    vector = await client.apply_update("vec", update, author="script")
    assert vector == doc.get_state()
    assert await client.snapshot_text("vec") == "abc"


async def test_malformed_update_raises_with_the_problem_detail(client: CollabClient):
    await client.create_room("bad-update")
    with pytest.raises(CollabAPIError) as info:
        await client.apply_update("bad-update", b"\x05\xff\xff garbage")
    assert info.value.status == 422 and info.value.detail
    assert info.value.type == "about:blank" and info.value.title == "Unprocessable Entity"
    assert await client.snapshot_text("bad-update") == ""


async def test_edit_and_replace_text(client: CollabClient):
    await client.create_room("edits")
    await client.replace_text("edits", "hello world")
    ops = [
        {"op": "delete", "index": 0, "length": 5},
        {"op": "insert", "index": 0, "text": "goodbye"},
    ]
    vector = await client.edit_text("edits", ops)
    assert vector and await client.snapshot_text("edits") == "goodbye world"
    await client.replace_text("edits", "goodbye cruel world")
    assert await client.snapshot_text("edits") == "goodbye cruel world"
    with pytest.raises(CollabAPIError) as info:
        await client.edit_text("edits", [{"op": "insert", "index": 0}])
    assert info.value.status == 422 and "ops[0]" in info.value.detail


async def test_token_is_sent_as_bearer_on_a_supplied_http_client(server: ServerProcess):
    seen: list[str | None] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request.headers.get("authorization"))

    async with httpx.AsyncClient(timeout=30, event_hooks={"request": [record]}) as http:
        async with CollabClient(server.http_url, token="s3cret", http=http) as client:
            await client.create_room("tok")
        assert not http.is_closed  # a supplied client belongs to its owner
    assert seen == ["Bearer s3cret"]


async def test_titles_search_and_imports(client: CollabClient):
    made = await client.create_titled("Team notes", "rich")
    assert (made.name, made.title, made.kind) == ("team-notes", "Team notes", "rich")
    renamed = await client.rename("team-notes", "Team notes 2027")
    assert renamed.name == "team-notes" and renamed.title == "Team notes 2027"
    imported = await client.import_file("Plan", b"# Plan\n", "markdown")
    assert (imported.name, imported.kind) == ("plan", "rich")  # Markdown makes rich text
    assert await client.snapshot_text("plan") == "Plan\n"
    found = await client.list_rooms(search="2027")
    assert [room.name for room in found.items] == ["team-notes"]
    by_title = await client.list_rooms(sort="title")
    assert [room.title for room in by_title.items] == ["Plan", "Team notes 2027"]
    with pytest.raises(CollabAPIError) as info:
        await client.import_file("Bad", b"\xff", "text")
    assert info.value.status == 422 and "UTF-8" in info.value.detail
