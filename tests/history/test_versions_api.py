"""Version history against a real server: automatic, named, diff, restore, retention."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pycrdt import Doc, Text, XmlElement, XmlFragment, XmlText

from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.yclient import YClient

FAST = {"COLLAB_VERSION_SETTLE": "0.3", "COLLAB_UNLOAD_GRACE": "30"}


@pytest.fixture
async def fast(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(sqlite_url, **FAST)
    await server.start()
    return server


@pytest.fixture
async def http(fast: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, base_url=f"{fast.http_url}/api/rooms") as client:
        yield client


def _writer(server: ServerProcess, room: str, name: str) -> YClient:
    client = YClient(server.ws_url, room, ack=True)
    client.url += f"&name={name}"
    return client


async def _versions(http: httpx.AsyncClient, room: str) -> list[dict[str, Any]]:
    response = await http.get(f"/{room}/versions")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _wait_versions(http: httpx.AsyncClient, room: str, count: int) -> list[dict[str, Any]]:
    async with asyncio.timeout(10):
        while True:
            response = await http.get(f"/{room}/versions")
            items: list[dict[str, Any]] = response.json().get("items", [])
            if response.status_code == 200 and len(items) >= count:
                return items
            await asyncio.sleep(0.05)


async def test_auto_version_after_settle_time_with_attribution(fast, http):
    async with _writer(fast, "settle", "Ada") as ada, _writer(fast, "settle", "Bo") as bo:
        ada.append("from Ada. ")
        await bo.wait_text("from Ada. ")
        bo.append("from Bo.")
        await ada.wait_text("from Ada. from Bo.")
        versions = await _wait_versions(http, "settle", 1)
    assert versions[0]["kind"] == "auto"
    assert versions[0]["authors"] == ["Ada", "Bo"]
    text = (await http.get(f"/settle/versions/{versions[0]['id']}")).json()["text"]
    assert text == "from Ada. from Bo."


async def test_no_version_twice_for_the_same_state_and_named_upgrades_it(fast, http):
    async with _writer(fast, "dedup", "Ada") as ada:
        ada.append("stable")
        first = await _wait_versions(http, "dedup", 1)
    await asyncio.sleep(0.5)  # the last client left: nothing changed since, so no new version
    assert len(await _versions(http, "dedup")) == 1
    named = await http.post("/dedup/versions", json={"label": "Release", "author": "Ada"})
    assert named.status_code == 200 and named.json()["id"] == first[0]["id"]
    assert named.json()["kind"] == "named" and named.json()["label"] == "Release"
    again = await http.post("/dedup/versions", json={"label": "Again"})
    assert again.status_code == 200 and again.json()["id"] == first[0]["id"]
    assert len(await _versions(http, "dedup")) == 1


async def test_version_when_last_client_leaves(make_server: ServerFactory, sqlite_url: str):
    server = make_server(sqlite_url, COLLAB_VERSION_SETTLE="600")
    await server.start()
    async with _writer(server, "leave", "Ada") as ada:
        ada.append("written")
        await ada.wait_for(lambda: ada.acked == 2)
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        versions = await _wait_versions(http, "leave", 1)
    assert versions[0]["authors"] == ["Ada"]


async def test_named_version_survives_restart_and_is_served_in_every_format(fast, http):
    async with _writer(fast, "keep", "Ada") as ada:
        ada.append("version one")
        await ada.wait_for(lambda: ada.acked == 2)
        created = await http.post(
            "/keep/versions", json={"label": "v1"}, headers={"X-Collab-Author": "Ada"}
        )
        # 201, or 200 when the automatic version (0.3 s after the edit) recorded this state first
        assert created.status_code in (200, 201), created.text
        version = created.json()
        assert version["kind"] == "named" and version["author"] == "Ada"
        ada.append(" and more")
        await ada.wait_for(lambda: ada.acked == 3)
    await fast.restart()
    listed = await _versions(http, "keep")
    assert version["id"] in [v["id"] for v in listed]
    vid = version["id"]
    assert (
        await http.get("/keep/snapshot", params={"version": vid, "format": "text"})
    ).text == "version one"
    as_json = (
        await http.get(
            "/keep/snapshot", params={"version": vid}, headers={"Accept": "application/json"}
        )
    ).json()
    assert as_json == {"content": "version one"}
    binary = await http.get(f"/keep/versions/{vid}", headers={"Accept": "application/octet-stream"})
    doc: Doc[Any] = Doc()
    doc.apply_update(binary.content)
    assert str(doc.get("content", type=Text)) == "version one"
    assert (
        await http.get("/keep/snapshot", params={"format": "text"})
    ).text == "version one and more"
    exported = subprocess.run(
        [
            sys.executable,
            "-m",
            "collab",
            "export",
            "keep",
            "--version",
            str(vid),
            "--database-url",
            fast.database_url,
        ],
        capture_output=True,
        timeout=60,
    )
    assert exported.returncode == 0 and exported.stdout == b"version one"


async def test_diff_against_current_and_another_version(fast, http):
    async with _writer(fast, "diff", "Ada") as ada:
        ada.append("a\nb\nc\n")
        await ada.wait_for(lambda: ada.acked == 2)
        v1 = (await http.post("/diff/versions", json={"label": "one"})).json()["id"]
        del ada.content[2:3]
        ada.insert(2, "B!")
        ada.append("d\n")
        await ada.wait_for(lambda: ada.acked == ada.sent_updates)
        v2 = (await http.post("/diff/versions", json={"label": "two"})).json()["id"]
        current = (await http.get(f"/diff/versions/{v1}/diff")).json()
        between = (await http.get(f"/diff/versions/{v1}/diff", params={"against": v2})).json()
    expected_lines = [
        {"op": "equal", "text": "a\n"},
        {"op": "delete", "text": "b\n"},
        {"op": "insert", "text": "B!\n"},
        {"op": "equal", "text": "c\n"},
        {"op": "insert", "text": "d\n"},
    ]
    assert current["lines"] == expected_lines and current["to"] is None
    assert between["lines"] == expected_lines and between["to"] == v2
    assert between["stats"] == {"inserted_chars": 4, "deleted_chars": 1}


async def test_restore_while_another_client_types_keeps_their_words(fast, http):
    """Words the server held before the restore go to the safety version; words typed while
    and after it is applied stay in the document. Both clients converge; nothing is lost."""
    async with _writer(fast, "restore", "Ada") as ada, _writer(fast, "restore", "Bo") as bo:
        ada.append("Original paragraph.\n")
        await bo.wait_text("Original paragraph.\n")
        v1 = (await http.post("/restore/versions", json={"label": "clean"})).json()["id"]
        ada.append("Mistake by Ada.\n")
        await bo.wait_text("Original paragraph.\nMistake by Ada.\n")
        words = [f"bo{i};" for i in range(40)]
        typed = 0

        async def bo_types() -> None:
            nonlocal typed
            for word in words:
                bo.insert(0, word)
                typed += 1
                await asyncio.sleep(0.01)

        typing = asyncio.create_task(bo_types())
        await asyncio.sleep(0.1)
        response = await http.post(
            f"/restore/versions/{v1}/restore", headers={"X-Collab-Author": "Ada"}
        )
        restored_at = typed
        await typing
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["changed"] is True and body["restored"]["kind"] == "restore"
        assert body["restored"]["author"] == "Ada"
        try:
            # Each client wakes on its own frames only: Bo's acknowledgements first (his last
            # ones come after the restore reached him, so his text is final), then Ada's text.
            await bo.wait_for(lambda: bo.acked == bo.sent_updates)
            await ada.wait_for(lambda: ada.text == bo.text)
        except TimeoutError:
            raise AssertionError(f"ada={ada.text!r} bo={bo.text!r}") from None
        final = ada.text
        safety = (await http.get(f"/restore/versions/{body['safety']['id']}")).json()["text"]
    assert "Mistake" not in final and "Original paragraph.\n" in final
    assert "Mistake by Ada." in safety
    assert restored_at < len(words), "the restore must land while Bo is typing"
    assert all(word in final for word in words[restored_at:]), final
    assert all(word in final or word in safety for word in words), (final, safety)
    versions = await _versions(http, "restore")
    kinds = [v["kind"] for v in versions]
    assert "restore" in kinds and kinds.count("named") == 1


async def test_restoring_the_current_version_changes_nothing(fast, http):
    async with _writer(fast, "same", "Ada") as ada:
        ada.append("unchanged")
        await ada.wait_for(lambda: ada.acked == 2)
        vid = (await http.post("/same/versions", json={"label": "now"})).json()["id"]
        before = (await http.get("/same/snapshot", params={"format": "yjs"})).content
        result = (await http.post(f"/same/versions/{vid}/restore")).json()
        assert result["changed"] is False
        assert (await http.get("/same/snapshot", params={"format": "yjs"})).content == before
        assert len(await _versions(http, "same")) == 1
        assert ada.closed.is_set() is False


async def test_bad_version_ids_and_unknown_rooms(fast, http):
    async with _writer(fast, "errs", "Ada") as ada:
        ada.append("x")
        await ada.wait_for(lambda: ada.acked == 2)
    for path in ("/errs/versions/abc", "/errs/versions/0", "/errs/versions/-1/diff"):
        response = await http.get(path)
        assert response.status_code == 422 and "positive integer" in response.json()["detail"], path
    missing = await http.get("/errs/versions/999999")
    assert missing.status_code == 404 and "no version" in missing.json()["detail"]
    assert (await http.post("/errs/versions/999999/restore")).status_code == 404
    assert (await http.get("/errs/versions/1/diff", params={"against": "x"})).status_code == 422
    assert (await http.get("/nobody/versions")).status_code == 404
    assert (await http.post("/errs/versions", json={"label": ""})).status_code == 422
    assert (await http.get("/errs/snapshot", params={"version": "9999"})).status_code == 404


async def test_versions_survive_compaction(make_server: ServerFactory, sqlite_url: str):
    server = make_server(sqlite_url, COLLAB_COMPACT_MAX_UPDATES="10", **FAST)
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        async with _writer(server, "compact", "Ada") as ada:
            ada.append("kept")
            await ada.wait_for(lambda: ada.acked == 2)
            vid = (await http.post("/compact/versions", json={"label": "early"})).json()["id"]
            for i in range(60):
                ada.append(f" {i}")
            await ada.wait_for(lambda: ada.acked == ada.sent_updates)
        version = (await http.get(f"/compact/versions/{vid}")).json()
        assert version["text"] == "kept" and version["label"] == "early"


async def test_retention_thins_old_auto_versions_but_keeps_named(sqlite_url: str):
    from collab.store import migrate
    from collab.store.base import NewVersion, RetentionPolicy
    from collab.store.db import create_engine
    from collab.store.sql import SqlStore

    engine = create_engine(sqlite_url)
    await migrate.upgrade(engine)
    store = SqlStore(engine)
    try:
        for i in range(5):
            await store.append([NewVersion("r", b"\x00\x00", f"auto-{i}", "auto")])
        await store.append([NewVersion("r", b"\x00\x00", "named", "named", "keep me")])
        policy = RetentionPolicy(keep_all=timedelta(days=1), hourly_until=timedelta(days=7))
        assert await store.thin_versions("r", policy, datetime.now(UTC)) == 0
        assert await store.thin_versions("r", policy, datetime.now(UTC) + timedelta(days=2)) == 4
        kinds = sorted(v.kind for v in await store.list_versions("r"))
        assert kinds == ["auto", "named"]
    finally:
        await store.close()


async def test_restore_brings_back_rich_text_trees(fast, http):
    """ProseMirror/Tiptap keep their document in an XmlFragment: a restore rebuilds it."""
    async with _writer(fast, "rich", "Ada") as ada, _writer(fast, "rich", "Bo") as bo:
        tree = ada.doc.get("prosemirror", type=XmlFragment)
        tree.children.append(XmlElement("heading", {"level": "1"}, [XmlText("Title")]))
        paragraph = tree.children.append(XmlElement("paragraph", None, [XmlText()]))
        words = next(iter(paragraph.children))
        words.insert(0, "bold", {"bold": True})
        words.insert(len(words), " and plain")
        ada.append("plain content")
        await ada.wait_for(lambda: ada.acked == ada.sent_updates)
        saved = await http.post("/rich/versions", json={"label": "good"})
        assert saved.status_code == 201, saved.text
        original = str(tree)
        del tree.children[1]
        tree.children.append(XmlElement("paragraph", None, [XmlText("rewritten")]))
        await ada.wait_for(lambda: ada.acked == ada.sent_updates)
        bo_tree = bo.doc.get("prosemirror", type=XmlFragment)
        await bo.wait_for(lambda: "rewritten" in str(bo_tree))
        response = await http.post(f"/rich/versions/{saved.json()['id']}/restore")
        assert response.status_code == 200 and response.json()["changed"] is True, response.text
        await bo.wait_for(lambda: str(bo_tree) == original)
        await ada.wait_for(lambda: str(tree) == original)
        restored = next(iter(list(bo_tree.children)[1].children))
        assert restored.diff() == [("bold", {"bold": True}), (" and plain", None)]
        assert bo.text == "plain content" and not bo.closed.is_set()


async def test_restore_refuses_an_author_that_is_not_a_name(fast, http):
    """A bad author is a 422; it never reaches the database (where it would fail every commit
    of its batch) and the server goes on committing."""
    async with _writer(fast, "author", "Ada") as ada:
        ada.append("kept")
        await ada.wait_for(lambda: ada.acked == 2)
        vid = (await http.post("/author/versions", json={"label": "v"})).json()["id"]
        for author in ({"x": 1}, 7, "n" * 300):
            response = await http.post(f"/author/versions/{vid}/restore", json={"author": author})
            assert response.status_code == 422 and "author" in response.json()["detail"]
            response = await http.post("/author/versions", json={"label": "w", "author": author})
            assert response.status_code == 422 and "author" in response.json()["detail"]
        ada.append(" and more")
        await ada.wait_for(lambda: ada.acked == 3)
    served = await http.get("/author/snapshot", params={"format": "text"})
    assert served.text == "kept and more"


async def test_a_named_version_holds_what_an_import_committed_while_the_room_was_live(
    make_server: ServerFactory, sqlite_url: str, tmp_path
):
    """One process: `collab import` appends to a live room's log behind the server's back;
    a version catches up first (Cluster.catch_up, as automatic versions and other processes'
    rows do), so it holds the import, and so do the room's clients. (No automatic version
    comes in between: they settle for 120 s.)"""
    server = make_server(sqlite_url)
    await server.start()
    async with _writer(server, "live", "Ada") as ada:
        ada.append("typed")
        await ada.wait_for(lambda: ada.acked == 2)
        source = tmp_path / "import.txt"
        source.write_text("typed and imported")
        command = [sys.executable, "-m", "collab", "import", "live", str(source)]
        imported = subprocess.run(
            [*command, "--database-url", sqlite_url], capture_output=True, timeout=60
        )
        assert imported.returncode == 0, imported.stderr
        async with httpx.AsyncClient(
            timeout=30, base_url=f"{server.http_url}/api/rooms/live"
        ) as http:
            made = await http.post("/versions", json={"label": "after the import"})
            assert made.status_code == 201, made.text
            version = (await http.get(f"/versions/{made.json()['id']}")).json()
        assert version["text"] == "typed and imported"
        await ada.wait_text("typed and imported")
