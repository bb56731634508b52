"""Suggestions over real HTTP and WebSockets, on SQLite and PostgreSQL: each kind made by an
editor's anchor and by passage, changed and withdrawn by its author, accepted (the text
changes, credited to the suggester) and rejected, accept-all and reject-all by author, who may
do what, a suggestion whose passage is gone, an edit by someone else before the accept, and
the events open editors hear."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from collab.auth import issue_token
from collab.client import CollabClient
from tests.auth.test_websocket_auth import SECRET, token
from tests.comments.test_rich_threads import yjs
from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.yclient import YClient

TEXT = "The quick brown fox jumps over the lazy dog."


def as_(role: str, name: str = "Ada") -> dict[str, str]:
    return {"Authorization": f"Bearer {token('doc', role, name=name)}"}


@pytest.fixture
async def server(make_server: ServerFactory, database_url: str) -> ServerProcess:
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    return server


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms/doc") as client:
        made = await client.put(f"{server.http_url}/api/rooms/doc", headers=as_("admin"))
        assert made.status_code == 201, made.text
        edited = await client.patch("/text", json={"text": TEXT}, headers=as_("editor", "Ed"))
        assert edited.status_code == 200, edited.text
        yield client


async def suggest(
    http: httpx.AsyncClient, body: dict[str, Any], name: str = "Cy", role: str = "commenter"
) -> dict[str, Any]:
    made = await http.post("/suggestions", json=body, headers=as_(role, name))
    assert made.status_code == 201, made.text
    thread: dict[str, Any] = made.json()
    return thread


async def text(http: httpx.AsyncClient) -> str:
    got = await http.get("/snapshot", params={"format": "text"}, headers=as_("viewer"))
    assert got.status_code == 200, got.text
    return got.text


async def suggestions(http: httpx.AsyncClient, status: str = "open") -> list[dict[str, Any]]:
    got = await http.get("/suggestions", params={"status": status}, headers=as_("viewer", "Vi"))
    assert got.status_code == 200, got.text
    items: list[dict[str, Any]] = got.json()["items"]
    return items


async def accept(http: httpx.AsyncClient, thread: str, name: str = "Ed") -> httpx.Response:
    return await http.post(f"/suggestions/{thread}/accept", headers=as_("editor", name))


async def blame_runs(http: httpx.AsyncClient) -> list[tuple[str, str | None]]:
    got = await http.get("/blame", headers=as_("viewer"))
    assert got.status_code == 200, got.text
    return [(run["text"], run["author"]) for run in got.json()["runs"]]


async def test_each_kind_by_passage_shows_where_it_stands_and_changes_nothing(
    http: httpx.AsyncClient,
):
    insert = await suggest(
        http, {"kind": "insert", "passage": {"index": 4, "length": 0}, "text": "very "}
    )
    delete = await suggest(http, {"kind": "delete", "passage": {"text": "lazy "}})
    replace = await suggest(
        http,
        {"kind": "replace", "passage": {"index": 10, "length": 5}, "text": "red", "body": "Hm?"},
    )
    assert insert["anchor"] is None and insert["quote"] == "very "
    assert insert["suggestion"]["kind"] == "insert" and insert["suggestion"]["at"]
    assert insert["suggestion"]["range"] == {"index": 4, "length": 0, "text": ""}
    assert insert["suggestion"]["status"] == "open" and insert["suggestion"]["decided_by"] is None
    assert insert["comments"] == [] and insert["created_by"]["name"] == "Cy"
    assert delete["quote"] == "lazy " and delete["anchor"] is not None
    assert delete["suggestion"]["range"] == {"index": 35, "length": 5, "text": "lazy "}
    assert delete["suggestion"]["text"] == "" and delete["suggestion"]["at"] is None
    assert replace["quote"] == "brown" and replace["suggestion"]["text"] == "red"
    assert [c["body"] for c in replace["comments"]] == ["Hm?"]
    assert await text(http) == TEXT, "a suggestion changes nothing until it is accepted"
    listed = await suggestions(http)
    assert [t["id"] for t in listed] == [insert["id"], replace["id"], delete["id"]]
    threads = (await http.get("/threads", headers=as_("viewer"))).json()["items"]
    assert {t["id"] for t in threads} == {insert["id"], delete["id"], replace["id"]}
    assert all(t["suggestion"] is not None for t in threads)


async def test_accepting_each_kind_edits_the_text_credited_to_the_suggester(
    http: httpx.AsyncClient,
):
    insert = await suggest(
        http, {"kind": "insert", "passage": {"index": 4, "length": 0}, "text": "very "}
    )
    delete = await suggest(http, {"kind": "delete", "passage": {"text": "lazy "}}, name="Bo")
    replace = await suggest(http, {"kind": "replace", "passage": {"text": "fox"}, "text": "cat"})
    accepted = await accept(http, insert["id"])
    assert accepted.status_code == 200, accepted.text
    shown = accepted.json()
    assert shown["suggestion"]["status"] == "accepted" and shown["resolved"] is True
    assert shown["suggestion"]["decided_by"]["name"] == "Ed" and shown["suggestion"]["decided_at"]
    assert await text(http) == "The very quick brown fox jumps over the lazy dog."
    for thread in (delete, replace):
        answer = await accept(http, thread["id"])
        assert answer.status_code == 200, answer.text
    assert await text(http) == "The very quick brown cat jumps over the dog."
    runs = await blame_runs(http)
    assert ("very ", "Cy") in runs and ("cat", "Cy") in runs
    assert all(author == "Ed" for chunk, author in runs if chunk not in ("very ", "cat"))
    assert await suggestions(http) == []
    assert {t["id"] for t in await suggestions(http, "accepted")} == {
        insert["id"],
        delete["id"],
        replace["id"],
    }
    again = await accept(http, insert["id"])
    assert again.status_code == 409 and "accepted" in again.json()["detail"]
    versions = await http.post("/versions", json={"label": "v"}, headers=as_("editor"))
    assert versions.is_success, versions.text
    assert {"Cy", "Bo"} <= set(versions.json()["authors"])


async def test_an_editors_anchor_and_point_are_checked_and_used(
    http: httpx.AsyncClient,
):
    made = await suggest(http, {"kind": "delete", "passage": {"text": "quick "}})
    anchor = made["anchor"]
    by_anchor = await suggest(http, {"kind": "replace", "anchor": anchor, "text": "slow "})
    assert by_anchor["suggestion"]["range"]["text"] == "quick "
    insert = await suggest(
        http, {"kind": "insert", "passage": {"index": TEXT.index("dog"), "length": 0}, "text": "x"}
    )
    at = insert["suggestion"]["at"]
    by_point = await suggest(http, {"kind": "insert", "at": at, "text": "big "})
    assert by_point["suggestion"]["range"]["index"] == TEXT.index("dog")
    for body, word in (
        ({"kind": "insert", "anchor": anchor, "text": "x"}, "point"),
        ({"kind": "delete", "at": at}, "passage"),
        ({"kind": "delete", "passage": {"text": "fox"}, "text": "x"}, "delete"),
        ({"kind": "replace", "passage": {"text": "fox"}}, "text"),
        ({"kind": "insert", "at": "AAAA", "text": "x"}, "at"),
        ({"kind": "insert", "passage": {"index": 999, "length": 0}, "text": "x"}, "inside"),
        ({"kind": "delete", "passage": {"text": "fox"}, "at": at}, "one way"),
        ({"kind": "delete"}, "one way"),
    ):
        refused = await http.post("/suggestions", json=body, headers=as_("commenter"))
        assert refused.status_code == 422, (body, refused.text)
        assert word in refused.json()["detail"], refused.json()
        assert refused.headers["content-type"].startswith("application/problem+json")
    accepted = await accept(http, by_point["id"])
    assert accepted.status_code == 200, accepted.text
    assert await text(http) == TEXT.replace("dog", "big dog")


async def test_the_author_grows_and_withdraws_an_open_suggestion(http: httpx.AsyncClient):
    insert = await suggest(
        http, {"kind": "insert", "passage": {"index": 4, "length": 0}, "text": "v"}
    )
    path = f"/suggestions/{insert['id']}"
    grown = await http.patch(path, json={"text": "very "}, headers=as_("commenter", "Cy"))
    assert grown.status_code == 200, grown.text
    assert grown.json()["suggestion"]["text"] == "very " and grown.json()["quote"] == "very "
    other = await http.patch(path, json={"text": "x"}, headers=as_("editor", "Ed"))
    assert other.status_code == 403 and "author" in other.json()["detail"]
    delete = await suggest(http, {"kind": "delete", "passage": {"text": "quick"}})
    wider = await suggest(http, {"kind": "delete", "passage": {"text": "quick brown"}})
    widened = await http.patch(
        f"/suggestions/{delete['id']}",
        json={"anchor": wider["anchor"]},
        headers=as_("commenter", "Cy"),
    )
    assert widened.status_code == 200, widened.text
    assert widened.json()["suggestion"]["range"]["text"] == "quick brown"
    assert widened.json()["quote"] == "quick brown"
    bad = await http.patch(path, json={"anchor": wider["anchor"]}, headers=as_("commenter", "Cy"))
    assert bad.status_code == 422
    refused = await http.delete(path, headers=as_("editor", "Ed"))
    assert refused.status_code == 403
    withdrawn = await http.delete(path, headers=as_("commenter", "Cy"))
    assert withdrawn.status_code == 204
    assert insert["id"] not in {t["id"] for t in await suggestions(http, "all")}
    assert (await http.delete(path, headers=as_("commenter", "Cy"))).status_code == 404
    assert (await accept(http, delete["id"])).status_code == 200
    late = await http.patch(
        f"/suggestions/{delete['id']}",
        json={"anchor": wider["anchor"]},
        headers=as_("commenter", "Cy"),
    )
    assert late.status_code == 409 and "accepted" in late.json()["detail"]
    assert await text(http) == "The  fox jumps over the lazy dog."


async def test_rejecting_keeps_the_text_and_who_may_decide(http: httpx.AsyncClient):
    made = await suggest(http, {"kind": "replace", "passage": {"text": "fox"}, "text": "cat"})
    path = f"/suggestions/{made['id']}"
    viewer = await http.post(
        "/suggestions", json={"kind": "delete", "passage": {"text": "fox"}}, headers=as_("viewer")
    )
    assert viewer.status_code == 403
    for role in ("viewer", "commenter"):
        refused = await http.post(f"{path}/accept", headers=as_(role, "Zed"))
        assert refused.status_code == 403, refused.text
    not_author = await http.post(f"{path}/reject", headers=as_("commenter", "Zed"))
    assert not_author.status_code == 403 and "editor" in not_author.json()["detail"]
    all_by = await http.post(
        "/suggestions/accept-all", json={"author": "Cy"}, headers=as_("commenter")
    )
    assert all_by.status_code == 403
    rejected = await http.post(f"{path}/reject", headers=as_("editor", "Ed"))
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["suggestion"]["status"] == "rejected"
    assert rejected.json()["suggestion"]["decided_by"]["name"] == "Ed"
    assert rejected.json()["resolved"] is True
    assert await text(http) == TEXT
    assert (await accept(http, made["id"])).status_code == 409
    own = await suggest(http, {"kind": "delete", "passage": {"text": "lazy "}})
    by_author = await http.post(f"/suggestions/{own['id']}/reject", headers=as_("commenter", "Cy"))
    assert by_author.status_code == 200, by_author.text
    rejected_ones = await suggestions(http, "rejected")
    assert [t["id"] for t in rejected_ones] == [made["id"], own["id"]], "in document order"
    threads = await http.get("/threads", params={"status": "resolved"}, headers=as_("viewer"))
    assert {t["id"] for t in threads.json()["items"]} == {made["id"], own["id"]}


async def test_accept_all_and_reject_all_by_author(http: httpx.AsyncClient):
    for word in ("quick ", "brown "):
        await suggest(http, {"kind": "delete", "passage": {"text": word}}, name="Cy")
    for word in ("lazy ", "over "):
        await suggest(http, {"kind": "delete", "passage": {"text": word}}, name="Bo")
    accepted = await http.post(
        "/suggestions/accept-all", json={"author": "Cy"}, headers=as_("editor")
    )
    assert accepted.status_code == 200 and accepted.json() == {"accepted": 2}
    assert await text(http) == "The fox jumps over the lazy dog."
    rejected = await http.post(
        "/suggestions/reject-all", json={"author": "Bo"}, headers=as_("editor")
    )
    assert rejected.status_code == 200 and rejected.json() == {"rejected": 2}
    assert await text(http) == "The fox jumps over the lazy dog."
    assert await suggestions(http) == []


async def test_a_gone_passage_is_a_409_and_an_edit_before_accept_is_kept(
    http: httpx.AsyncClient,
):
    gone = await suggest(http, {"kind": "replace", "passage": {"text": "lazy"}, "text": "idle"})
    kept = await suggest(
        http, {"kind": "replace", "passage": {"text": "quick brown"}, "text": "red"}
    )
    point = await suggest(
        http,
        {"kind": "insert", "passage": {"index": TEXT.index("fox") + 3, "length": 0}, "text": "!"},
    )
    # Someone else edits meanwhile: "lazy" goes, "very " goes inside "quick brown" (the
    # passage grows with it), the fox goes.
    ops = [
        {"op": "delete", "index": TEXT.index("lazy"), "length": 5},
        {"op": "delete", "index": TEXT.index("fox"), "length": 3},
        {"op": "insert", "index": TEXT.index("brown"), "text": "very "},
    ]
    edited = await http.patch("/text", json={"ops": ops}, headers=as_("editor", "Ed"))
    assert edited.status_code == 200, edited.text
    now = "The quick very brown  jumps over the dog."
    assert await text(http) == now
    refused = await accept(http, gone["id"])
    assert refused.status_code == 409, refused.text
    assert "deleted" in refused.json()["detail"] and "'lazy'" in refused.json()["detail"]
    assert [t["id"] for t in await suggestions(http)][-1] == gone["id"]
    assert (await accept(http, kept["id"])).status_code == 200
    assert await text(http) == "The red  jumps over the dog."
    # The insertion's neighbour ("x" of fox) is deleted: it applies where its point resolves.
    assert (await accept(http, point["id"])).status_code == 200
    assert await text(http) == "The red ! jumps over the dog."
    assert gone["id"] in {t["id"] for t in await suggestions(http)}, "a refused accept keeps it"


async def test_open_editors_hear_of_each_change(server: ServerProcess, http: httpx.AsyncClient):
    async with YClient(server.ws_url, "doc", events=True, token=token("doc", "viewer")) as page:
        await page.wait_text(TEXT)
        one = await suggest(http, {"kind": "replace", "passage": {"text": "fox"}, "text": "cat"})
        two = await suggest(http, {"kind": "delete", "passage": {"text": "lazy "}})
        three = await suggest(
            http, {"kind": "insert", "passage": {"index": 0, "length": 0}, "text": "So, "}
        )
        path = f"/suggestions/{three['id']}"
        await http.patch(path, json={"text": "Well, "}, headers=as_("commenter", "Cy"))
        await http.delete(path, headers=as_("commenter", "Cy"))
        await accept(http, one["id"])
        await http.post(f"/suggestions/{two['id']}/reject", headers=as_("editor", "Ed"))
        await page.wait_for(lambda: len(_events(page)) == 7)
        await page.wait_text(TEXT.replace("fox", "cat"))
    assert [(e["type"], e["thread"]) for e in _events(page)] == [
        ("suggestion.created", one["id"]),
        ("suggestion.created", two["id"]),
        ("suggestion.created", three["id"]),
        ("suggestion.changed", three["id"]),
        ("suggestion.withdrawn", three["id"]),
        ("suggestion.accepted", one["id"]),
        ("suggestion.rejected", two["id"]),
    ]
    assert _events(page)[0]["author"] == "Cy" and _events(page)[5]["author"] == "Ed"


def _events(client: YClient) -> list[dict[str, Any]]:
    return [event for event, _ in client.events if event["type"].startswith("suggestion.")]


async def test_suggestions_go_with_an_export_and_a_copy(
    server: ServerProcess, http: httpx.AsyncClient
):
    open_one = await suggest(
        http, {"kind": "insert", "passage": {"index": 4, "length": 0}, "text": "very "}
    )
    done = await suggest(http, {"kind": "replace", "passage": {"text": "fox"}, "text": "cat"})
    assert (await accept(http, done["id"])).status_code == 200
    admin = issue_token(SECRET, user="root", name="Root", grants={"*": "admin"}, ttl_seconds=600)
    async with CollabClient(server.http_url, token=admin) as client:
        exported = await client.snapshot_collab("doc")
        imported = await client.import_file("Imported", exported, "collab")
        await client.copy_room("doc", "copied", comments=True, resolved_comments=True)
        for room in (imported.name, "copied"):
            found = {t.quote: t for t in await client.suggestions(room, "all")}
            assert set(found) == {"very ", "fox"}, room
            still = found["very "].suggestion
            assert still is not None and still.status == "open" and still.kind == "insert"
            assert still.range is not None and still.range.index == 4
            decided = found["fox"].suggestion
            assert decided is not None and decided.status == "accepted"
            assert decided.decided_by is not None and decided.decided_by.name == "Ed"
            accepted = await client.accept_suggestion(room, found["very "].id)
            assert accepted.suggestion is not None and accepted.suggestion.status == "accepted"
            assert (
                await client.snapshot_text(room)
                == "The very quick brown cat jumps over the lazy dog."
            )
    assert open_one["id"] in {t["id"] for t in await suggestions(http)}


async def test_two_accepts_at_once_apply_it_once(http: httpx.AsyncClient):
    made = await suggest(
        http, {"kind": "insert", "passage": {"index": 4, "length": 0}, "text": "very "}
    )
    first, second = await asyncio.gather(
        accept(http, made["id"], name="Ed"), accept(http, made["id"], name="Flo")
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
    refused = first if first.status_code == 409 else second
    assert "not open" in refused.json()["detail"]
    assert await text(http) == "The very quick brown fox jumps over the lazy dog."


async def test_an_insertion_into_an_empty_plain_document(server: ServerProcess):
    """In an empty plain text, Yjs (y-codemirror's page) names the root type for a point; the
    server takes it, makes the same for a point by index, and places both where Yjs does: at
    the text's end once someone has typed."""
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms/doc") as http:
        made = await http.put(f"{server.http_url}/api/rooms/doc", headers=as_("admin"))
        assert made.status_code == 201, made.text
        empty = await http.get("/snapshot", params={"format": "yjs"}, headers=as_("viewer"))
        state = base64.urlsafe_b64encode(empty.content).decode().rstrip("=")
        point = await yjs(op="plainPoint", update=state, at=0, assoc=0)
        by_page = await suggest(http, {"kind": "insert", "at": point["position"], "text": "Hi"})
        by_index = await suggest(
            http, {"kind": "insert", "passage": {"index": 0, "length": 0}, "text": "Yo"}
        )
        for thread in (by_page, by_index):
            assert thread["suggestion"]["range"] == {"index": 0, "length": 0, "text": ""}
        typed = await http.patch("/text", json={"text": "abc"}, headers=as_("editor", "Ed"))
        assert typed.status_code == 200, typed.text
        now = await http.get("/snapshot", params={"format": "yjs"}, headers=as_("viewer"))
        state = base64.urlsafe_b64encode(now.content).decode().rstrip("=")
        for thread in (by_page, by_index):
            where = await yjs(op="plainWhere", update=state, position=thread["suggestion"]["at"])
            assert where["at"] == len("abc")
        assert [t["suggestion"]["range"]["index"] for t in await suggestions(http)] == [3, 3]
        accepted = await accept(http, by_page["id"])
        assert accepted.status_code == 200, accepted.text
        assert await text(http) == "abcHi"
        accepted = await accept(http, by_index["id"])
        assert accepted.status_code == 200, accepted.text
        assert await text(http) == "abcHiYo"


async def test_plain_text_has_no_formatting_to_suggest(http: httpx.AsyncClient):
    refused = await http.post(
        "/suggestions",
        json={"kind": "format", "passage": {"text": "quick"}, "marks": {"bold": True}},
        headers=as_("commenter", "Cy"),
    )
    assert refused.status_code == 422, refused.text
    assert "plain-text document has no formatting" in refused.json()["detail"]
    assert await suggestions(http) == []
