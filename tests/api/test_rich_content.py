"""Rich-text edits without a Yjs library (issue 26, item 4): Markdown or ProseMirror JSON sent
to PATCH /api/rooms/{room}/content is applied as the smallest edit, so what did not change
keeps its Yjs items (a connected client sees changes only inside the changed block, a comment
on an untouched paragraph stays where it was), a passage edit leaves a concurrent edit
elsewhere alone, marks round-trip, and an edit conditional on a stale read is refused."""

from __future__ import annotations

import copy
from typing import Any, cast

import httpx
from pycrdt import XmlElement, XmlFragment, XmlText

from tests.server import ServerProcess
from tests.yclient import YClient

DOC = """# Plan

First paragraph stays.

Second paragraph stays too.

Third paragraph changes.
"""

SECTIONS = """# Plan

Ship in May.

# Risks

Nobody knows.

# Notes

Written by people.
"""


def _fragment(client: YClient) -> XmlFragment:
    fragment: XmlFragment = client.doc.get("content", type=XmlFragment)
    return fragment


def _texts(client: YClient) -> list[str]:
    """Each top-level block's text, as a connected client holds it."""
    return [_text(block) for block in _fragment(client).children]


def _first_text(client: YClient, block: int) -> XmlText:
    """The first text of a top-level block, as a connected client holds it."""
    element = list(_fragment(client).children)[block]
    assert isinstance(element, XmlElement)
    text = next(iter(element.children))
    assert isinstance(text, XmlText)
    return text


def _text(node: Any) -> str:
    if isinstance(node, XmlText):
        return "".join(chunk for chunk, _ in node.diff() if isinstance(chunk, str))
    if isinstance(node, XmlElement):
        return "".join(_text(child) for child in node.children)
    return ""


async def _rich_room(http: httpx.AsyncClient, name: str, markdown: str) -> None:
    made = await http.put(f"/api/rooms/{name}", json={"kind": "rich"})
    assert made.status_code == 201, made.text
    written = await http.patch(f"/api/rooms/{name}/content", json={"markdown": markdown})
    assert written.status_code == 200, written.text
    assert written.json()["inserted"] == len([b for b in markdown.split("\n\n") if b.strip()])


async def test_a_markdown_edit_touches_only_the_block_that_changed(any_server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=any_server.http_url) as http:
        await _rich_room(http, "plan", DOC)
        thread = await http.post(
            "/api/rooms/plan/threads",
            json={"passage": {"text": "Second paragraph"}, "body": "Keep this?"},
        )
        assert thread.status_code == 201, thread.text
        async with YClient(any_server.ws_url, "plan") as person:
            await person.wait_for(lambda: len(_texts(person)) == 4)
            paths: list[list[Any]] = []
            watched = _fragment(person)
            watching = watched.observe_deep(
                lambda events: paths.extend(list(e.path) for e in cast(list[Any], events))
            )
            edited = await http.patch(
                "/api/rooms/plan/content",
                json={"markdown": DOC.replace("changes.", "changed, **now bold**.")},
            )
            assert edited.status_code == 200, edited.text
            assert {k: edited.json()[k] for k in ("kept", "changed", "inserted", "deleted")} == {
                "kept": 3,
                "changed": 1,
                "inserted": 0,
                "deleted": 0,
            }
            await person.wait_for(lambda: _texts(person)[3] == "Third paragraph changed, now bold.")
            watched.unobserve(watching)
            # Every change the client saw is inside the fourth block: the others kept their
            # items, and no block was deleted or inserted.
            assert paths and all(path[:1] == [3] for path in paths), paths
            runs = _first_text(person, 3).diff()
            assert runs == [
                ("Third paragraph changed, ", None),
                ("now bold", {"bold": {}}),
                (".", None),
            ]
        shown = (await http.get(f"/api/rooms/plan/threads/{thread.json()['id']}")).json()
        assert shown["range"]["text"] == "Second paragraph" and not shown.get("detached")
        markdown = (await http.get("/api/rooms/plan/content")).json()["markdown"]
        assert markdown == DOC.replace("changes.", "changed, **now bold**.")


