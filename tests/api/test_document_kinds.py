"""APIs refuse what they cannot do right on rich and nested documents (issue 10, item 4)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
from pycrdt import Doc, Map, XmlElement, XmlFragment, XmlText

from tests.launcher import run_collab
from tests.server import ServerProcess

YJS = {"Content-Type": "application/octet-stream"}


def _collab(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[bytes]:
    return run_collab([*args, "--database-url", server.database_url])


def _rich_update() -> bytes:
    doc: Doc[Any] = Doc()
    fragment = doc.get("content", type=XmlFragment)
    paragraph = fragment.children.append(XmlElement("paragraph"))
    paragraph.children.append(XmlText("Written in Tiptap"))
    return doc.get_update()


async def test_plain_text_edits_of_a_rich_text_document_are_refused(
    server: ServerProcess, tmp_path: Path
):
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/rich")).status_code in (200, 201)
        assert (await http.post("/rich/updates", content=_rich_update(), headers=YJS)).is_success
        before = (await http.get("/rich/snapshot", params={"format": "yjs"})).content
        for body in ({"text": "overwritten"}, {"ops": [{"op": "insert", "index": 0, "text": "x"}]}):
            response = await http.patch("/rich/text", json=body)
            assert response.status_code == 409, response.text
            assert "rich text" in response.json()["detail"]
        assert (await http.get("/rich/snapshot", params={"format": "yjs"})).content == before
        # An empty rich-text document refuses them too: text written into its empty `content`
        # would make that root a text no rich editor can open.
        assert (await http.put("/empty-rich", json={"kind": "rich"})).status_code == 201
        for body in ({"text": "typed"}, {"ops": [{"op": "insert", "index": 0, "text": "x"}]}):
            response = await http.patch("/empty-rich/text", json=body)
            assert response.status_code == 409, response.text
        assert (await http.get("/empty-rich/snapshot", params={"format": "json"})).json() == {}
        assert (await http.get("/empty-rich")).json()["kind"] == "rich"
    text = tmp_path / "plain.txt"
    text.write_text("overwritten")
    result = _collab(server, "import", "rich", str(text))
    assert result.returncode == 1 and b"rich text" in result.stderr


async def test_a_subdocument_is_rendered_as_a_reference(server: ServerProcess):
    doc: Doc[Any] = Doc()
    sub: Doc[Any] = Doc()
    doc.get("pages", type=Map)["first"] = sub
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/nested")).status_code in (200, 201)
        assert (
            await http.post("/nested/updates", content=doc.get_update(), headers=YJS)
        ).is_success
        response = await http.get("/nested/snapshot", params={"format": "json"})
        assert response.status_code == 200, response.text
        assert response.json()["pages"] == {"first": {"$subdoc": {"guid": sub.guid}}}
    exported = _collab(server, "export", "nested", "--format", "json")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["pages"]["first"] == {"$subdoc": {"guid": sub.guid}}


async def test_a_room_is_created_with_a_kind_and_reports_it(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        created = await http.put("/notes", json={"kind": "rich"})
        assert created.status_code == 201 and created.json()["kind"] == "rich"
        assert (await http.get("/notes")).json()["kind"] == "rich"
        # Idempotent: an existing room is returned as it is, whatever kind is asked (two people
        # creating one document at once both get the first one's); an unspecified one is text.
        assert (await http.put("/notes", json={"kind": "rich"})).status_code == 200
        again = await http.put("/notes", json={"kind": "text"})
        assert again.status_code == 200 and again.json()["kind"] == "rich"
        assert (await http.put("/plain")).json()["kind"] == "text"
        empty = await http.put("/empty-body", headers={"content-type": "application/json"})
        assert empty.status_code == 201 and empty.json()["kind"] == "text"
        rooms = (await http.get(server.http_url + "/api/rooms")).json()["items"]
        assert {item["name"]: item["kind"] for item in rooms} == {
            "notes": "rich",
            "plain": "text",
            "empty-body": "text",
        }
        for body in ({"kind": "html"}, {"kind": "rich", "extra": 1}, ["rich"]):
            refused = await http.put("/other", json=body)
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
        assert (await http.get("/other")).status_code == 404


async def test_content_decides_the_kind_whoever_created_the_room(server: ServerProcess):
    """A room created as text that a Tiptap client filled with an XmlFragment is rich; once it
    holds content of one kind, asking for the other changes nothing."""
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/made-as-text", json={"kind": "text"})).status_code == 201
        posted = await http.post("/made-as-text/updates", content=_rich_update(), headers=YJS)
        assert posted.is_success, posted.text
        assert (await http.get("/made-as-text")).json()["kind"] == "rich"
        asked = await http.put("/made-as-text", json={"kind": "text"})
        assert asked.status_code == 200 and asked.json()["kind"] == "rich"
        copied = await http.post("/made-as-text/copy", json={"to": "its-copy"})
        assert copied.status_code == 201 and copied.json()["kind"] == "rich"
    # After a restart (nothing loaded), the kind read off the content was recorded.
    await server.restart()
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        listed = {
            item["name"]: item["kind"]
            for item in (await http.get(server.http_url + "/api/rooms")).json()["items"]
        }
        assert listed == {"made-as-text": "rich", "its-copy": "rich"}


async def test_the_editor_page_opens_the_editor_the_document_needs(server: ServerProcess):
    def config(page: str) -> dict[str, Any]:
        start = page.index('<script id="collab-config" type="application/json">')
        body = page[start:].split(">", 1)[1].split("</script>", 1)[0]
        return dict(json.loads(body))

    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        new = await http.get("/new", params={"room": "fresh", "kind": "rich"})
        assert new.status_code == 303 and new.headers["location"] == "/d/fresh?kind=rich"
        assert (await http.get("/new", params={"room": "x", "kind": "bogus"})).headers[
            "location"
        ] == "/d/x"
        fresh = config((await http.get("/d/fresh", params={"kind": "rich"})).text)
        assert (fresh["kind"], fresh["exists"]) == ("rich", False)
        plain = config((await http.get("/d/fresh")).text)
        assert (plain["kind"], plain["exists"]) == ("text", False)
        assert (await http.put("/api/rooms/tiptap")).status_code == 201
        posted = await http.post("/api/rooms/tiptap/updates", content=_rich_update(), headers=YJS)
        assert posted.is_success
        # Asked for text, but the document is rich: the page follows the document.
        opened = config((await http.get("/d/tiptap", params={"kind": "text"})).text)
        assert (opened["kind"], opened["exists"]) == ("rich", True)
        home = (await http.get("/")).text
        assert 'data-kind="rich"' in home and "Rich text" in home
