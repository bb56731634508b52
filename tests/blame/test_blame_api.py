"""Blame over REST (issue 26): two named writers send their edits, and GET .../blame credits
each part of the text to who wrote it, with when; deleted text is gone from it, text typed again
is credited to who typed it again; compactions of the log (and a restart) change nothing. Plain
text and rich text (paragraphs joined by one newline, as the comments API counts them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from pycrdt import Doc, Text, XmlElement, XmlFragment, XmlText

from collab.client import CollabClient
from tests.auth.test_websocket_auth import SECRET, token
from tests.conftest import ServerFactory
from tests.server import ServerProcess

YJS = {"Content-Type": "application/octet-stream"}


def as_(room: str, role: str, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(room, role, name=name)}"}


class Writer:
    """A named person editing their own copy of a room, sending each change over REST."""

    def __init__(self, http: httpx.AsyncClient, room: str, name: str, client_id: int) -> None:
        self.http, self.room, self.name = http, room, name
        self.doc: Doc[Any] = Doc(client_id=client_id)
        self.seen = b"\x00"  # the state vector of what this copy last took from the server

    async def send(self) -> None:
        """Send this copy's changes since it last took the server's state, then take it."""
        update = self.doc.get_update(self.seen)
        posted = await self.http.post(
            f"/{self.room}/updates", content=update, headers={**YJS, **self._as("editor")}
        )
        assert posted.is_success, posted.text
        await self.pull()

    async def pull(self) -> None:
        got = await self.http.get(
            f"/{self.room}/snapshot", params={"format": "yjs"}, headers=self._as("viewer")
        )
        assert got.status_code == 200, got.text
        self.doc.apply_update(got.content)
        self.seen = self.doc.get_state()

    def _as(self, role: str) -> dict[str, str]:
        return as_(self.room, role, self.name)


async def blame(http: httpx.AsyncClient, room: str, **params: int) -> dict[str, Any]:
    got = await http.get(f"/{room}/blame", params=params, headers=as_(room, "viewer", "Viv"))
    assert got.status_code == 200, got.text
    found: dict[str, Any] = got.json()
    return found


def runs(found: dict[str, Any]) -> list[tuple[str, str | None]]:
    for run in found["runs"]:
        assert run["at"] is None or datetime.fromisoformat(run["at"]).tzinfo is not None
    return [(run["text"], run["author"]) for run in found["runs"]]


async def compacted(server: ServerProcess, room: str) -> None:
    """Wait until the server has folded the room's log into its stored state (10 s was too
    short once under the whole suite's load)."""
    async with asyncio.timeout(40):
        while f"room {room}: compacted" not in server.log_text():
            await asyncio.sleep(0.05)


@pytest.fixture
async def server(make_server: ServerFactory, database_url: str) -> ServerProcess:
    # Compact once the log holds 4 rows: the first edits are folded before the last are sent.
    process = make_server(database_url, COLLAB_SECRET=SECRET, COLLAB_COMPACT_MAX_UPDATES="4")
    await process.start()
    return process


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as client:
        yield client


async def test_blame_credits_each_writer_through_deletes_retyping_compaction_and_copies(
    server: ServerProcess, http: httpx.AsyncClient
):
    ada = Writer(http, "notes", "Ada Lovelace", 101)
    bob = Writer(http, "notes", "Bob", 202)
    made = await http.put("/notes", headers=as_("notes", "admin", "Ada Lovelace"))
    assert made.status_code == 201, made.text
    ada.doc.get("content", type=Text).insert(0, "Hello world")
    await ada.send()
    await bob.pull()
    bob.doc.get("content", type=Text).insert(5, " there")
    await bob.send()
    del bob.doc.get("content", type=Text)[12:15]  # Bob deletes "wor" of Ada's "world"
    await bob.send()
    assert runs(await blame(http, "notes")) == [
        ("Hello", "Ada Lovelace"),
        (" there", "Bob"),
        (" ld", "Ada Lovelace"),
    ]

    await ada.pull()
    text = ada.doc.get("content", type=Text)
    assert str(text) == "Hello there ld"
    del text[5:11]  # Ada deletes Bob's " there" and types it again
    text.insert(5, " there")
    await ada.send()
    await compacted(server, "notes")
    bob.doc.get("content", type=Text).insert(14, "!")
    await bob.send()
    expected = [("Hello there ld", "Ada Lovelace"), ("!", "Bob")]
    found = await blame(http, "notes")
    assert runs(found) == expected
    assert (found["index"], found["length"], found["total"]) == (0, 15, 15)

    passage = await blame(http, "notes", index=3, length=12)
    assert runs(passage) == [("lo there ld", "Ada Lovelace"), ("!", "Bob")]
    assert (passage["index"], passage["length"]) == (3, 12)

    await server.restart()
    assert runs(await blame(http, "notes")) == expected

    # A copy holds the same items: who wrote them goes along.
    copied = await http.post(
        "/notes/copy", json={"to": "notes-copy"}, headers=as_("notes*", "admin", "Cy")
    )
    assert copied.status_code == 201, copied.text
    assert runs(await blame(http, "notes-copy")) == expected


