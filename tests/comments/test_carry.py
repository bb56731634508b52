"""Comment threads go where the document goes, on SQLite and PostgreSQL: `collab export
--format collab` and `collab import` (and the REST import) carry them with their anchors,
authors, times and resolved state; a copy takes them when asked (under new ids); a version
restore that brings a deleted passage back attaches its thread again; a deleted room keeps
none."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from collab.auth import issue_token
from collab.client import CollabClient
from collab.store.db import create_engine
from collab.store.models import CommentRow, ThreadRow
from collab.store.sql import SqlStore
from tests.auth.test_websocket_auth import SECRET
from tests.conftest import ServerFactory
from tests.launcher import run_collab
from tests.server import ServerProcess

TEXT = "The quick brown fox jumps over the lazy dog."


def as_(role: str, name: str = "Ada") -> dict[str, str]:
    signed = issue_token(
        SECRET, user=f"user-{name}", name=name, grants={"*": role}, ttl_seconds=600
    )
    return {"Authorization": f"Bearer {signed}"}


@pytest.fixture
async def server(make_server: ServerFactory, database_url: str) -> ServerProcess:
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    return server


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api") as client:
        assert (await client.put("/rooms/doc", headers=as_("admin"))).status_code == 201
        edited = await client.patch("/rooms/doc/text", json={"text": TEXT}, headers=as_("admin"))
        assert edited.status_code == 200, edited.text
        yield client


async def start(
    http: httpx.AsyncClient, word: str, body: str, name: str, room: str = "doc"
) -> dict[str, Any]:
    passage = {"index": TEXT.index(word), "length": len(word)}
    made = await http.post(
        f"/rooms/{room}/threads",
        json={"passage": passage, "body": body},
        headers=as_("commenter", name),
    )
    assert made.status_code == 201, made.text
    thread: dict[str, Any] = made.json()
    return thread


async def threads(http: httpx.AsyncClient, room: str, status: str = "all") -> list[dict[str, Any]]:
    listed = await http.get(
        f"/rooms/{room}/threads", params={"status": status}, headers=as_("viewer", "Vi")
    )
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def discussed(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Three threads on doc: one replied to and edited, one resolved, one left open."""
    fox = await start(http, "brown fox", "Which fox?", "Ada")
    replied = await http.post(
        f"/rooms/doc/threads/{fox['id']}/comments",
        json={"body": "The brown one ✓"},
        headers=as_("commenter", "Bo"),
    )
    assert replied.status_code == 201, replied.text
    edited = await http.patch(
        f"/rooms/doc/threads/{fox['id']}/comments/{replied.json()['id']}",
        json={"body": "The brown one, naturally ✓"},
        headers=as_("commenter", "Bo"),
    )
    assert edited.status_code == 200, edited.text
    dog = await start(http, "lazy", "Unkind to dogs", "Cy")
    resolved = await http.post(
        f"/rooms/doc/threads/{dog['id']}/resolve", headers=as_("commenter", "Bo")
    )
    assert resolved.status_code == 200, resolved.text
    await start(http, "jumps", "Leaps?", "Bo")
    return await threads(http, "doc")


def kept(thread: dict[str, Any], *, ids: bool = True) -> dict[str, Any]:
    """What a carried thread keeps: everything but its room (and its ids, for a copy)."""
    shown = {k: v for k, v in thread.items() if k not in ("room", "id")}
    shown["comments"] = [
        {k: v for k, v in c.items() if k not in ("id", "thread")} for c in thread["comments"]
    ]
    if ids:
        shown["ids"] = [thread["id"], *[c["id"] for c in thread["comments"]]]
    return shown


def collab(server: ServerProcess, *args: str) -> tuple[int, bytes, str]:
    done = run_collab([*args, "--database-url", server.database_url])
    return done.returncode, done.stdout, done.stderr.decode()


