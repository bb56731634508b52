"""Restore is exact for formatted text and leaves unchanged subdocuments alone (issue 10,
item 3)."""

from __future__ import annotations

from typing import Any

import httpx
from pycrdt import Doc, Map, Text

from tests.server import ServerProcess
from tests.yclient import YClient


def _runs(text: Text) -> list[tuple[str, dict[str, Any]]]:
    return [(chunk[0], chunk[1] or {}) for chunk in text.diff()]


async def test_restoring_formatted_text_brings_marks_back_even_when_only_they_changed(
    server: ServerProcess,
):
    async with (
        httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http,
        YClient(server.ws_url, "quill", ack=True) as editor,
    ):
        await editor.synced.wait()
        editor.content.insert(0, "Héllo bold and linked words")
        editor.content.format(7, 11, {"bold": True})  # "bold" (positions count UTF-8 bytes)
        editor.content.format(16, 22, {"link": "https://example.org"})
        await editor.wait_for(lambda: editor.acked == editor.sent_updates)
        marked = _runs(editor.content)
        version = (await http.post("/quill/versions", json={"label": "marked"})).json()["id"]
        editor.content.format(0, len(editor.content), {"bold": None, "link": None, "italic": True})
        await editor.wait_for(lambda: editor.acked == editor.sent_updates)
        assert (
            _runs(editor.content) != marked and str(editor.content) == "Héllo bold and linked words"
        )
        response = await http.post(f"/quill/versions/{version}/restore", json={})
        assert response.status_code == 200, response.text
        assert response.json()["changed"] is True  # a formatting-only change is a change
        await editor.wait_for(lambda: _runs(editor.content) == marked)
    async with YClient(server.ws_url, "quill") as later:
        await later.wait_for(lambda: _runs(later.content) == marked)


async def test_restore_leaves_an_unchanged_subdocument_alone(server: ServerProcess):
    doc: Doc[Any] = Doc()
    sub: Doc[Any] = Doc()
    pages = doc.get("pages", type=Map)
    pages["first"] = sub
    pages["title"] = "Draft"
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/book")).status_code in (200, 201)
        headers = {"Content-Type": "application/octet-stream"}
        before = doc.get_state()
        assert (
            await http.post("/book/updates", content=doc.get_update(), headers=headers)
        ).is_success
        version = (await http.post("/book/versions", json={"label": "v1"})).json()["id"]
        pages["title"] = "Final"
        change = doc.get_update(before)
        assert (await http.post("/book/updates", content=change, headers=headers)).is_success
        async with YClient(server.ws_url, "book") as reader:
            await reader.synced.wait()
            touched: set[str] = set()
            live_pages = reader.doc.get("pages", type=Map)
            subscription = live_pages.observe(lambda event: touched.update(event.keys))
            response = await http.post(f"/book/versions/{version}/restore", json={})
            assert response.status_code == 200 and response.json()["changed"] is True
            await reader.wait_for(lambda: reader.doc.get("pages", type=Map).get("title") == "Draft")
            assert touched == {"title"}  # the subdocument's entry was left alone
            live_pages.unobserve(subscription)
        snapshot = (await http.get("/book/snapshot", params={"format": "json"})).json()
    assert snapshot["pages"] == {"first": {"$subdoc": {"guid": sub.guid}}, "title": "Draft"}
