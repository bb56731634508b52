"""Suggestions on a rich-text document (an XmlFragment of paragraphs, as Tiptap keeps it):
an insertion at a point an editor made with the npm `yjs` package takes the formatting of the
character before it; a deletion across paragraphs joins them as an editor would; an accepted
suggestion is credited to the suggester in blame."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from tests.auth.test_websocket_auth import SECRET, token
from tests.comments.test_rich_threads import yjs
from tests.conftest import ServerFactory
from tests.server import ServerProcess

YJS = {"Content-Type": "application/octet-stream"}
PARAGRAPHS = ["The quick brown fox", "jumps over 😀 the dog", "and sleeps."]


def as_(role: str, name: str = "Ada") -> dict[str, str]:
    return {"Authorization": f"Bearer {token('rich', role, name=name)}"}


def _document() -> bytes:
    """Three paragraphs, "quick" bold."""
    doc: Doc[Any] = Doc()
    fragment = doc.get("content", type=XmlFragment)
    for words in PARAGRAPHS:
        fragment.children.append(XmlElement("paragraph", contents=[XmlText(words)]))
    first = fragment.children[0].children[0]
    assert isinstance(first, XmlText)
    first.format(4, 9, {"bold": {}})
    return doc.get_update()


@pytest.fixture
async def http(make_server: ServerFactory, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    server: ServerProcess = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    async with httpx.AsyncClient(
        timeout=30, base_url=f"{server.http_url}/api/rooms/rich"
    ) as client:
        made = await client.put(
            f"{server.http_url}/api/rooms/rich", params={"kind": "rich"}, headers=as_("admin")
        )
        assert made.status_code == 201, made.text
        posted = await client.post(
            "/updates", content=_document(), headers={**YJS, **as_("editor", "Ed")}
        )
        assert posted.is_success, posted.text
        yield client


async def _doc(http: httpx.AsyncClient) -> Doc[Any]:
    got = await http.get("/snapshot", params={"format": "yjs"}, headers=as_("viewer"))
    assert got.status_code == 200, got.text
    doc: Doc[Any] = Doc()
    doc.apply_update(got.content)
    return doc


def _shown(doc: Doc[Any]) -> str:
    return str(doc.get("content", type=XmlFragment))


async def _suggest(http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    made = await http.post("/suggestions", json=body, headers=as_("commenter", "Cy"))
    assert made.status_code == 201, made.text
    thread: dict[str, Any] = made.json()
    return thread


async def test_an_editors_point_and_a_cross_paragraph_delete_apply_as_an_editor_would(
    http: httpx.AsyncClient,
):
    state = base64.urlsafe_b64encode((await _doc(http)).get_update()).decode().rstrip("=")
    # After "qui" of the bold "quick": the inserted text is bold too.
    point = await yjs(op="point", update=state, node=0, at=7, assoc=-1)
    insert = await _suggest(http, {"kind": "insert", "at": point["position"], "text": "XX"})
    assert insert["suggestion"]["range"] == {"index": 7, "length": 0, "text": ""}
    # At the very start of the third paragraph (assoc 0, on its first character).
    start = await yjs(op="point", update=state, node=2, at=0, assoc=0)
    front = await _suggest(http, {"kind": "insert", "at": start["position"], "text": "Then "})
    joined = "\n".join(PARAGRAPHS)
    passage = "fox\njumps over 😀 "
    delete = await _suggest(
        http,
        {"kind": "delete", "passage": {"index": joined.index(passage), "length": len(passage)}},
    )
    assert delete["quote"] == passage
    assert _shown(await _doc(http)).startswith("<paragraph>The <bold>quick</bold>")
    for thread in (insert, front, delete):
        accepted = await http.post(
            f"/suggestions/{thread['id']}/accept", headers=as_("editor", "Ed")
        )
        assert accepted.status_code == 200, accepted.text
    assert _shown(await _doc(http)) == (
        "<paragraph>The <bold>quiXXck</bold> brown the dog</paragraph>"
        "<paragraph>Then and sleeps.</paragraph>"
    )
    runs = (await http.get("/blame", headers=as_("viewer"))).json()["runs"]
    by_cy = "".join(run["text"] for run in runs if run["author"] == "Cy")
    by_ed = "".join(run["text"] for run in runs if run["author"] == "Ed")
    assert "XX" in by_cy and "Then " in by_cy
    assert "The qui" in by_ed and "ck brown " in by_ed and "and sleeps." in by_ed
    # Joining moves the rest of the last paragraph ("the dog"): Yjs writes it anew, so blame
    # credits it to the accepted edit's author (docs/suggestions.md, "Limits").
    assert "the dog" in by_cy


async def test_a_rich_delete_whose_paragraph_went_is_a_409(http: httpx.AsyncClient):
    joined = "\n".join(PARAGRAPHS)
    gone = await _suggest(http, {"kind": "replace", "passage": {"text": "sleeps"}, "text": "naps"})
    point = await _suggest(
        http,
        {"kind": "insert", "passage": {"index": joined.index("sleeps"), "length": 0}, "text": "x"},
    )
    state = base64.urlsafe_b64encode((await _doc(http)).get_update()).decode().rstrip("=")
    edited = await yjs(op="edit", update=state, edits=[{"removeBlock": 2}])
    posted = await http.post(
        "/updates",
        content=base64.urlsafe_b64decode(edited["update"] + "=" * (-len(edited["update"]) % 4)),
        headers={**YJS, **as_("editor", "Ed")},
    )
    assert posted.is_success, posted.text
    for thread in (gone, point):
        refused = await http.post(
            f"/suggestions/{thread['id']}/accept", headers=as_("editor", "Ed")
        )
        assert refused.status_code == 409, refused.text
        assert "no longer" in refused.json()["detail"] or "deleted" in refused.json()["detail"]
    listed = (await http.get("/suggestions", headers=as_("viewer"))).json()["items"]
    assert {t["id"] for t in listed} == {gone["id"], point["id"]}
    assert all(t["detached"] for t in listed)


async def test_an_insertion_into_an_empty_paragraph(http: httpx.AsyncClient):
    """Yjs names the empty Y.XmlText itself (the type's id) for a point in an empty paragraph;
    the server makes the same for a point by index there, and places both where Yjs does."""
    doc = await _doc(http)
    seen = doc.get_state()
    fragment = doc.get("content", type=XmlFragment)
    fragment.children.insert(1, XmlElement("paragraph", contents=[XmlText("")]))
    posted = await http.post(
        "/updates", content=doc.get_update(seen), headers={**YJS, **as_("editor", "Ed")}
    )
    assert posted.is_success, posted.text
    state = base64.urlsafe_b64encode((await _doc(http)).get_update()).decode().rstrip("=")
    point = await yjs(op="point", update=state, node=1, at=0, assoc=0)
    assert base64.urlsafe_b64decode(point["position"] + "==")[0] == 2, "Yjs names the type"
    by_editor = await _suggest(http, {"kind": "insert", "at": point["position"], "text": "two"})
    empty_at = len(PARAGRAPHS[0]) + 1
    assert by_editor["suggestion"]["range"] == {"index": empty_at, "length": 0, "text": ""}
    by_index = await _suggest(
        http, {"kind": "insert", "passage": {"index": empty_at, "length": 0}, "text": "one "}
    )
    assert by_index["suggestion"]["range"]["index"] == empty_at
    accepted = await http.post(
        f"/suggestions/{by_editor['id']}/accept", headers=as_("editor", "Ed")
    )
    assert accepted.status_code == 200, accepted.text
    # Both name the paragraph itself, which stands, as Yjs resolves it, at the paragraph's end
    # now that it holds text: the server shows and accepts the second where every page shows it.
    state = base64.urlsafe_b64encode((await _doc(http)).get_update()).decode().rstrip("=")
    shown_by_yjs = await yjs(op="where", update=state, position=by_index["suggestion"]["at"])
    assert shown_by_yjs["at"] == [1, len("two")]
    listed = (await http.get("/suggestions", headers=as_("viewer"))).json()["items"]
    assert [t["suggestion"]["range"]["index"] for t in listed] == [empty_at + len("two")]
    accepted = await http.post(f"/suggestions/{by_index['id']}/accept", headers=as_("editor", "Ed"))
    assert accepted.status_code == 200, accepted.text
    assert _shown(await _doc(http)).split("</paragraph>")[1] == "<paragraph>twoone "


async def test_an_insertion_into_a_paragraph_without_a_text_node(http: httpx.AsyncClient):
    """y-prosemirror writes an empty paragraph as an element with no Y.XmlText in it, so the
    editor's point there names the element itself. Such a point stands where the text before
    it ends; accepting it writes a text node into that paragraph, as typing there does, and a
    suggested line break in it splits it as Enter would. A point naming an element that holds
    no text (a list, an image) is refused."""
    doc = await _doc(http)
    seen = doc.get_state()
    fragment = doc.get("content", type=XmlFragment)
    fragment.children.insert(1, XmlElement("paragraph"))
    fragment.children.insert(2, XmlElement("paragraph"))
    fragment.children.append(XmlElement("image", {"src": "/x.png"}))
    posted = await http.post(
        "/updates", content=doc.get_update(seen), headers={**YJS, **as_("editor", "Ed")}
    )
    assert posted.is_success, posted.text
    state = base64.urlsafe_b64encode((await _doc(http)).get_update()).decode().rstrip("=")
    first = await yjs(op="blockPoint", update=state, block=1)
    second = await yjs(op="blockPoint", update=state, block=2)
    image = await yjs(op="blockPoint", update=state, block=5)
    assert base64.urlsafe_b64decode(first["position"] + "==")[0] == 2, "Yjs names the type"
    words = await _suggest(http, {"kind": "insert", "at": first["position"], "text": "new 😀"})
    after_first = len(PARAGRAPHS[0])
    assert words["suggestion"]["range"] == {"index": after_first, "length": 0, "text": ""}
    breaks = await _suggest(http, {"kind": "insert", "at": second["position"], "text": "a\nb"})
    refused = await http.post(
        "/suggestions",
        json={"kind": "insert", "at": image["position"], "text": "no"},
        headers=as_("commenter", "Cy"),
    )
    assert refused.status_code == 422, refused.text
    assert "names no character" in refused.json()["detail"]
    for thread in (words, breaks):
        accepted = await http.post(
            f"/suggestions/{thread['id']}/accept", headers=as_("editor", "Ed")
        )
        assert accepted.status_code == 200, accepted.text
    shown = _shown(await _doc(http))
    assert shown.split("</paragraph>")[1:5] == [
        "<paragraph>new 😀",
        "<paragraph>a",
        "<paragraph>b",
        "<paragraph>jumps over 😀 the dog",
    ]
    runs = (await http.get("/blame", headers=as_("viewer"))).json()["runs"]
    assert "new 😀" in "".join(run["text"] for run in runs if run["author"] == "Cy")


async def test_suggested_paragraph_breaks_split_blocks_as_enter_does(http: httpx.AsyncClient):
    """A newline in a rich-text insertion or replacement is a paragraph break: accepting it
    splits the block there as Enter would, each further line a block of its own. The longer
    side of the split stays in place (its authors and anchors kept); the heading's text keeps
    its level, and a break at a heading's end opens a paragraph."""
    joined = "\n".join(PARAGRAPHS)
    end_of_first = len(PARAGRAPHS[0])
    after = await _suggest(
        http,
        {
            "kind": "insert",
            "passage": {"index": end_of_first, "length": 0},
            "text": "\nA new paragraph",
        },
    )
    middle = await _suggest(
        http,
        {"kind": "replace", "passage": {"text": "over"}, "text": "under\nthen\nacross"},
    )
    inside_bold = await _suggest(
        http,
        {"kind": "insert", "passage": {"index": joined.index("ck"), "length": 0}, "text": "\n"},
    )
    for thread in (after, middle, inside_bold):
        accepted = await http.post(
            f"/suggestions/{thread['id']}/accept", headers=as_("editor", "Ed")
        )
        assert accepted.status_code == 200, accepted.text
    assert _shown(await _doc(http)) == (
        "<paragraph>The <bold>qui</bold></paragraph>"
        "<paragraph><bold>ck</bold> brown fox</paragraph>"
        "<paragraph>A new paragraph</paragraph>"
        "<paragraph>jumps under</paragraph>"
        "<paragraph>then</paragraph>"
        "<paragraph>across 😀 the dog</paragraph>"
        "<paragraph>and sleeps.</paragraph>"
    )
    text = (await http.get("/snapshot", params={"format": "text"}, headers=as_("viewer"))).text
    assert text.startswith("The qui\n\nck brown fox\n\nA new paragraph\n\njumps under\n\nthen\n")
    runs = (await http.get("/blame", headers=as_("viewer"))).json()["runs"]
    by_cy = "".join(run["text"] for run in runs if run["author"] == "Cy")
    by_ed = "".join(run["text"] for run in runs if run["author"] == "Ed")
    assert "A new paragraph" in by_cy and "under" in by_cy and "then" in by_cy
    # The longer side of each split stayed where it was, with its author; the shorter ("The
    # qui", "jumps ") was written anew by the accepted edit, so blame credits it to Cy.
    assert "ck brown fox" in by_ed and " 😀 the dog" in by_ed and "and sleeps." in by_ed
    assert "The qui" in by_cy and "jumps " in by_cy


async def test_a_break_in_a_heading_keeps_its_level(http: httpx.AsyncClient):
    doc = await _doc(http)
    seen = doc.get_state()
    fragment = doc.get("content", type=XmlFragment)
    fragment.children.insert(0, XmlElement("heading", {"level": "2"}, contents=[XmlText("Plan B")]))
    posted = await http.post(
        "/updates", content=doc.get_update(seen), headers={**YJS, **as_("editor", "Ed")}
    )
    assert posted.is_success, posted.text
    split = await _suggest(
        http, {"kind": "insert", "passage": {"index": len("Plan"), "length": 0}, "text": "\n"}
    )
    accepted = await http.post(f"/suggestions/{split['id']}/accept", headers=as_("editor", "Ed"))
    assert accepted.status_code == 200, accepted.text
    # Made after that split: a point on the moved " B" (written anew) would stand where the
    # deleted characters were, as any Yjs position on deleted text does.
    end = len("Plan\n B")
    opened = await _suggest(
        http, {"kind": "insert", "passage": {"index": end, "length": 0}, "text": "!\n"}
    )
    accepted = await http.post(f"/suggestions/{opened['id']}/accept", headers=as_("editor", "Ed"))
    assert accepted.status_code == 200, accepted.text
    shown = _shown(await _doc(http))
    assert shown.startswith(
        '<heading level="2">Plan</heading><heading level="2"> B!</heading><paragraph></paragraph>'
        "<paragraph>The "
    ), shown


async def test_formatting_is_suggested_and_applied_over_the_passage(http: httpx.AsyncClient):
    """A format suggestion adds or removes marks over its passage (across paragraphs and an
    astral character), changing nothing until accepted; it follows its passage through an
    edit made meanwhile, and bad marks are refused with a message naming them."""
    joined = "\n".join(PARAGRAPHS)
    bold = await _suggest(
        http,
        {"kind": "format", "passage": {"text": "fox\njumps over 😀"}, "marks": {"bold": True}},
    )
    assert bold["suggestion"]["kind"] == "format" and bold["suggestion"]["text"] == ""
    assert bold["suggestion"]["marks"] == {"bold": True}
    assert bold["quote"] == "fox\njumps over 😀"
    plain = await _suggest(
        http,
        {
            "kind": "format",
            "passage": {"index": joined.index("quick"), "length": len("quick")},
            "marks": {"bold": False, "italic": True},
        },
    )
    untouched = _shown(await _doc(http))
    assert untouched.startswith("<paragraph>The <bold>quick</bold> brown fox</paragraph>")
    # Someone types inside the first passage before it is accepted: it is formatted too.
    state = base64.urlsafe_b64encode((await _doc(http)).get_update()).decode().rstrip("=")
    edited = await yjs(op="edit", update=state, edits=[{"node": 1, "at": 5, "insert": "!"}])
    posted = await http.post(
        "/updates",
        content=base64.urlsafe_b64decode(edited["update"] + "=" * (-len(edited["update"]) % 4)),
        headers={**YJS, **as_("editor", "Ed")},
    )
    assert posted.is_success, posted.text
    for thread in (bold, plain):
        accepted = await http.post(
            f"/suggestions/{thread['id']}/accept", headers=as_("editor", "Ed")
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["suggestion"]["status"] == "accepted"
    assert _shown(await _doc(http)) == (
        "<paragraph>The <italic>quick</italic> brown <bold>fox</bold></paragraph>"
        "<paragraph><bold>jumps! over 😀</bold> the dog</paragraph>"
        "<paragraph>and sleeps.</paragraph>"
    )
    for body, fragment in (
        ({"kind": "format", "passage": {"text": "dog"}, "marks": {"link": True}}, "'link'"),
        ({"kind": "format", "passage": {"text": "dog"}, "marks": {}}, "which marks"),
        (
            {"kind": "format", "passage": {"text": "dog"}, "marks": {"bold": True}, "text": "x"},
            "puts no text",
        ),
        ({"kind": "replace", "passage": {"text": "dog"}, "text": "cat", "marks": {}}, "only a"),
        (
            {"kind": "format", "passage": {"index": 3, "length": 0}, "marks": {"bold": True}},
            "at least 1",
        ),
    ):
        refused = await http.post("/suggestions", json=body, headers=as_("commenter", "Cy"))
        assert refused.status_code == 422, refused.text
        assert fragment in refused.json()["detail"], refused.text
    mine = await _suggest(
        http, {"kind": "format", "passage": {"text": "dog"}, "marks": {"strike": True}}
    )
    changed = await http.patch(
        f"/suggestions/{mine['id']}", json={"text": "x"}, headers=as_("commenter", "Cy")
    )
    assert changed.status_code == 422 and "marks, not text" in changed.json()["detail"]