async def test_export_and_import_carry_threads_with_their_anchors(
    server: ServerProcess, http: httpx.AsyncClient, tmp_path: Path
):
    before = await discussed(http)
    file = tmp_path / "doc.collab"
    code, _, err = collab(server, "export", "doc", "--format", "collab", "-o", str(file))
    assert code == 0, err
    written = json.loads(file.read_text())
    assert (written["collab"], written["version"], written["kind"]) == ("document", 1, "text")
    assert len(written["threads"]) == 3

    # Into another room while doc still has them: new ids, everything else as it was.
    code, _, err = collab(server, "import", "elsewhere", str(file))
    assert code == 0, err
    elsewhere = await threads(http, "elsewhere")
    assert [kept(t, ids=False) for t in elsewhere] == [kept(t, ids=False) for t in before]
    assert {t["id"] for t in elsewhere}.isdisjoint(t["id"] for t in before)
    assert [t["range"]["text"] for t in elsewhere] == ["brown fox", "jumps", "lazy"]
    assert [t["resolved"] for t in elsewhere] == [False, False, True]

    # Imported again: merged by id, nothing doubles.
    code, _, err = collab(server, "import", "elsewhere", str(file))
    assert code == 0, err
    assert await threads(http, "elsewhere") == elsewhere

    # A backup brought back after the room was deleted: the very same threads, same ids.
    assert (await http.delete("/rooms/doc", headers=as_("admin"))).status_code == 204
    gone = await http.get("/rooms/doc/threads", headers=as_("viewer"))
    assert gone.status_code == 404
    code, _, err = collab(server, "import", "doc", str(file))
    assert code == 0, err
    assert [kept(t) for t in await threads(http, "doc")] == [kept(t) for t in before]

    # The anchors are the document's own: they follow an edit made after the import.
    edit = {"ops": [{"op": "insert", "index": 0, "text": "¡Mira! "}]}
    assert (await http.patch("/rooms/doc/text", json=edit, headers=as_("admin"))).is_success
    moved = await threads(http, "doc")
    assert [t["range"]["index"] for t in moved] == [
        t["range"]["index"] + len("¡Mira! ") for t in before
    ]
    assert [t["range"]["text"] for t in moved] == ["brown fox", "jumps", "lazy"]


async def test_an_import_into_a_room_with_threads_adds_the_files_to_its_own(
    server: ServerProcess, http: httpx.AsyncClient, tmp_path: Path
):
    before = await discussed(http)
    file = tmp_path / "doc.collab"
    assert collab(server, "export", "doc", "--format", "collab", "-o", str(file))[0] == 0
    # A thread made after the export stays, and the file's threads the room has stay as the
    # room has them (merged by id: a reply made since is kept).
    own = await start(http, "quick", "Fast?", "Di")
    later = await http.post(
        f"/rooms/doc/threads/{before[0]['id']}/comments",
        json={"body": "Still here"},
        headers=as_("commenter", "Di"),
    )
    assert later.status_code == 201
    now = await threads(http, "doc")
    code, _, err = collab(server, "import", "doc", str(file))
    assert code == 0, err
    assert await threads(http, "doc") == now
    assert own["id"] in {t["id"] for t in now}


async def test_files_without_threads_and_broken_files(
    server: ServerProcess, http: httpx.AsyncClient, tmp_path: Path
):
    await discussed(http)
    update = (await http.get("/rooms/doc/snapshot?format=yjs", headers=as_("viewer"))).content
    # No threads key at all, named .json: imported as a collab file all the same.
    bare = {"collab": "document", "version": 1, "update": base64.b64encode(update).decode()}
    file = tmp_path / "bare.json"
    file.write_text(json.dumps(bare))
    code, _, err = collab(server, "import", "bare", str(file))
    assert code == 0, err
    text = await http.get("/rooms/bare/snapshot?format=text", headers=as_("viewer"))
    assert text.text == TEXT and await threads(http, "bare") == []
    # The formats without threads still import as they did.
    yjs = tmp_path / "doc.yjs"
    yjs.write_bytes(update)
    assert collab(server, "import", "plain", str(yjs))[0] == 0

    good = json.loads(
        collab(server, "export", "doc", "--format", "collab")[1].decode()  # to stdout
    )
    broken: list[tuple[str, Any, str]] = [
        ("version", 2, "version: this server reads collab exports of version 1, not 2"),
        ("update", "not base64!", "update: not base64"),
        ("threads", {}, "threads: an array"),
    ]
    thread = good["threads"][0]
    for field, value, message in [
        ("anchor", {"start": "/w==", "end": thread["anchor"]["end"]}, "anchor.start: not a Yjs"),
        ("created_at", "yesterday", "threads[0].created_at: not an ISO 8601 time"),
        ("comments", [], "threads[0].comments: an array of at least one comment"),
        ("id", "no spaces allowed", "threads[0].id: letters, digits, - and _ only"),
    ]:
        broken.append(("threads", [{**thread, field: value}], message))
    broken.append(
        ("threads", [{**thread, "comments": [{**thread["comments"][0], "body": "a\x00b"}]}], "NUL")
    )
    for field, value, message in broken:
        file = tmp_path / "broken.collab"
        file.write_text(json.dumps({**good, field: value}))
        code, _, err = collab(server, "import", "broken", str(file))
        assert code == 1 and message in err, (field, err)
    missing = await http.get("/rooms/broken", headers=as_("viewer"))
    assert missing.status_code == 404, "a refused file creates nothing"
    file.write_text(json.dumps({"content": TEXT}))
    code, _, err = collab(server, "import", "broken", str(file), "--format", "collab")
    assert code == 1 and "not a collab export" in err


