"""Interop: stock `@hocuspocus/provider` 2.15, 3.x and 4.x under Node against /hocuspocus, with
a real server (tokens checked) and real SQLite storage."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

import collab
from collab.auth import Role, issue_token
from collab.hooks import Hooks, StatelessMessage
from tests.conftest import ServerFactory
from tests.inprocess import serving_on_port
from tests.interop.hocuspocus_driver import MAJORS, Providers
from tests.server import ServerProcess
from tests.test_metrics import scrape
from tests.yclient import YClient

SECRET = "test-secret-with-enough-entropy-0123456789"

pytestmark = pytest.mark.parametrize("major", MAJORS)


def token(grants: dict[str, str], name: str = "Ada") -> str:
    return issue_token(SECRET, user=f"user-{name}", name=name, grants=grants, ttl_seconds=600)


@pytest.fixture
async def secured(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    return server


def url(server: ServerProcess) -> str:
    return f"ws://127.0.0.1:{server.port}/hocuspocus"


async def stored_text(server: ServerProcess, room: str) -> str:
    """What a fresh /ws client reads of `room`."""
    async with YClient(server.ws_url, room, token=token({room: "viewer"}, "Reader")) as reader:
        await reader.synced.wait()
        return reader.text


async def test_two_providers_sync_converge_and_see_each_others_presence(
    secured: ServerProcess, major: str
):
    async with Providers(major) as node:
        for name in ("A", "B"):
            await node.socket(name, url(secured))
            grant = token({"shared": "editor"}, name)
            await node.open(name.lower(), name, "shared", grant)
            await node.wait_event("synced", name.lower())
            await node.run("presence", id=name.lower(), name=f"person-{name}")
        await node.run("insert", id="a", text="hello ")
        await node.wait_text("b", "hello ")
        await node.run("insert", id="b", text="world")
        await node.wait_saved("a", "hello world")
        await node.wait_saved("b", "hello world")
        for provider in ("a", "b"):
            await node.wait_event("awareness", provider, names=["person-A", "person-B"])
        for provider in ("a", "b"):
            assert node.seen("authenticated", provider)[-1]["scope"] == "read-write"
    assert await stored_text(secured, "shared") == "hello world"


async def test_a_viewers_write_is_refused_in_band_and_its_socket_goes_on(
    secured: ServerProcess, major: str
):
    async with Providers(major) as node:
        await node.socket("W", url(secured))
        await node.open("writer", "W", "read-only", token({"read-only": "editor"}, "Wes"))
        await node.run("insert", id="writer", text="original")
        await node.wait_saved("writer", "original")
        # One socket: a viewer of "read-only" beside an editor of "notes".
        await node.socket("S", url(secured))
        await node.open("viewer", "S", "read-only", token({"read-only": "viewer"}, "Vi"))
        await node.open("editor", "S", "notes", token({"notes": "editor"}, "Ed"))
        await node.wait_text("viewer", "original")
        assert (await node.wait_event("authenticated", "viewer"))["scope"] == "readonly"
        await node.wait_saved("editor", "")
        await node.run("insert", id="viewer", text=" by a viewer")
        # Frames of one socket are handled in order: once the editor's later update is
        # acknowledged, the viewer's was answered (SyncStatus 0, not applied).
        await node.run("insert", id="editor", text="still writing")
        await node.wait_saved("editor", "still writing")
        assert await stored_text(secured, "read-only") == "original"
        # The viewer keeps its document: it still receives the writer's changes.
        await node.run("insert", id="writer", text=" and more")
        await node.wait(lambda e: e.get("id") == "viewer" and " and more" in e.get("text", ""))
        assert node.seen("unsynced", "viewer")[-1]["unsynced"] > 0  # never acknowledged
        assert not [e for e in node.events if e["event"] == "socketClose"]
        assert not node.seen("denied", "viewer") and not node.seen("close", "viewer")
    assert await stored_text(secured, "notes") == "still writing"


async def test_a_bad_token_is_refused_beside_an_allowed_document_on_one_socket(
    secured: ServerProcess, major: str
):
    forged = jwt.encode(
        {"sub": "x", "exp": time.time() + 60, "rooms": {"secret": "admin"}},
        "wrong-secret-but-long-enough-0123456789",
    )
    async with Providers(major) as node:
        await node.socket("S", url(secured))
        await node.open("bad", "S", "secret", forged)
        await node.open("no-grant", "S", "private", token({"elsewhere": "editor"}))
        await node.open("good", "S", "open", token({"open": "editor"}))
        denied = await node.wait_event("denied", "bad")
        assert denied["reason"]
        assert (await node.wait_event("denied", "no-grant"))["reason"]
        await node.wait_event("synced", "good")
        await node.run("insert", id="good", text="allowed")
        await node.wait_saved("good", "allowed")
        assert not [e for e in node.events if e["event"] == "socketClose"]
        assert not node.seen("synced", "bad") and not node.seen("text", "bad")
        # Counted as /ws counts them: each document's close, each message by its kind.
        metrics = await scrape(secured, token({"*": "admin"}))
        assert metrics[("collab_connection_closes_total", "code=4402")] == 1
        assert metrics[("collab_connection_closes_total", "code=4403")] == 1
        assert metrics[("collab_messages_received_total", "type=update")] >= 1
        assert metrics[("collab_messages_sent_total", "type=sync_step1")] >= 1
    assert await stored_text(secured, "open") == "allowed"


async def test_twenty_documents_over_one_socket(secured: ServerProcess, major: str):
    rooms = [f"many-{i}" for i in range(20)]
    grant = token(dict.fromkeys(rooms, "editor"))
    async with Providers(major) as node:
        await node.socket("W", url(secured))
        await node.socket("R", url(secured))
        for room in rooms:
            await node.open(f"w-{room}", "W", room, grant)
            await node.open(f"r-{room}", "R", room, grant)
        for room in rooms:
            await node.wait_event("synced", f"w-{room}")
            await node.run("insert", id=f"w-{room}", text=f"text of {room}")
        for room in rooms:
            await node.wait_saved(f"w-{room}", f"text of {room}")
            await node.wait_text(f"r-{room}", f"text of {room}")
        sockets = {e["socket"] for e in node.events if e["event"] == "open"}
        assert sockets == {"W", "R"}
        assert len([e for e in node.events if e["event"] == "open"]) == 2  # one socket each
    assert await stored_text(secured, "many-19") == "text of many-19"


async def test_sync_status_is_sent_only_once_the_update_is_stored(
    secured: ServerProcess, major: str
):
    """Edits stream in while the server is killed (SIGKILL): every one the provider had
    counted as synced (a SyncStatus came for it) is in the store after the restart."""
    async with Providers(major) as node:
        await node.socket("S", url(secured))
        await node.open("p", "S", "durable", token({"durable": "editor"}))
        await node.wait_saved("p", "")
        acked = 0
        sent = 0

        def count(event: dict[str, object]) -> bool:
            nonlocal acked
            if event["event"] == "unsynced" and event["id"] == "p":
                acked = sent - int(event["unsynced"])  # type: ignore[call-overload]
            return acked >= 60

        while acked < 60:
            assert sent < 2000, "SyncStatus stopped coming"
            start = len(node.events)
            await node.run("insert", id="p", text=f"<{sent}>")
            sent += 1
            for event in node.events[start:]:
                count(event)
        await secured.kill()
        for event in node.events:
            count(event)
        durable = "".join(f"<{i}>" for i in range(acked))
    await secured.start()
    assert (await stored_text(secured, "durable")).startswith(durable)


async def test_providers_reconnect_and_resync_after_the_server_restarts(
    secured: ServerProcess, major: str
):
    async with Providers(major) as node:
        await node.socket("S", url(secured))
        await node.open("p", "S", "restart", token({"restart": "editor"}))
        await node.open("q", "S", "restart-2", token({"restart-2": "editor"}))
        await node.run("insert", id="p", text="before")
        await node.wait_saved("p", "before")
        await node.wait_event("synced", "q")
        start = len(node.events)
        await secured.restart()
        await node.wait(lambda e: e["event"] == "socketClose", since=start)
        await node.wait(lambda e: e["event"] == "open" and e["socket"] == "S", since=start)
        await node.run("insert", id="p", text=" after")
        await node.run("insert", id="q", text="second")
        await node.wait_saved("p", "before after", since=start)
        await node.wait_saved("q", "second", since=start)
    assert await stored_text(secured, "restart") == "before after"
    assert await stored_text(secured, "restart-2") == "second"


async def test_a_provider_typing_through_a_restart_is_not_closed(
    secured: ServerProcess, major: str
):
    """A provider that typed while the server was down reconnects and goes on typing: what it
    sends before its SyncStep2 (keystrokes after the offline ones) waits in the room for that
    SyncStep2 instead of closing the socket (content/pending.py)."""
    async with Providers(major) as node:
        await node.socket("S", url(secured))
        await node.open("p", "S", "typing", token({"typing": "editor"}))
        await node.run("insert", id="p", text="before ")
        await node.wait_saved("p", "before ")
        start = len(node.events)
        await secured.stop()
        await node.wait(lambda e: e["event"] == "socketClose", since=start)
        await node.run("insert", id="p", text="offline ")
        await secured.start()
        await node.wait(lambda e: e["event"] == "open" and e["socket"] == "S", since=start)
        reopened = len(node.events)
        for character in "online":
            await node.run("insert", id="p", text=character)
        await node.wait_saved("p", "before offline online", since=reopened)
        closes = [e for e in node.events[reopened:] if e["event"] == "socketClose"]
        assert closes == []
    assert await stored_text(secured, "typing") == "before offline online"


async def test_collab_events_reach_providers_as_stateless_messages(
    secured: ServerProcess, major: str
):
    async with Providers(major) as node:
        await node.socket("S", url(secured))
        await node.open("p", "S", "evented", token({"evented": "editor"}))
        await node.run("insert", id="p", text="v1")
        await node.wait_saved("p", "v1")
        async with httpx.AsyncClient(timeout=30, base_url=secured.http_url) as http:
            answer = await http.post(
                "/api/rooms/evented/versions",
                json={"label": "first draft"},
                headers={"Authorization": f"Bearer {token({'evented': 'editor'})}"},
            )
            assert answer.status_code in (200, 201), answer.text
        event = await node.wait_event("stateless", "p")
    payload = json.loads(event["payload"])
    assert payload["type"] == "version" and payload["version"]["label"] == "first draft"


async def test_a_detached_document_leaves_its_room_and_the_socket_goes_on(
    secured: ServerProcess, major: str
):
    grant = token({"left": "editor", "stays": "editor"}, "Lea")
    async with Providers(major) as node:
        await node.socket("S", url(secured))
        await node.socket("R", url(secured))
        await node.open("leaving", "S", "left", grant)
        await node.open("staying", "S", "stays", grant)
        await node.open("watcher", "R", "left", token({"left": "viewer"}, "Wat"))
        await node.run("presence", id="leaving", name="Lea")
        await node.wait(
            lambda e: e["event"] == "awareness" and e["id"] == "watcher" and e["names"] == ["Lea"]
        )
        start = len(node.events)
        await node.run("detach", id="leaving")
        if major != "2":  # a 2.x provider sends nothing when it detaches: nothing to act on
            # Its presence goes with it (the server removed the awareness states it owned).
            await node.wait(
                lambda e: e["event"] == "awareness" and e["id"] == "watcher" and e["names"] == [],
                since=start,
            )
        # The socket goes on for the document left on it.
        await node.run("insert", id="staying", text="still here")
        await node.wait_saved("staying", "still here")
        assert not [e for e in node.events if e["event"] == "socketClose"]


async def test_a_share_link_opens_a_document_and_revoking_it_closes_only_that_document(
    secured: ServerProcess, major: str
):
    admin = {"Authorization": f"Bearer {token({'linked': 'admin'})}"}
    async with httpx.AsyncClient(timeout=30, base_url=f"{secured.http_url}/api") as http:
        assert (await http.put("/rooms/linked", headers=admin)).status_code == 201
        minted = await http.post("/rooms/linked/links", json={"role": "editor"}, headers=admin)
        assert minted.status_code == 201, minted.text
        link = minted.json()
        async with Providers(major) as node:
            await node.socket("S", url(secured))
            await node.open("guest", "S", "linked", link["token"])
            await node.open("own", "S", "mine", token({"mine": "editor"}))
            await node.run("insert", id="guest", text="by a guest")
            await node.wait_saved("guest", "by a guest")
            revoked = await http.delete(f"/rooms/linked/links/{link['id']}", headers=admin)
            assert revoked.json()["closed_connections"] == 1
            assert (await node.wait_event("denied", "guest"))["reason"] == "link revoked"
            await node.run("insert", id="own", text="unaffected")
            await node.wait_saved("own", "unaffected")
            assert not [e for e in node.events if e["event"] == "socketClose"]
    assert await stored_text(secured, "linked") == "by a guest"


async def test_a_provider_is_asked_for_a_fresh_token_before_its_token_expires(
    secured: ServerProcess, major: str
):
    grants = {"renewed": "editor", "expiring": "editor"}
    short = issue_token(SECRET, user="user-Ada", name="Ada", grants=grants, ttl_seconds=3)
    fresh = token(grants)
    async with Providers(major) as node:
        await node.socket("S", url(secured))
        await node.run("open", id="renewed", socket="S", name="renewed", tokens=[short, fresh])
        await node.run("open", id="expiring", socket="S", name="expiring", tokens=[short])
        await node.wait_saved("renewed", "")
        if major == "2":
            # 2.x ignores the request (3.3 added it): both documents are refused at expiry,
            # and the request broke nothing on the way.
            for provider in ("renewed", "expiring"):
                assert (await node.wait_event("denied", provider))["reason"] == "token expired"
                assert len(node.seen("token", provider)) == 1
            return
        # Asked half way through the 3 s: the one with a fresh token keeps its document.
        await node.wait_event("token", "renewed", calls=2)
        await node.wait_event("token", "expiring", calls=2)
        # The other answers with the same token, which then expires: refused in-band.
        assert (await node.wait_event("denied", "expiring"))["reason"] == "token expired"
        await node.run("insert", id="renewed", text="after the first token expired")
        await node.wait_saved("renewed", "after the first token expired")
        assert not node.seen("denied", "renewed")
        assert not [e for e in node.events if e["event"] == "socketClose"]


async def test_restores_titles_and_comments_reach_providers_as_stateless_messages(
    secured: ServerProcess, major: str
):
    """Every kind of collab event, not only `version`, reaches the provider of its room as a
    stateless message, and none reaches another document of the same socket."""
    admin = {"Authorization": f"Bearer {token({'*': 'admin'}, 'Root')}"}
    async with Providers(major) as node:
        await node.socket("S", url(secured))
        await node.open("p", "S", "told", token({"told": "editor"}))
        await node.open("elsewhere", "S", "untold", token({"untold": "editor"}))
        await node.run("insert", id="p", text="first")
        await node.wait_saved("p", "first")
        await node.wait_saved("elsewhere", "")
        async with httpx.AsyncClient(timeout=30, base_url=secured.http_url) as http:
            saved = await http.post(
                "/api/rooms/told/versions", json={"label": "draft"}, headers=admin
            )
            assert saved.status_code in (200, 201), saved.text
            await node.run("insert", id="p", text=" and more")
            await node.wait_saved("p", "first and more")

            def received(kind: str) -> Any:
                return node.wait(
                    lambda e: (
                        e["event"] == "stateless"
                        and e["id"] == "p"
                        and json.loads(e["payload"])["type"] == kind
                    )
                )

            restored = await http.post(
                f"/api/rooms/told/versions/{saved.json()['id']}/restore", headers=admin
            )
            assert restored.status_code == 200, restored.text
            restore = json.loads((await received("restore"))["payload"])
            assert restore["source"]["id"] == saved.json()["id"] and restore["changed"] is True
            assert restore["source"]["label"] == "draft" and restore["author"] == "Root"
            await node.wait_text("p", "first")
            renamed = await http.patch(
                "/api/rooms/told", json={"title": "Told tale"}, headers=admin
            )
            assert renamed.status_code == 200, renamed.text
            title = json.loads((await received("title"))["payload"])
            assert title == {"type": "title", "title": "Told tale", "author": "Root"}
            body = {"passage": {"index": 0, "length": 5}, "body": "Which one?"}
            thread = await http.post("/api/rooms/told/threads", json=body, headers=admin)
            assert thread.status_code == 201, thread.text
            comment = json.loads((await received("comment"))["payload"])
            assert comment == {
                "type": "comment",
                "action": "created",
                "thread": thread.json()["id"],
                "comment": thread.json()["comments"][0]["id"],
                "author": "Root",
            }
        assert not node.seen("stateless", "elsewhere")


async def test_a_providers_stateless_message_reaches_the_hook_and_its_reply_comes_back(
    tmp_path: Path, major: str
):
    """`sendStateless` of a stock provider reaches the host's on_stateless hook with the
    document's room, identity and role; the string the hook returns is the provider's next
    `stateless` event. Only the sending document gets it."""
    hooks = Replying()
    settings = collab.Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hooked.db'}", secret=SECRET
    )
    async with (
        serving_on_port(collab.create_app(settings, hooks=hooks)) as port,
        Providers(major) as node,
    ):
        await node.socket("S", f"ws://127.0.0.1:{port}/hocuspocus")
        await node.open("asking", "S", "asked", token({"asked": "editor"}, "Ada"))
        await node.open("quiet", "S", "unasked", token({"unasked": "editor"}, "Ada"))
        await node.wait_saved("asking", "")
        await node.wait_saved("quiet", "")
        await node.run("stateless", id="asking", payload='{"ask": "time"}')
        reply = await node.wait_event("stateless", "asking")
        assert json.loads(reply["payload"]) == {
            "to": "Ada",
            "as": "editor",
            "said": {"ask": "time"},
        }
        [message] = hooks.messages
        assert (message.room, message.identity.user_id, message.role) == (
            "asked",
            "user-Ada",
            Role.EDITOR,
        )
        assert not node.seen("stateless", "quiet")


class Replying(Hooks):
    """Answers every stateless message with who sent it and what."""

    def __init__(self) -> None:
        self.messages: list[StatelessMessage] = []

    async def on_stateless(self, event: StatelessMessage) -> str | None:
        self.messages.append(event)
        said = json.loads(event.payload)
        return json.dumps({"to": event.identity.name, "as": event.role.name.lower(), "said": said})