async def test_a_section_edit_keeps_a_concurrent_edit_and_a_stale_one_is_refused(
    server: ServerProcess,
):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        await _rich_room(http, "risks", SECTIONS)
        read = await http.get("/api/rooms/risks/content", params={"heading": "Risks"})
        assert read.status_code == 200, read.text
        section = read.json()
        assert section["markdown"] == "# Risks\n\nNobody knows.\n"
        assert (section["start"], section["end"], section["blocks"]) == (2, 4, 6)
        assert read.headers["etag"] == section["base"]
        async with YClient(server.ws_url, "risks", ack=True) as person:
            await person.wait_for(lambda: len(_texts(person)) == 6)
            notes = _first_text(person, 5)
            notes.insert(len(notes), " And by agents.")  # typed while the agent works
            await person.wait_for(lambda: person.acked == person.sent_updates)
            edited = await http.patch(
                "/api/rooms/risks/content",
                params={"heading": "Risks"},
                json={"markdown": "# Risks\n\nThe date may slip.\n", "base": section["base"]},
            )
            assert edited.status_code == 200, edited.text
            await person.wait_for(lambda: _texts(person)[3] == "The date may slip.")
            assert _texts(person) == [
                "Plan",
                "Ship in May.",
                "Risks",
                "The date may slip.",
                "Notes",
                "Written by people. And by agents.",
            ]
            # The person now changes the section; an edit from the first read is refused.
            risk = _first_text(person, 3)
            risk.insert(0, "Yes: ")
            await person.wait_for(lambda: person.acked == person.sent_updates)
        stale = await http.patch(
            "/api/rooms/risks/content",
            params={"heading": "Risks"},
            json={"markdown": "# Risks\n\nNone.\n"},
            headers={"If-Match": edited.json()["base"]},
        )
        assert stale.status_code == 409, stale.text
        assert stale.headers["content-type"].startswith("application/problem+json")
        assert "changed since it was read" in stale.json()["detail"]
        fresh = (await http.get("/api/rooms/risks/content", params={"heading": "Risks"})).json()
        assert fresh["markdown"] == "# Risks\n\nYes: The date may slip.\n"
        again = await http.patch(
            "/api/rooms/risks/content",
            params={"heading": "Risks"},
            json={"markdown": "# Risks\n\nNone.\n", "base": fresh["base"]},
        )
        assert again.status_code == 200, again.text
        whole = (await http.get("/api/rooms/risks/content")).json()["markdown"]
        assert whole == SECTIONS.replace("Nobody knows.", "None.").replace(
            "Written by people.", "Written by people. And by agents."
        )


PROSEMIRROR: dict[str, Any] = {
    "type": "doc",
    "content": [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Marks"}]},
        {
            "type": "paragraph",
            "content": [
                {"type": "text", "text": "bold", "marks": [{"type": "bold"}]},
                {"type": "text", "text": " and "},
                {"type": "text", "text": "under", "marks": [{"type": "underline"}]},
                {"type": "text", "text": " and "},
                {
                    "type": "text",
                    "text": "a link",
                    "marks": [
                        {
                            "type": "link",
                            "attrs": {
                                "href": "https://example.org/",
                                "target": "_blank",
                                "rel": "noopener noreferrer nofollow",
                                "class": None,
                                "title": None,
                            },
                        },
                        {"type": "italic"},
                    ],
                },
                {"type": "hardBreak"},
                {"type": "text", "text": "code", "marks": [{"type": "code"}]},
            ],
        },
        {
            "type": "taskList",
            "content": [
                {
                    "type": "taskItem",
                    "attrs": {"checked": True},
                    "content": [
                        {"type": "paragraph", "content": [{"type": "text", "text": "done"}]}
                    ],
                }
            ],
        },
        {
            "type": "codeBlock",
            "attrs": {"language": "py"},
            "content": [{"type": "text", "text": "x = 1"}],
        },
    ],
}