async def test_the_rest_api_exports_and_imports_a_collab_file(
    server: ServerProcess, http: httpx.AsyncClient
):
    before = await discussed(http)
    code, exported, err = collab(server, "export", "doc", "--format", "collab")
    assert code == 0, err
    got = await http.get("/rooms/doc/snapshot?format=collab", headers=as_("viewer"))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/vnd.collab.document+json"
    assert json.loads(got.content) == json.loads(exported), "the CLI and REST export agree"
    by_accept = await http.get(
        "/rooms/doc/snapshot",
        headers={**as_("viewer"), "Accept": "application/vnd.collab.document+json"},
    )
    assert by_accept.content == got.content
    # The ETag covers the threads: a reply (the text unchanged) changes it.
    same = await http.get(
        "/rooms/doc/snapshot?format=collab",
        headers={**as_("viewer"), "If-None-Match": got.headers["etag"]},
    )
    assert same.status_code == 304
    data = got.content
    made = await http.post(
        "/imports",
        params={"title": "Imported notes", "format": "collab"},
        content=data,
        headers={**as_("admin"), "Content-Type": "application/octet-stream"},
    )
    assert made.status_code == 201, made.text
    room = made.json()["name"]
    carried = await threads(http, room)
    assert [kept(t, ids=False) for t in carried] == [kept(t, ids=False) for t in before]
    refused = await http.post(
        "/imports",
        params={"title": "Broken", "format": "collab"},
        content=b'{"collab": "document", "version": 1, "update": "%%%"}',
        headers={**as_("admin"), "Content-Type": "application/octet-stream"},
    )
    assert refused.status_code == 422 and "update: not base64" in refused.json()["detail"]
    replied = await http.post(
        f"/rooms/doc/threads/{before[0]['id']}/comments",
        json={"body": "One more"},
        headers=as_("commenter", "Di"),
    )
    assert replied.status_code == 201
    changed = await http.get(
        "/rooms/doc/snapshot?format=collab",
        headers={**as_("viewer"), "If-None-Match": got.headers["etag"]},
    )
    assert changed.status_code == 200 and changed.headers["etag"] != got.headers["etag"]


