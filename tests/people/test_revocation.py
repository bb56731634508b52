"""Live revocation of people: a deactivated person's open editors close, on this process at
once and on another process of a cluster within the re-check interval; a session cookie on a
WebSocket only from this server's own pages; a link visitor's picked name, never an id."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import ServerFactory
from tests.launcher import run_collab_text
from tests.people.accounts import SECRET, add_person, sign_in
from tests.people.test_sharing import editor_of
from tests.server import ServerProcess
from tests.yclient import YClient


async def _shared_room(server: ServerProcess) -> None:
    ada = await sign_in(server, "ada@example.com")
    await ada.http.post("/api/rooms", json={"title": "Q3 plan"}, headers=ada.changes())
    share = {"email": "grace@example.com", "role": "editor"}
    answer = await ada.http.post("/api/rooms/q3-plan/access", json=share, headers=ada.changes())
    assert answer.status_code == 200, answer.text
    await ada.close()


async def test_deactivating_a_person_closes_their_editors_everywhere(
    make_server: ServerFactory, database_url: str
):
    # Two processes on one database; the second re-checks every 0.2 s.
    env = {"COLLAB_SECRET": SECRET, "COLLAB_AUTHORIZE_RECHECK": "0.2"}
    first = make_server(database_url, **env)
    await first.start()
    second = make_server(database_url, **env)
    await second.start()
    await add_person(database_url, "root@example.com", "Root", admin=True)
    await add_person(database_url, "ada@example.com", "Ada")
    grace_id = (await add_person(database_url, "grace@example.com", "Grace")).id
    await _shared_room(first)
    grace = await sign_in(first, "grace@example.com")
    root = await sign_in(first, "root@example.com")
    async with (
        editor_of(first, "q3-plan", grace) as here,
        editor_of(second, "q3-plan", grace) as there,
    ):
        await here.synced.wait()
        await there.synced.wait()
        listed = (await root.http.get("/api/people")).json()["items"]
        assert {p["name"]: p["active"] for p in listed} == {
            "Ada": True,
            "Grace": True,
            "Root": True,
        }
        changed = await root.http.patch(
            f"/api/people/{grace_id}", json={"active": False}, headers=root.changes()
        )
        assert changed.status_code == 200 and changed.json()["active"] is False
        assert (await here.wait_closed())[0] == 4403
        assert (await there.wait_closed())[0] == 4403
    assert (await grace.http.get("/api/rooms")).status_code == 401  # her session is over
    await grace.close()
    await root.close()


async def test_only_server_admins_manage_people(make_server: ServerFactory, sqlite_url: str):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    root = await add_person(sqlite_url, "root@example.com", "Root", admin=True)
    grace = await add_person(sqlite_url, "grace@example.com", "Grace")
    signed = await sign_in(server, "grace@example.com")
    seen = (await signed.http.get("/api/people", params={"q": "roo"})).json()["items"]
    assert seen == [
        {
            "id": root.id,
            "name": "Root",
            "email": "root@example.com",
            "admin": None,
            "active": None,
            "last_seen_at": None,
            "documents_owned": None,
            "sign_in": None,
        }
    ]
    refused = await signed.http.patch(
        f"/api/people/{root.id}", json={"active": False}, headers=signed.changes()
    )
    assert refused.status_code == 403
    admin = await sign_in(server, "root@example.com")
    myself = await admin.http.patch(
        f"/api/people/{root.id}", json={"admin": False}, headers=admin.changes()
    )
    assert myself.status_code == 409
    made = await admin.http.patch(
        f"/api/people/{grace.id}", json={"admin": True}, headers=admin.changes()
    )
    assert made.json()["admin"] is True and made.json()["sign_in"] == "password"
    await signed.close()
    await admin.close()


async def test_a_session_cookie_opens_no_websocket_from_another_site(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET, COLLAB_ALLOWED_ORIGINS="*")
    await server.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    ada = await sign_in(server, "ada@example.com")
    await ada.http.post("/api/rooms", json={"title": "Plan"}, headers=ada.changes())
    cookie = {"Cookie": f"collab_session={ada.cookie}"}
    evil = YClient(server.ws_url, "plan", headers=cookie, origin="https://evil.example")
    await evil.connect()
    code, reason = await evil.wait_closed()
    assert code == 4403 and "own pages" in reason
    assert evil.received_updates == []
    async with editor_of(server, "plan", ada) as own:
        await own.synced.wait()
    await ada.close()


@pytest.mark.parametrize("name", ["Visiting Vera", None])
async def test_a_link_visitor_is_credited_by_the_name_they_picked(
    make_server: ServerFactory, sqlite_url: str, name: str | None
):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    ada = await sign_in(server, "ada@example.com")
    await ada.http.post("/api/rooms", json={"title": "Plan"}, headers=ada.changes())
    minted = await ada.http.post(
        "/api/rooms/plan/links", json={"role": "editor"}, headers=ada.changes()
    )
    assert minted.status_code == 201, minted.text
    token = minted.json()["token"]
    async with YClient(server.ws_url, "plan", token=token, name=name) as visitor:
        await visitor.synced.wait()
        visitor.append("from the link")
        async with editor_of(server, "plan", ada) as owner:
            await owner.wait_text("from the link")
    saved = await ada.http.post(
        "/api/rooms/plan/versions", json={"label": "v"}, headers=ada.changes()
    )
    authors = saved.json()["authors"]
    assert authors == [name or "Guest"], authors
    assert not any("link:" in author for author in authors)
    await ada.close()


async def test_a_server_admin_who_is_unmade_loses_what_only_the_admin_role_gave(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    root = await add_person(sqlite_url, "root@example.com", "Root", admin=True)
    await add_person(sqlite_url, "boss@example.com", "Boss", admin=True)
    await add_person(sqlite_url, "ada@example.com", "Ada")
    ada = await sign_in(server, "ada@example.com")
    await ada.http.post("/api/rooms", json={"title": "Diary"}, headers=ada.changes())
    signed_root = await sign_in(server, "root@example.com")
    boss = await sign_in(server, "boss@example.com")
    async with editor_of(server, "diary", signed_root) as watching:
        await watching.synced.wait()  # a server admin opens every document
        unmade = await boss.http.patch(
            f"/api/people/{root.id}", json={"admin": False}, headers=boss.changes()
        )
        assert unmade.status_code == 200 and unmade.json()["admin"] is False
        assert (await watching.wait_closed())[0] == 4403
    assert (await signed_root.http.get("/api/rooms/diary")).status_code == 403
    for who in (ada, signed_root, boss):
        await who.close()


async def test_a_link_visitor_sees_who_has_access_by_name_only(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    ada = await sign_in(server, "ada@example.com")
    await ada.http.post("/api/rooms", json={"title": "Plan"}, headers=ada.changes())
    minted = await ada.http.post(
        "/api/rooms/plan/links", json={"role": "viewer"}, headers=ada.changes()
    )
    token = minted.json()["token"]
    ada.http.cookies.clear()  # the visitor has the link's token only
    seen = await ada.http.get(
        "/api/rooms/plan/access", headers={"Authorization": f"Bearer {token}"}
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["owner"] == {"id": "", "name": "Ada", "email": ""}
    await ada.close()


async def test_a_server_admin_opening_a_new_name_owns_it(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(sqlite_url, "root@example.com", "Root", admin=True)
    root = await sign_in(server, "root@example.com")
    async with editor_of(server, "brand-new", root) as editor:
        await editor.synced.wait()
    mine = (await root.http.get("/api/rooms", params={"scope": "mine"})).json()["items"]
    assert [room["name"] for room in mine] == ["brand-new"]
    await root.close()


async def test_removing_a_person_closes_their_editor_on_another_process_at_once(
    make_server: ServerFactory, postgres_url: str, redis_url: str, bus_prefix: str
):
    """Ada removes Grace on one process; Grace's editor on the other closes with 4403 at once
    (the removal is told over the bus), not at that process's periodic re-check (an hour)."""
    env = {
        "COLLAB_SECRET": SECRET,
        "COLLAB_REDIS_URL": redis_url,
        "COLLAB_BUS_PREFIX": bus_prefix,
        "COLLAB_AUTHORIZE_RECHECK": "3600",
    }
    first = make_server(postgres_url, **env)
    await first.start()
    second = make_server(postgres_url, **env)
    await second.start()
    await add_person(postgres_url, "ada@example.com", "Ada")
    grace_id = (await add_person(postgres_url, "grace@example.com", "Grace")).id
    await _shared_room(first)
    ada = await sign_in(first, "ada@example.com")
    grace = await sign_in(second, "grace@example.com")
    async with editor_of(second, "q3-plan", grace) as there:
        await there.synced.wait()
        removed = await ada.http.delete(
            f"/api/rooms/q3-plan/access/{grace_id}", headers=ada.changes()
        )
        assert removed.status_code in (200, 204), removed.text
        assert (await there.wait_closed(timeout=30))[0] == 4403  # not the hour
    await ada.close()
    await grace.close()


