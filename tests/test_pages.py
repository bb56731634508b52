"""The pages the server renders: document list, editor shell, hashed assets, service worker."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from tests.server import ServerProcess
from tests.yclient import YClient


async def _edit(server: ServerProcess, room: str, text: str) -> None:
    async with YClient(server.ws_url, room, ack=True) as client:
        client.append(text)
        await client.wait_for(lambda: client.acked == 2)


async def test_home_lists_documents_most_recently_edited_first(server: ServerProcess):
    await _edit(server, "older", "a")
    await _edit(server, "newer", "b")
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        page = (await http.get("/")).text
    names = re.findall(r'class="room-name" href="/d/([^"]+)"', page)
    assert names == ["newer", "older"]
    assert "just now" in page


async def test_new_redirects_to_the_editor_and_refuses_bad_names(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        response = await http.get("/new", params={"room": "meeting-notes"})
        assert response.status_code == 303
        assert response.headers["location"] == "/d/meeting-notes"
        assert (await http.get("/new", params={"room": "../etc"})).status_code == 422


async def test_editor_page_embeds_config_and_escapes_nothing_unsafe(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        response = await http.get("/d/notes@team")
        assert response.status_code == 200
        config = re.search(
            r'id="collab-config" type="application/json">(.*?)</script>', response.text
        )
        assert config is not None
        assert json.loads(config.group(1)) == {
            "room": "notes@team",
            "wsBase": "/ws",
            "devMode": True,
            "kind": "text",
            "exists": False,
            "title": None,
            "trashDays": 0,  # tests/server.py: a deletion erases at once unless a test says
        }
        assert (await http.get("/d/%3Cscript%3E")).status_code == 404


async def test_the_editor_page_shows_the_title_escaped(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        made = await http.post("/api/rooms", json={"title": "<b>Plans</b> & notes"})
        assert made.status_code == 201 and made.json()["name"] == "b-plans-b-notes"
        page = (await http.get("/d/b-plans-b-notes")).text
        assert "<title>&lt;b&gt;Plans&lt;/b&gt; &amp; notes · collab</title>" in page
        assert (
            '<h1 class="doc-title" id="doc-title">&lt;b&gt;Plans&lt;/b&gt; &amp; notes</h1>' in page
        )
        assert '"title": "\\u003cb\\u003ePlans\\u003c/b\\u003e \\u0026 notes"' in page
        home = (await http.get("/")).text
        assert ">&lt;b&gt;Plans&lt;/b&gt; &amp; notes</a>" in home


async def test_new_with_a_title_creates_the_document_without_javascript(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        first = await http.get("/new", params={"title": "Team notes", "kind": "rich"})
        assert first.status_code == 303 and first.headers["location"] == "/d/team-notes"
        again = await http.get("/new", params={"title": "Team notes"})
        assert again.headers["location"] == "/d/team-notes-2"
        meta = (await http.get("/api/rooms/team-notes")).json()
        assert meta["title"] == "Team notes" and meta["kind"] == "rich"
        refused = await http.get("/new", params={"title": "   "})
        assert refused.status_code == 422 and "That title cannot be used" in refused.text


async def test_hashed_assets_are_cached_forever_and_pages_revalidated(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        page = (await http.get("/d/x")).text
        assert (await http.get("/d/x")).headers["cache-control"] == "no-cache"
        assets = re.findall(r'(?:href|src)="(/assets/[^"]+)"', page)
        assert {a.rsplit(".", 1)[1] for a in assets} == {"css", "js"}
        for asset in assets:
            response = await http.get(asset)
            assert response.status_code == 200
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert (await http.get("/assets/missing-123.js")).status_code == 404
        worker = await http.get("/sw.js")
        assert worker.headers["cache-control"] == "no-cache"
        assert worker.headers["content-type"].startswith("text/javascript")


async def test_sign_in_and_people_pages_load_their_own_scripts(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET="pages-test-secret-with-enough-entropy-0123")
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        for path, script in (("/signin", "signin"), ("/people", "people")):
            response = await http.get(path)
            assert response.status_code == 200
            assert response.headers["cache-control"] == "no-cache"
            found = re.findall(r'<script type="module" src="(/assets/[^"]+)"', response.text)
            assert len(found) == 1 and found[0].startswith(f"/assets/{script}-"), found
            assert (await http.get(found[0])).status_code == 200
        # Without a session cookie the way in shows; with one, the page asks /api/me first.
        assert 'class="home home-private"' in (await http.get("/")).text
        http.cookies.set("collab_session", "whatever")
        assert 'class="home home-session"' in (await http.get("/")).text