async def test_a_copy_takes_the_threads_only_when_asked(
    server: ServerProcess, http: httpx.AsyncClient
):
    before = await discussed(http)
    open_ones = [t for t in before if not t["resolved"]]

    async def copy(body: dict[str, Any]) -> str:
        made = await http.post("/rooms/doc/copy", json=body, headers=as_("admin"))
        assert made.status_code == 201, made.text
        name: str = made.json()["name"]
        return name

    assert await threads(http, await copy({"to": "bare-copy"})) == []
    with_open = await threads(http, await copy({"to": "with-open", "comments": True}))
    assert [kept(t, ids=False) for t in with_open] == [kept(t, ids=False) for t in open_ones]
    titled = await copy({"title": "Everything", "comments": True, "resolved_comments": True})
    everything = await threads(http, titled)
    assert [kept(t, ids=False) for t in everything] == [kept(t, ids=False) for t in before]
    ids = {t["id"] for t in before} | {c["id"] for t in before for c in t["comments"]}
    copied = {t["id"] for t in everything} | {c["id"] for t in everything for c in t["comments"]}
    assert ids.isdisjoint(copied), "copied threads and comments have ids of their own"
    only_resolved = await copy({"to": "odd", "resolved_comments": True})
    assert await threads(http, only_resolved) == [], "resolved ones go only with the rest"

    # A copied thread lives on its own: resolving it leaves the original open.
    fox = next(t for t in with_open if t["quote"] == "brown fox")
    done = await http.post(
        f"/rooms/with-open/threads/{fox['id']}/resolve", headers=as_("commenter", "Bo")
    )
    assert done.status_code == 200
    assert not next(t for t in await threads(http, "doc") if t["quote"] == "brown fox")["resolved"]

    async with CollabClient(server.http_url, token=as_("admin")["Authorization"][7:]) as client:
        exported = await client.snapshot_collab("doc")
        imported = await client.import_file("Client import", exported, "collab")
        assert len(await threads(http, imported.name)) == 3
        await client.copy_room("doc", "by-client", comments=True, resolved_comments=True)
        assert len(await threads(http, "by-client")) == 3
        await client.copy_room("doc", "by-client-bare")
        assert await threads(http, "by-client-bare") == []


async def test_a_restore_attaches_the_threads_of_the_passages_it_brings_back(
    http: httpx.AsyncClient,
):
    saved = await http.post("/rooms/doc/versions", json={"label": "v1"}, headers=as_("admin"))
    assert saved.status_code in (200, 201), saved.text
    version = saved.json()["id"]
    fox = await start(http, "brown fox", "Which fox?", "Ada")
    quick = await start(http, "quick", "Fast?", "Bo")
    dog = await start(http, "lazy dog", "Unkind", "Cy")
    resolved = await http.post(
        f"/rooms/doc/threads/{quick['id']}/resolve", headers=as_("commenter", "Bo")
    )
    assert resolved.status_code == 200
    # "quick brown fox " goes: two threads detach; "lazy dog" stays where it is.
    cut = {"ops": [{"op": "delete", "index": 4, "length": len("quick brown fox ")}]}
    assert (await http.patch("/rooms/doc/text", json=cut, headers=as_("admin"))).is_success
    now = {t["id"]: t for t in await threads(http, "doc")}
    assert now[fox["id"]]["detached"] and now[quick["id"]]["detached"]
    kept_anchor = now[dog["id"]]["anchor"]

    restored = await http.post(f"/rooms/doc/versions/{version}/restore", headers=as_("admin"))
    assert restored.status_code == 200, restored.text
    after = {t["id"]: t for t in await threads(http, "doc")}
    assert (await http.get("/rooms/doc/snapshot?format=text", headers=as_("viewer"))).text == TEXT
    for thread, word in ((fox, "brown fox"), (quick, "quick"), (dog, "lazy dog")):
        found = after[thread["id"]]
        assert not found["detached"], word
        assert found["range"] == {"index": TEXT.index(word), "length": len(word), "text": word}
    assert after[quick["id"]]["resolved"], "a thread brought back keeps its state"
    assert after[dog["id"]]["anchor"] == kept_anchor, "an attached thread is left as it was"

    # The new anchors follow later edits as any do.
    edit = {"ops": [{"op": "insert", "index": 0, "text": "Oh. "}]}
    assert (await http.patch("/rooms/doc/text", json=edit, headers=as_("admin"))).is_success
    moved = {t["id"]: t for t in await threads(http, "doc")}
    assert moved[fox["id"]]["range"]["index"] == TEXT.index("brown fox") + 4


async def test_a_deleted_room_keeps_no_threads_and_a_new_one_of_its_name_starts_clean(
    http: httpx.AsyncClient, database_url: str
):
    await discussed(http)
    assert (await http.delete("/rooms/doc", headers=as_("admin"))).status_code == 204
    assert (await http.put("/rooms/doc", headers=as_("admin"))).status_code == 201
    assert await threads(http, "doc") == []
    store = SqlStore(create_engine(database_url))
    try:
        async with store.engine.connect() as conn:
            left = await conn.scalar(select(func.count()).select_from(ThreadRow))
            comments = await conn.scalar(select(func.count()).select_from(CommentRow))
    finally:
        await store.close()
    assert (left, comments) == (0, 0)