async def test_deactivating_with_the_command_closes_their_editors_on_every_process(
    make_server: ServerFactory, postgres_url: str, redis_url: str, bus_prefix: str
):
    """`collab users deactivate` writes the database only (no server hears it): each process of
    a cluster finds it at its access re-check (every 0.2 s here) and closes Grace's editors
    there with 4403, as a revoked grant is; she is not asked to sign in again (4401)."""
    env = {
        "COLLAB_SECRET": SECRET,
        "COLLAB_REDIS_URL": redis_url,
        "COLLAB_BUS_PREFIX": bus_prefix,
        "COLLAB_AUTHORIZE_RECHECK": "0.2",
    }
    first = make_server(postgres_url, **env)
    await first.start()
    second = make_server(postgres_url, **env)
    await second.start()
    await add_person(postgres_url, "ada@example.com", "Ada")
    await add_person(postgres_url, "grace@example.com", "Grace")
    await _shared_room(first)
    grace = await sign_in(first, "grace@example.com")
    async with (
        editor_of(first, "q3-plan", grace) as here,
        editor_of(second, "q3-plan", grace) as there,
    ):
        await here.synced.wait()
        await there.synced.wait()
        command = ["users", "deactivate", "grace@example.com", "--database-url", postgres_url]
        done = await asyncio.to_thread(run_collab_text, command)
        assert done.returncode == 0, done.stderr
        assert "deactivated grace@example.com" in done.stderr
        for editor in (here, there):
            code, reason = await editor.wait_closed(timeout=30)
            # 4403 is the contract (docs/protocol.md); this reason is an explanation only.
            assert code == 4403 and "revoked" in reason, (code, reason)
    assert (await grace.http.get("/api/rooms")).status_code == 401  # her session is over
    await grace.close()