async def test_rich_text_is_blamed_by_paragraph_joined_by_newlines(
    server: ServerProcess, http: httpx.AsyncClient
):
    ada = Writer(http, "rich", "Ada", 303)
    bob = Writer(http, "rich", "Bob", 404)
    made = await http.put("/rich", headers=as_("rich", "admin", "Ada"))
    assert made.status_code == 201, made.text
    fragment = ada.doc.get("content", type=XmlFragment)
    first = fragment.children.append(XmlElement("paragraph"))
    first.children.append(XmlText()).insert(0, "First line")
    await ada.send()
    await bob.pull()
    theirs = bob.doc.get("content", type=XmlFragment)
    second = theirs.children.append(XmlElement("paragraph"))
    second.children.append(XmlText()).insert(0, "Second")
    line = theirs.children[0].children[0]
    assert isinstance(line, XmlText)
    line.format(0, 5, {"bold": True})  # formatting writes no characters
    line.insert(5, " bold")
    await bob.send()

    assert runs(await blame(http, "rich")) == [
        ("First", "Ada"),
        (" bold", "Bob"),
        (" line\n", "Ada"),
        ("Second", "Bob"),
    ]
    passage = await blame(http, "rich", index=11, length=7)
    assert runs(passage) == [("line\n", "Ada"), ("Se", "Bob")]


async def test_blame_is_bounded_and_read_by_readers_only(
    server: ServerProcess, http: httpx.AsyncClient
):
    ada = Writer(http, "small", "Ada", 505)
    made = await http.put("/small", headers=as_("small", "admin", "Ada"))
    assert made.status_code == 201, made.text
    ada.doc.get("content", type=Text).insert(0, "abc")
    await ada.send()
    viewer = as_("small", "viewer", "Viv")
    outside = await http.get("/small/blame", params={"index": 2, "length": 5}, headers=viewer)
    assert outside.status_code == 422, outside.text
    too_long = await http.get("/small/blame", params={"length": 20_001}, headers=viewer)
    assert too_long.status_code == 422, too_long.text
    assert (await http.get("/small/blame")).status_code == 401
    stranger = as_("other", "admin", "Eve")
    assert (await http.get("/small/blame", headers=stranger)).status_code == 403
    missing = await http.get("/nothing/blame", headers=as_("nothing", "viewer", "Viv"))
    assert missing.status_code == 404
    empty = await blame(http, "small", index=3)
    assert empty["runs"] == [] and empty["length"] == 0


async def test_the_python_client_reads_blame(server: ServerProcess, http: httpx.AsyncClient):
    ada = Writer(http, "client", "Ada", 606)
    made = await http.put("/client", headers=as_("client", "admin", "Ada"))
    assert made.status_code == 201, made.text
    ada.doc.get("content", type=Text).insert(0, "by Ada")
    await ada.send()
    async with CollabClient(server.http_url, token=token("client", "viewer", name="V")) as client:
        found = await client.blame("client", index=3, length=3)
        whole = await client.blame("client")
    assert [(r.text, r.author) for r in found.runs] == [("Ada", "Ada")]
    assert [(r.text, r.author) for r in whole.runs] == [("by Ada", "Ada")]
    assert whole.runs[0].at is not None
