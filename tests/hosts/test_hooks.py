"""Each hook through a real FastAPI host that mounts collab: a browser signs in with the host's
login, connects with its session cookie, edits, and loses access while connected."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import collab
from collab.auth import Role
from collab.hooks import Change, Connect, CreateDocument, Disconnect, VersionRecorded
from collab.protocol.yupdate import parse_state_vector
from tests.hosts.host import Host, Rechecked, host_app
from tests.inprocess import serving_on_port as serving
from tests.yclient import YClient


@dataclass
class Running:
    host: Host
    port: int
    http: httpx.AsyncClient

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/collab/ws"

    async def login(self, user: str) -> str:
        """Sign in through the host; the Cookie header a browser would send."""
        reply = await self.http.post("/login", json={"user": user, "password": PASSWORDS[user]})
        assert reply.status_code == 200
        return f"session={reply.cookies['session']}"

    def browser(self, room: str, cookie: str | None, **kwargs: object) -> YClient:
        headers = {"Cookie": cookie} if cookie else None
        origin = f"http://127.0.0.1:{self.port}"
        return YClient(self.ws, room, origin=origin, headers=headers, **kwargs)  # type: ignore[arg-type]


PASSWORDS = {"alice": "wonderland", "bob": "builder"}


@asynccontextmanager
async def start(tmp_path: Path, **settings: object) -> AsyncIterator[Running]:
    host = Host()
    config = collab.Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'host.db'}",
        **{"hook_timeout": 0.5, **settings},  # type: ignore[arg-type]
    )
    async with serving(host_app(host, config)) as port:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=30, base_url=base) as http:
            yield Running(host, port, http)


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    async with start(tmp_path, authorize_recheck=0.3) as value:
        yield value


async def test_login_connect_edit_then_revoked_while_connected(running: Running):
    host = running.host
    host.roles[("alice", "notes")] = Role.EDITOR
    cookie = await running.login("alice")
    async with running.browser("notes", cookie) as alice:
        await alice.synced.wait()
        alice.append("hello")
        await host.wait_for(lambda: any("Alice" in e.authors for e in host.events(Change)))
        before = len(host.events(Rechecked))
        await running.http.post("/revoke/notes/alice")
        code, _ = await alice.wait_closed(timeout=10)
        assert code == 4403
        # Closed by the first periodic re-check after the revoke (every 0.3 s here).
        rechecks = host.events(Rechecked)[before:]
        assert rechecks[:1] == [Rechecked("alice", "notes", None)], rechecks


async def test_host_asks_for_a_recheck_now(tmp_path: Path):
    async with start(tmp_path, authorize_recheck=0.0) as running:  # no periodic re-checks
        host = running.host
        host.roles[("bob", "plans")] = Role.EDITOR
        host.roles[("alice", "plans")] = Role.EDITOR
        bob_cookie, alice_cookie = await running.login("bob"), await running.login("alice")
        async with (
            running.browser("plans", bob_cookie) as bob,
            running.browser("plans", alice_cookie) as alice,
        ):
            await bob.synced.wait()
            await alice.synced.wait()
            reply = await running.http.post("/revoke/plans/bob", params={"now": "1"})
            assert reply.json() == {"closed": 1}
            assert (await bob.wait_closed(timeout=10))[0] == 4403
            alice.append("still here")
            await host.wait_for(lambda: bool(host.events(Change)))
            assert not alice.closed.is_set()


async def test_no_session_is_refused_and_rest_uses_the_cookie(running: Running):
    running.host.roles[("alice", "notes")] = Role.VIEWER
    async with running.browser("notes", None) as stranger:
        assert (await stranger.wait_closed(timeout=10))[0] == 4401
    assert (await running.http.get("/collab/api/rooms/notes")).status_code == 401
    cookie = await running.login("alice")
    denied = await running.http.get(
        "/collab/api/rooms/elsewhere/versions", headers={"Cookie": cookie}
    )
    assert denied.status_code == 403
    allowed = await running.http.get("/collab/api/rooms/notes/versions", headers={"Cookie": cookie})
    assert allowed.status_code == 404  # past authorization: the room does not exist yet


async def test_initial_content_on_first_load_only(running: Running):
    host = running.host
    host.roles[("alice", "fresh")] = Role.EDITOR
    cookie = await running.login("alice")
    async with running.browser("fresh", cookie) as first:
        await first.wait_text("Welcome to fresh\n")
        first.append("mine")
        await host.wait_for(lambda: any("Alice" in e.authors for e in host.events(Change)))
    assert running.host.collab is not None
    room = running.host.collab.rooms.rooms["fresh"]
    running.host.collab.rooms.forget(room)  # the next connection loads it from storage
    async with running.browser("fresh", cookie) as second:
        await second.wait_text("Welcome to fresh\nmine")
    assert len(host.events(CreateDocument)) == 1


async def test_after_commit_has_authors_and_state_vector(running: Running):
    host = running.host
    host.roles[("alice", "doc")] = Role.EDITOR
    cookie = await running.login("alice")
    async with running.browser("doc", cookie) as alice:
        await alice.synced.wait()
        alice.append("abc")
        await host.wait_for(lambda: any("Alice" in e.authors for e in host.events(Change)))
        change = next(e for e in host.events(Change) if "Alice" in e.authors)
        assert change.room == "doc"
        assert change.first_seq <= change.last_seq
        assert change.state_vector is not None
        vector = parse_state_vector(change.state_vector)
        assert vector.get(alice.doc.client_id) == 3


async def test_connect_and_disconnect(running: Running):
    host = running.host
    host.roles[("bob", "room1")] = Role.VIEWER
    host.roles[("alice", "room1")] = Role.EDITOR
    async with running.browser("room1", await running.login("alice")) as alice:
        await alice.synced.wait()
    async with running.browser("room1", await running.login("bob")) as bob:
        await bob.synced.wait()
    await host.wait_for(lambda: len(host.events(Disconnect)) == 2)
    connects = host.events(Connect)
    assert [(c.identity.user_id, c.role) for c in connects] == [
        ("alice", Role.EDITOR),
        ("bob", Role.VIEWER),
    ]
    assert [(d.identity.user_id, d.close_code) for d in host.events(Disconnect)] == [
        ("alice", 1000),
        ("bob", 1000),
    ]


async def test_awareness_filter_rewrites_and_drops(running: Running):
    host = running.host
    host.roles[("alice", "talk")] = Role.EDITOR
    host.roles[("bob", "talk")] = Role.EDITOR
    alice_cookie, bob_cookie = await running.login("alice"), await running.login("bob")
    async with (
        running.browser("talk", alice_cookie) as alice,
        running.browser("talk", bob_cookie) as bob,
    ):
        await alice.synced.wait()
        await bob.synced.wait()
        await alice.send_raw(alice.set_awareness(1, {"user": {"name": "Mallory"}, "cursor": 3}))
        client = alice.doc.client_id
        await bob.wait_for(lambda: client in bob.awareness)
        seen = json.loads(bob.awareness[client])
        assert seen == {"user": {"name": "Alice", "verified": True}, "cursor": 3}
        await alice.send_raw(alice.set_awareness(2, {"secret": "password"}))
        await alice.send_raw(alice.set_awareness(3, {"cursor": 9}))
        await bob.wait_for(lambda: '"cursor": 9' in bob.awareness[client])
        assert "secret" not in bob.awareness[client]


async def test_version_recorded_after_rest_post(running: Running):
    host = running.host
    host.roles[("alice", "saved")] = Role.EDITOR
    cookie = await running.login("alice")
    async with running.browser("saved", cookie) as alice:
        await alice.synced.wait()
        alice.append("v1")
        await host.wait_for(lambda: bool(host.events(Change)))
        reply = await running.http.post(
            "/collab/api/rooms/saved/versions", json={"label": "first"}, headers={"Cookie": cookie}
        )
        assert reply.status_code in (200, 201), reply.text
    await host.wait_for(lambda: bool(host.events(VersionRecorded)))
    recorded = host.events(VersionRecorded)[0]
    assert recorded.room == "saved"
    assert recorded.version.label == "first"
    assert recorded.created


async def test_hanging_hooks_do_not_block_the_room(tmp_path: Path):
    # Hooks time out after 3 s here: far longer than an edit takes to reach the other client.
    async with start(tmp_path, hook_timeout=3.0) as running:
        host = running.host
        host.hang |= {"on_change", "on_connect", "on_awareness"}
        host.roles[("alice", "slow")] = Role.EDITOR
        host.roles[("bob", "slow")] = Role.EDITOR
        alice_cookie, bob_cookie = await running.login("alice"), await running.login("bob")
        async with (
            running.browser("slow", alice_cookie) as alice,
            running.browser("slow", bob_cookie) as bob,
        ):
            await alice.synced.wait()
            await bob.synced.wait()
            alice.append("typed")
            await bob.wait_text("Welcome to slow\ntyped", timeout=10)
            # Bob has it while every on_change call still hangs: nothing waited for them.
            assert host.abandoned["on_change"] == 0
            await alice.send_raw(alice.set_awareness(1, {"cursor": 1}))
            alice.append(" on")  # behind the awareness message: waits for its filter's timeout
            await bob.wait_text("Welcome to slow\ntyped on", timeout=15)
            assert host.abandoned["on_awareness"] >= 1  # the filter was given up on
            assert alice.doc.client_id not in bob.awareness  # a failed filter drops the state


async def test_authentication_hook_hanging_or_crashing_is_a_server_error(running: Running):
    running.host.roles[("alice", "notes")] = Role.EDITOR
    cookie = await running.login("alice")
    running.host.hang.add("on_authenticate")
    async with running.browser("notes", cookie) as alice:
        assert (await alice.wait_closed(timeout=10))[0] == 1011
    assert running.host.abandoned["on_authenticate"] == 1  # closed at the hook's timeout
    running.host.hang.clear()
    running.host.crash.add("on_authorize")
    async with running.browser("notes", cookie) as alice:
        assert (await alice.wait_closed(timeout=10))[0] == 1011
    reply = await running.http.get("/collab/api/rooms/notes/versions", headers={"Cookie": cookie})
    assert reply.status_code == 500


async def test_the_room_list_shows_what_the_authorization_hook_lets_each_user_open(
    running: Running,
):
    roles = running.host.roles
    for room in ("notes", "plans", "secret"):
        roles[("alice", room)] = Role.EDITOR
    alice = {"Cookie": await running.login("alice")}
    bob = {"Cookie": await running.login("bob")}
    for room in ("notes", "plans", "secret"):
        assert (
            await running.http.put(f"/collab/api/rooms/{room}", headers=alice)
        ).status_code == 201
    del roles[("alice", "secret")]
    roles[("bob", "plans")] = Role.VIEWER

    async def listed(headers: dict[str, str], **params: str) -> tuple[list[str], str | None]:
        page = await running.http.get("/collab/api/rooms", params=params, headers=headers)
        assert page.status_code == 200, page.text
        return [item["name"] for item in page.json()["items"]], page.json()["next_cursor"]

    assert sorted((await listed(alice))[0]) == ["notes", "plans"]
    assert (await listed(bob))[0] == ["plans"]
    first, cursor = await listed(alice, limit="1", sort="title")
    assert first == ["notes"] and cursor is not None
    assert await listed(alice, limit="1", sort="title", cursor=cursor) == (["plans"], None)
