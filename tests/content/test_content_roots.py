"""Documents whose applications keep their content under another root name (stock Tiptap's
`default`, y-codemirror's `codemirror`, a name the server is given): snapshots as text and
Markdown, the room's kind, version text and diffs, text edits and comment threads all work on
that root."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pycrdt import Array, Map, Text, XmlElement, XmlFragment, XmlText

from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.yclient import YClient


@pytest.fixture
async def server(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(sqlite_url, COLLAB_CONTENT_ROOT="notes, sheet")
    await server.start()
    return server


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as client:
        yield client


async def _text(http: httpx.AsyncClient, room: str, fmt: str = "text") -> str:
    response = await http.get(f"/{room}/snapshot", params={"format": fmt})
    assert response.status_code == 200, response.text
    return response.text


async def test_a_stock_tiptap_document_in_default_is_rich_text_everywhere(
    server: ServerProcess, http: httpx.AsyncClient
):
    async with YClient(server.ws_url, "tiptap", ack=True) as tiptap:
        await tiptap.synced.wait()
        tree = tiptap.doc.get("default", type=XmlFragment)
        tree.children.append(XmlElement("heading", {"level": "1"}, [XmlText("Plan")]))
        words = XmlText()
        tree.children.append(XmlElement("paragraph", None, [words]))
        words.insert(0, "ship", {"bold": True})
        words.insert(len(words), " on Friday")
        await tiptap.wait_for(lambda: tiptap.acked == tiptap.sent_updates)
        assert await _text(http, "tiptap") == "Plan\n\nship on Friday\n"
        assert await _text(http, "tiptap", "markdown") == "# Plan\n\n**ship** on Friday\n"
        assert (await http.get("/tiptap")).json()["kind"] == "rich"
        saved = await http.post("/tiptap/versions", json={"label": "first"})
        assert saved.status_code == 201, saved.text
        version = saved.json()["id"]
        shown = await http.get(f"/tiptap/versions/{version}")
        assert "ship on Friday" in shown.json()["text"]
        words.insert(len("ship on "), "next ")
        await tiptap.wait_for(lambda: tiptap.acked == tiptap.sent_updates)
        diff = await http.get(f"/tiptap/versions/{version}/diff")
        assert diff.status_code == 200 and "next" in diff.text, diff.text
        refused = await http.patch("/tiptap/text", json={"text": "flat"})
        assert refused.status_code == 409, "plain-text edits would break the Tiptap tree"
        thread = await http.post(
            "/tiptap/threads", json={"passage": {"text": "Friday"}, "body": "Which one?"}
        )
        assert thread.status_code == 201, thread.text
        assert thread.json()["range"]["text"] == "Friday"
        restored = await http.post(f"/tiptap/versions/{version}/restore")
        assert restored.status_code == 200, restored.text
        await tiptap.wait_for(lambda: "next" not in str(tree))
        assert await _text(http, "tiptap") == "Plan\n\nship on Friday\n"


async def test_plain_text_under_codemirror_is_read_and_edited_there(
    server: ServerProcess, http: httpx.AsyncClient
):
    async with YClient(server.ws_url, "code", ack=True) as editor:
        await editor.synced.wait()
        code = editor.doc.get("codemirror", type=Text)
        code.insert(0, "print('hi')\n")
        await editor.wait_for(lambda: editor.acked == editor.sent_updates)
        assert await _text(http, "code") == "print('hi')\n"
        edited = await http.patch(
            "/code/text", json={"ops": [{"op": "insert", "index": 0, "text": "# run\n"}]}
        )
        assert edited.status_code == 200, edited.text
        await editor.wait_for(lambda: str(code) == "# run\nprint('hi')\n")
        assert editor.text == "", "collab's own root is left alone"


async def test_a_root_the_server_names_comes_first(server: ServerProcess, http: httpx.AsyncClient):
    async with YClient(server.ws_url, "named", ack=True) as app:
        await app.synced.wait()
        app.doc.get("sheet", type=Text).insert(0, "a sheet")
        app.doc.get("default", type=Text).insert(0, "a draft")
        await app.wait_for(lambda: app.acked == app.sent_updates)
        assert await _text(http, "named") == "a sheet", "COLLAB_CONTENT_ROOT comes first"
        app.doc.get("notes", type=Text).insert(0, "the notes")
        await app.wait_for(lambda: app.acked == app.sent_updates)
        assert await _text(http, "named") == "the notes", "its first name wins"


async def test_an_applications_own_root_name_needs_no_setting(
    server: ServerProcess, http: httpx.AsyncClient
):
    """A root of a name collab does not know (here `body`) is found by what it holds: rich
    text in a tree of nodes, plain text in a text; maps, arrays and `__`-named roots (where
    applications keep their own records) are not content."""
    async with YClient(server.ws_url, "own-rich", ack=True) as app:
        await app.synced.wait()
        app.doc["__app__versions"] = Array(["not the content"])
        app.doc["settings"] = Map({"theme": "dark"})
        app.doc["list"] = Array(["not", "text"])
        body = app.doc.get("body", type=XmlFragment)
        body.children.append(XmlElement("paragraph", None, [XmlText("Our own root")]))
        await app.wait_for(lambda: app.acked == app.sent_updates)
        assert await _text(http, "own-rich") == "Our own root\n"
        assert await _text(http, "own-rich", "markdown") == "Our own root\n"
        assert (await http.get("/own-rich")).json()["kind"] == "rich"
        saved = await http.post("/own-rich/versions", json={"label": "first"})
        assert saved.status_code == 201, saved.text
        shown = await http.get(f"/own-rich/versions/{saved.json()['id']}")
        assert "Our own root" in shown.json()["text"]
    async with YClient(server.ws_url, "own-plain", ack=True) as app:
        await app.synced.wait()
        app.doc["meta"] = Map({"author": "Ada"})
        words = app.doc.get("words", type=Text)
        words.insert(0, "plain words")
        await app.wait_for(lambda: app.acked == app.sent_updates)
        assert await _text(http, "own-plain") == "plain words"
        edited = await http.patch(
            "/own-plain/text", json={"ops": [{"op": "insert", "index": 0, "text": "My "}]}
        )
        assert edited.status_code == 200, edited.text
        await app.wait_for(lambda: str(words) == "My plain words")
