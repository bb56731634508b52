"""Any two versions compare, either way round, plain and rich; an old version is served in full
in every format; a bad or another room's version id is a clear problem (issue 10, item 6)."""

from __future__ import annotations

from typing import Any

import httpx
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from tests.protocol.richdocs import tiptap_document
from tests.server import ServerProcess

YJS = {"Content-Type": "application/octet-stream"}


async def _save(http: httpx.AsyncClient, room: str, label: str) -> int:
    response = await http.post(f"/{room}/versions", json={"label": label})
    assert response.status_code == 201, response.text
    number: int = response.json()["id"]
    return number


async def _set_text(http: httpx.AsyncClient, room: str, text: str) -> None:
    response = await http.patch(f"/{room}/text", json={"text": text})
    assert response.status_code == 200, response.text


async def _diff(http: httpx.AsyncClient, room: str, old: int, new: int) -> dict[str, Any]:
    response = await http.get(f"/{room}/versions/{old}/diff", params={"against": new})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _count(ops: list[dict[str, str]], kind: str) -> int:
    return sum(len(op["text"]) for op in ops if op["op"] == kind)


def _side(ops: list[dict[str, str]], keep: str) -> str:
    return "".join(op["text"] for op in ops if op["op"] in ("equal", keep))


async def test_any_two_versions_compare_either_way(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/pair")).status_code in (200, 201)
        texts = ["one\ntwo\nthree\n", "one\n2\nthree\nfour\n", "zero\none\nfour\n"]
        ids = []
        for i, text in enumerate(texts):
            await _set_text(http, "pair", text)
            ids.append(await _save(http, "pair", f"v{i}"))
        for a in range(3):
            for b in range(3):
                result = await _diff(http, "pair", ids[a], ids[b])
                assert (result["from"], result["to"]) == (ids[a], ids[b])
                assert _side(result["lines"], "delete") == texts[a]
                assert _side(result["lines"], "insert") == texts[b]
                assert _side(result["chars"], "delete") == texts[a]
                assert _side(result["chars"], "insert") == texts[b]
                assert result["stats"] == {
                    "inserted_chars": _count(result["chars"], "insert"),
                    "deleted_chars": _count(result["chars"], "delete"),
                }
        same = await _diff(http, "pair", ids[1], ids[1])
        assert same["lines"] == [{"op": "equal", "text": texts[1]}]


async def test_rich_versions_compare_and_are_served_in_full(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/tree")).status_code in (200, 201)
        doc = tiptap_document()
        assert (await http.post("/tree/updates", content=doc.get_update(), headers=YJS)).is_success
        first = await _save(http, "tree", "first")
        old_markdown = (await http.get("/tree/snapshot", params={"format": "markdown"})).text
        old_html = (await http.get("/tree/snapshot", params={"format": "html"})).text
        before = doc.get_state()
        content = doc.get("content", type=XmlFragment)
        content.children.append(XmlElement("paragraph", None, [XmlText("A new ending.")]))
        change = doc.get_update(before)
        assert (await http.post("/tree/updates", content=change, headers=YJS)).is_success
        second = await _save(http, "tree", "second")
        old = {"version": first}
        text = (await http.get("/tree/snapshot", params={**old, "format": "text"})).text
        assert text.startswith("Plan\n\nShip bold and docs <now>\n") and "ending" not in text
        # Rich documents compare as Markdown: structure and formatting are part of the text.
        forward = await _diff(http, "tree", first, second)
        ending = {"op": "insert", "text": "\nA new ending.\n"}
        assert forward["lines"] == [{"op": "equal", "text": old_markdown}, ending]
        backward = await _diff(http, "tree", second, first)
        assert backward["lines"] == [
            {"op": "equal", "text": old_markdown},
            {**ending, "op": "delete"},
        ]
        assert backward["stats"] == {"inserted_chars": 0, "deleted_chars": len(ending["text"])}
        # The first version, in full, as it was: every format the live snapshot has.
        assert (await http.get("/tree/snapshot", params={**old, "format": "markdown"})).text == (
            old_markdown
        )
        assert (await http.get("/tree/snapshot", params={**old, "format": "html"})).text == old_html
        as_json = (await http.get("/tree/snapshot", params={**old, "format": "json"})).json()
        assert "A new ending." not in str(as_json) and "Plan" in str(as_json)
        now = (await http.get("/tree/snapshot", params={"format": "markdown"})).text
        assert now.endswith("A new ending.\n") and not old_markdown.endswith("A new ending.\n")


async def test_a_version_of_another_room_or_none_is_a_clear_problem(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        for room in ("mine", "theirs"):
            assert (await http.put(f"/{room}")).status_code in (200, 201)
            await _set_text(http, room, f"{room} text")
        mine = await _save(http, "mine", "mine")
        theirs = await _save(http, "theirs", "theirs")
        cases: list[tuple[str, dict[str, str | int], int, str]] = [
            (f"/mine/versions/{theirs}/diff", {"against": mine}, 404, f"no version {theirs}"),
            (f"/mine/versions/{mine}/diff", {"against": theirs}, 404, f"no version {theirs}"),
            (f"/mine/versions/{mine}/diff", {"against": "0"}, 422, "positive integer"),
            (f"/mine/versions/{mine}/diff", {"against": "later"}, 422, "positive integer"),
            (f"/mine/versions/{theirs}", {}, 404, f"no version {theirs}"),
            ("/mine/snapshot", {"version": theirs}, 404, f"no version {theirs}"),
            ("/mine/snapshot", {"version": "x"}, 422, "positive integer"),
            (f"/nobody/versions/{mine}/diff", {"against": mine}, 404, "nobody"),
        ]
        for path, params, status, words in cases:
            response = await http.get(path, params=params)
            assert response.status_code == status, (path, params, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert words in response.json()["detail"], (path, params, response.text)


async def test_a_formatting_only_change_of_a_rich_document_shows_in_its_diff(
    server: ServerProcess,
):
    """Taking bold off a word changes no word: the diff still shows it (as Markdown marks)."""
    doc: Doc[Any] = Doc()
    paragraph = doc.get("content", type=XmlFragment).children.append(XmlElement("paragraph"))
    text = paragraph.children.append(XmlText())
    text.insert(0, "Keep ")
    text.insert(5, "bold", {"bold": {}})
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/marks", json={"kind": "rich"})).status_code == 201
        posted = await http.post("/marks/updates", content=doc.get_update(), headers=YJS)
        assert posted.is_success
        bold = await _save(http, "marks", "bold")
        before = doc.get_state()
        text.format(5, 9, {"bold": None})
        posted = await http.post("/marks/updates", content=doc.get_update(before), headers=YJS)
        assert posted.is_success
        plain = await _save(http, "marks", "plain")
        diff = await _diff(http, "marks", bold, plain)
        assert [op for op in diff["chars"] if op["op"] != "equal"] == [
            {"op": "delete", "text": "**"},
            {"op": "delete", "text": "**"},
        ]
        assert diff["stats"] == {"inserted_chars": 0, "deleted_chars": 4}