async def test_prosemirror_json_round_trips_with_its_marks(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        assert (await http.put("/api/rooms/marks", json={"kind": "rich"})).status_code == 201
        sent = await http.patch("/api/rooms/marks/content", json={"prosemirror": PROSEMIRROR})
        assert sent.status_code == 200, sent.text
        read = await http.get("/api/rooms/marks/content", params={"format": "prosemirror"})
        assert read.json()["prosemirror"] == PROSEMIRROR
        assert read.json()["base"] == sent.json()["base"]
        markdown = (await http.get("/api/rooms/marks/content")).json()["markdown"]
        assert markdown.startswith("## Marks\n\n**bold** and under and [*a link*]")
        # Markdown cannot say underline: an edit sent as Markdown keeps it.
        edited = await http.patch(
            "/api/rooms/marks/content",
            params={"start": 1, "end": 2},
            json={"markdown": markdown.split("\n\n")[1].replace(" and under", " and under!")},
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["changed"] == 1
        after = (
            await http.get("/api/rooms/marks/content", params={"format": "prosemirror"})
        ).json()["prosemirror"]
        expected = copy.deepcopy(PROSEMIRROR)
        expected["content"][1]["content"][3]["text"] = "! and "
        assert after == expected
        # Unbolding by ProseMirror JSON changes the mark only.
        plain = copy.deepcopy(expected)
        del plain["content"][1]["content"][0]["marks"]
        unbolded = await http.patch("/api/rooms/marks/content", json={"prosemirror": plain})
        assert unbolded.json()["changed"] == 1 and unbolded.json()["kept"] == 3
        after = (
            await http.get("/api/rooms/marks/content", params={"format": "prosemirror"})
        ).json()["prosemirror"]
        assert after["content"][1]["content"][0] == {"type": "text", "text": "bold and "}


async def test_bad_input_is_refused_with_a_clear_problem(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        await _rich_room(http, "bad", "Only one paragraph.\n")
        assert (await http.put("/api/rooms/plain")).status_code == 201

        async def refused(status: int, words: str, body: Any, **params: Any) -> None:
            got = await http.patch("/api/rooms/bad/content", json=body, params=params)
            assert got.status_code == status, got.text
            assert got.headers["content-type"].startswith("application/problem+json")
            assert words in got.json()["detail"], got.json()

        doc = {"type": "doc"}
        await refused(422, "exactly one", {"markdown": "a", "prosemirror": doc})
        await refused(422, "exactly one", {})
        await refused(422, "must be a document", {"prosemirror": {"type": "paragraph"}})
        await refused(
            422,
            "cannot hold a 'iframe' node",
            {"prosemirror": {**doc, "content": [{"type": "iframe"}]}},
        )
        await refused(
            422,
            "level is 1 to 6",
            {"prosemirror": {**doc, "content": [{"type": "heading", "attrs": {"level": 9}}]}},
        )
        await refused(
            422,
            "src must be",
            {
                "prosemirror": {
                    **doc,
                    "content": [{"type": "image", "attrs": {"src": "javascript:alert(1)"}}],
                }
            },
        )
        link = {"type": "link", "attrs": {"href": "javascript:alert(1)"}}
        bad_link = {"type": "text", "text": "x", "marks": [link]}
        await refused(
            422,
            "href must be",
            {"prosemirror": {**doc, "content": [{"type": "paragraph", "content": [bad_link]}]}},
        )
        await refused(
            422,
            "must start with a paragraph",
            {
                "prosemirror": {
                    **doc,
                    "content": [
                        {
                            "type": "bulletList",
                            "content": [
                                {"type": "listItem", "content": [{"type": "horizontalRule"}]}
                            ],
                        }
                    ],
                }
            },
        )
        await refused(422, "not in the document", {"markdown": "x"}, start=3)
        await refused(422, "no heading 'Nope'", {"markdown": "x"}, heading="Nope")
        await refused(422, "not both", {"markdown": "x"}, heading="Nope", start=0)
        surrogate = await http.patch(
            "/api/rooms/bad/content",
            content=b'{"markdown": "\\ud800"}',
            headers={"Content-Type": "application/json"},
        )
        assert surrogate.status_code == 422 and "lone surrogate" in surrogate.json()["detail"]
        plain = await http.patch("/api/rooms/plain/content", json={"markdown": "# Hi\n"})
        assert plain.status_code == 409 and "plain text" in plain.json()["detail"]
        read = await http.get("/api/rooms/plain/content")
        assert read.status_code == 409 and "plain text" in read.json()["detail"]
        # Nothing of it was written.
        text = (await http.get("/api/rooms/bad/content")).json()["markdown"]
        assert text == "Only one paragraph.\n"
