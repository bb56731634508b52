"""APIs refuse what they cannot do right on rich and nested documents (issue 10, item 4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from pycrdt import Doc, Map, XmlElement, XmlFragment, XmlText

from tests.server import ServerProcess

YJS = {"Content-Type": "application/octet-stream"}


def _collab(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "collab", *args, "--database-url", server.database_url]
    return subprocess.run(command, capture_output=True, timeout=60)


def _rich_update() -> bytes:
    doc: Doc[Any] = Doc()
    fragment = doc.get("content", type=XmlFragment)
    paragraph = fragment.children.append(XmlElement("paragraph"))
    paragraph.children.append(XmlText("Written in Tiptap"))
    return doc.get_update()


async def test_plain_text_edits_of_a_rich_text_document_are_refused(
    server: ServerProcess, tmp_path: Path
):
    async with httpx.AsyncClient(base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/rich")).status_code in (200, 201)
        assert (await http.post("/rich/updates", content=_rich_update(), headers=YJS)).is_success
        before = (await http.get("/rich/snapshot", params={"format": "yjs"})).content
        for body in ({"text": "overwritten"}, {"ops": [{"op": "insert", "index": 0, "text": "x"}]}):
            response = await http.patch("/rich/text", json=body)
            assert response.status_code == 409, response.text
            assert "rich text" in response.json()["detail"]
        assert (await http.get("/rich/snapshot", params={"format": "yjs"})).content == before
    text = tmp_path / "plain.txt"
    text.write_text("overwritten")
    result = _collab(server, "import", "rich", str(text))
    assert result.returncode == 1 and b"rich text" in result.stderr


async def test_a_subdocument_is_rendered_as_a_reference(server: ServerProcess):
    doc: Doc[Any] = Doc()
    sub: Doc[Any] = Doc()
    doc.get("pages", type=Map)["first"] = sub
    async with httpx.AsyncClient(base_url=f"{server.http_url}/api/rooms") as http:
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
