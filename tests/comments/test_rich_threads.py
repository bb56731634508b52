"""Threads on rich-text documents (an XmlFragment, as Tiptap keeps it), and threads anchored
by an editor's own Yjs relative positions, against documents and positions the npm `yjs`
package made under Node: the server anchors passages a JavaScript client resolves to the same
text, follows passages through another client's edits, checks every anchor it is given, and
marks a thread detached when its passage is deleted."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.auth.test_websocket_auth import SECRET, token
from tests.conftest import ServerFactory
from tests.server import ServerProcess

SCRIPT = Path(__file__).parents[1] / "interop" / "node_passages.mjs"
PARAGRAPHS = ["The quick 😀 brown fox", "jumps over the lazy dog"]
ITEMS = ["naïve café ✓ twice café"]
TEXT = "\n".join(PARAGRAPHS + ITEMS)
YJS = {"Content-Type": "application/octet-stream"}


def as_(role: str, name: str = "Ada") -> dict[str, str]:
    return {"Authorization": f"Bearer {token('rich', role, name=name)}"}


def _node() -> str:
    node = shutil.which("node")
    if node is not None and (SCRIPT.parent / "node_modules" / "yjs").is_dir():
        return node
    reason = "Node.js and tests/interop/node_modules are needed: run `npm ci` in tests/interop/"
    if os.environ.get("COLLAB_REQUIRE_NODE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


async def yjs(**command: Any) -> dict[str, Any]:
    """One command of node_passages.mjs (npm yjs under Node)."""
    process = await asyncio.create_subprocess_exec(
        _node(),
        str(SCRIPT),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(json.dumps(command).encode())
    assert process.returncode == 0, err.decode()
    answer: dict[str, Any] = json.loads(out)
    return answer


@pytest.fixture
async def http(make_server: ServerFactory, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    server: ServerProcess = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    made = await yjs(op="make", paragraphs=PARAGRAPHS, list=ITEMS, foreign=True)
    async with httpx.AsyncClient(
        timeout=30, base_url=f"{server.http_url}/api/rooms/rich"
    ) as client:
        made_room = await client.put(f"{server.http_url}/api/rooms/rich", headers=as_("admin"))
        assert made_room.status_code == 201, made_room.text
        posted = await client.post(
            "/updates", content=_bytes(made["update"]), headers={**YJS, **as_("editor")}
        )
        assert posted.is_success, posted.text
        yield client


def _bytes(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def _state(http: httpx.AsyncClient) -> str:
    import base64

    got = await http.get("/snapshot", params={"format": "yjs"}, headers=as_("viewer"))
    assert got.status_code == 200, got.text
    return base64.urlsafe_b64encode(got.content).decode().rstrip("=")


async def _edit(http: httpx.AsyncClient, edits: list[dict[str, Any]]) -> None:
    """Another client (Yjs under Node) edits the document, sending its update."""
    edited = await yjs(op="edit", update=await _state(http), edits=edits)
    posted = await http.post(
        "/updates", content=_bytes(edited["update"]), headers={**YJS, **as_("editor")}
    )
    assert posted.is_success, posted.text


async def _create(http: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await http.post("/threads", json={**body, "body": "Why?"}, headers=as_("commenter"))


async def _range(http: httpx.AsyncClient, thread: str) -> dict[str, Any]:
    got = await http.get(f"/threads/{thread}", headers=as_("viewer"))
    assert got.status_code == 200, got.text
    shown: dict[str, Any] = got.json()
    return shown


async def test_a_passage_by_index_of_a_rich_document_resolves_to_it_in_yjs(
    http: httpx.AsyncClient,
):
    for passage in ("😀 brown", "fox\njumps", "lazy dog\nnaïve", "✓"):
        at = TEXT.index(passage)
        made = await _create(http, {"passage": {"index": at, "length": len(passage)}})
        assert made.status_code == 201, made.text
        thread = made.json()
        assert thread["quote"] == passage
        assert thread["range"] == {"index": at, "length": len(passage), "text": passage}
        anchor = thread["anchor"]
        resolved = await yjs(op="resolve", update=await _state(http), **anchor)
        assert resolved["text"] == passage, "a JavaScript client finds the same passage"


async def test_a_passage_by_its_text_takes_the_occurrence_asked_for(http: httpx.AsyncClient):
    second = await _create(http, {"passage": {"text": "café", "occurrence": 2}})
    assert second.status_code == 201, second.text
    assert second.json()["range"]["index"] == TEXT.rindex("café")
    missing = await _create(http, {"passage": {"text": "café", "occurrence": 3}})
    assert missing.status_code == 422
    assert "2 time(s)" in missing.json()["detail"]


async def test_an_editors_anchor_follows_another_clients_edits_and_detaches(
    http: httpx.AsyncClient,
):
    # From "brown" in the first paragraph to "jumps" in the second, as Tiptap would send it.
    start, end = PARAGRAPHS[0].index("brown"), len("jumps")
    # UTF-16 offsets: the emoji before "brown" is two units.
    anchor = await yjs(
        op="anchor", update=await _state(http), **{"from": [0, start + 1], "to": [1, end]}
    )
    made = await _create(http, {"anchor": anchor})
    assert made.status_code == 201, made.text
    thread = made.json()
    assert thread["quote"] == "brown fox\njumps"
    assert thread["anchor"] == anchor, "the editor's own positions are kept"

    # Another client types before the passage, and inside it.
    await _edit(
        http, [{"node": 0, "at": 0, "insert": "¡Ö! "}, {"node": 1, "at": 2, "insert": "🙂"}]
    )
    shown = await _range(http, thread["id"])
    assert shown["range"]["text"] == "brown fox\nju🙂mps"
    assert shown["range"]["index"] == len("¡Ö! The quick 😀 ")
    resolved = await yjs(op="resolve", update=await _state(http), **anchor)
    assert resolved["text"] == shown["range"]["text"], "the server and Yjs agree"

    # The whole passage deleted: the thread stays, detached, with its quote.
    await _edit(
        http,
        [
            {"node": 1, "at": 0, "delete": len("ju🙂mps".encode("utf-16-le")) // 2},
            {"node": 0, "at": len("¡Ö! The quick 😀 ".encode("utf-16-le")) // 2, "delete": 9},
        ],
    )
    gone = await _range(http, thread["id"])
    assert gone["detached"] is True and gone["range"] is None
    assert gone["quote"] == "brown fox\nju🙂mps", "as it last stood"
    listed = await http.get("/threads", headers=as_("viewer"))
    assert [t["id"] for t in listed.json()["items"]] == [thread["id"]]


async def test_anchors_the_server_cannot_trust_are_refused(http: httpx.AsyncClient):
    state = await _state(http)
    good = await yjs(op="anchor", update=state, **{"from": [0, 0], "to": [0, 3]})
    foreign = await yjs(op="foreign", update=state)
    type_end = (await yjs(op="typeEnd", update=state, node=0))["position"]
    backwards = await yjs(op="anchor", update=state, **{"from": [1, 4], "to": [0, 3]})
    unknown = "AP__A2QA"  # an item of client 65535's clock 100: never in this document
    cases = {
        "not base64url": {"start": "!!!", "end": good["end"]},
        "not a relative position": {"start": "CWdhcmJhZ2U", "end": good["end"]},
        "names a type's end": {"start": type_end, "end": good["end"]},
        "never held": {"start": unknown, "end": good["end"]},
        "another root": foreign,
        "backwards": backwards,
    }
    for case, anchor in cases.items():
        refused = await _create(http, {"anchor": anchor})
        assert refused.status_code == 422, (case, refused.text)
        assert refused.json()["detail"].startswith("anchor"), (case, refused.json())
    both = await _create(http, {"anchor": good, "passage": {"index": 0, "length": 1}})
    assert both.status_code == 422 and "one way" in both.json()["detail"]
    neither = await _create(http, {})
    assert neither.status_code == 422 and "one way" in neither.json()["detail"]
    on_break = await _create(http, {"passage": {"index": len(PARAGRAPHS[0]), "length": 3}})
    assert on_break.status_code == 422 and "break" in on_break.json()["detail"]
    listed = await http.get("/threads", headers=as_("viewer"))
    assert listed.json()["items"] == [], "nothing refused was stored"
    fine = await _create(http, {"anchor": good})
    assert fine.status_code == 201 and fine.json()["quote"] == "The"


async def test_a_removed_paragraph_detaches_its_threads_and_refuses_new_anchors_in_it(
    http: httpx.AsyncClient,
):
    state = await _state(http)
    inside = await yjs(op="anchor", update=state, **{"from": [1, 0], "to": [1, 5]})
    made = await _create(http, {"anchor": inside})
    assert made.status_code == 201 and made.json()["quote"] == "jumps"
    kept = await _create(http, {"passage": {"text": "quick"}})
    assert kept.status_code == 201, kept.text
    # Another client removes the second paragraph: its text is garbage-collected.
    await _edit(http, [{"removeBlock": 1}])
    listed = await http.get("/threads", headers=as_("viewer"))
    assert listed.status_code == 200, listed.text
    items = {t["id"]: t for t in listed.json()["items"]}
    assert items[made.json()["id"]]["detached"] is True
    assert items[kept.json()["id"]]["range"]["text"] == "quick"
    again = await _create(http, {"anchor": inside})
    assert again.status_code == 422, again.text
    assert "deleted paragraph" in again.json()["detail"]


async def test_threads_are_listed_by_passage(http: httpx.AsyncClient):
    made = {}
    for word in ("quick", "brown fox\njumps", "lazy"):
        response = await _create(http, {"passage": {"text": word}})
        assert response.status_code == 201, response.text
        made[word] = response.json()["id"]

    async def at(index: int, length: int = 1) -> list[str]:
        params = {"index": index, "length": length}
        listed = await http.get("/threads", params=params, headers=as_("viewer"))
        assert listed.status_code == 200, listed.text
        return [t["id"] for t in listed.json()["items"]]

    assert await at(TEXT.index("quick")) == [made["quick"]]
    assert await at(TEXT.index("fox")) == [made["brown fox\njumps"]]
    assert await at(TEXT.index("quick"), len("quick 😀 brown")) == [
        made["quick"],
        made["brown fox\njumps"],
    ]
    assert await at(TEXT.index("over")) == []
    assert await at(0, len(TEXT)) == list(made.values())
    refused = await http.get("/threads", params={"index": -1}, headers=as_("viewer"))
    assert refused.status_code == 422


async def test_a_passage_deleted_and_undone_by_another_client_is_found_again(
    http: httpx.AsyncClient,
):
    made = await _create(http, {"passage": {"text": "lazy dog"}})
    assert made.status_code == 201, made.text
    thread = made.json()["id"]
    at = len("jumps over the ")
    steps = await yjs(op="deleteAndUndo", update=await _state(http), node=1, at=at, length=8)
    for step, detached in (("deleted", True), ("undone", False)):
        posted = await http.post(
            "/updates", content=_bytes(steps[step]), headers={**YJS, **as_("editor")}
        )
        assert posted.is_success, posted.text
        shown = await _range(http, thread)
        assert shown["detached"] is detached, (step, shown)
    assert shown["range"] == {"index": TEXT.index("lazy dog"), "length": 8, "text": "lazy dog"}
    assert shown["anchor"] != made.json()["anchor"], "anchored anew on the text put back"
    # From now on it follows that text: typing inside it keeps it attached.
    await _edit(http, [{"node": 1, "at": at + len("lazy"), "insert": " old"}])
    moved = await _range(http, thread)
    assert moved["range"]["text"] == "lazy old dog"
