"""My documents and sharing with named people, against a real server on SQLite and PostgreSQL:
owners, scopes, grants checked on every REST call and WebSocket join, removal and deactivation
closing open editors, names (never ids) in history."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import ServerFactory
from tests.people.accounts import SECRET, SignedIn, add_person, sign_in
from tests.server import ServerProcess
from tests.yclient import YClient


@pytest.fixture
async def team(
    make_server: ServerFactory, database_url: str
) -> AsyncIterator[tuple[ServerProcess, SignedIn, SignedIn]]:
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(database_url, "ada@example.com", "Ada Lovelace")
    await add_person(database_url, "grace@example.com", "Grace Hopper")
    ada = await sign_in(server, "ada@example.com")
    grace = await sign_in(server, "grace@example.com")
    yield server, ada, grace
    await ada.close()
    await grace.close()


def editor_of(server: ServerProcess, room: str, who: SignedIn, **kwargs: object) -> YClient:
    """A WebSocket client carrying `who`'s session cookie, from the server's own origin."""
    headers = {"Cookie": f"collab_session={who.cookie}"}
    return YClient(server.ws_url, room, headers=headers, origin=server.http_url, **kwargs)  # type: ignore[arg-type]


async def _names(who: SignedIn, scope: str) -> list[str]:
    response = await who.http.get("/api/rooms", params={"scope": scope})
    assert response.status_code == 200, response.text
    return [room["name"] for room in response.json()["items"]]


async def test_my_documents_and_sharing_with_a_teammate(
    team: tuple[ServerProcess, SignedIn, SignedIn],
):
    server, ada, grace = team
    made = await ada.http.post(
        "/api/rooms", json={"title": "Q3 plan", "kind": "text"}, headers=ada.changes()
    )
    assert made.status_code == 201, made.text
    room = made.json()
    assert room["owner"]["name"] == "Ada Lovelace" and room["role"] == "admin"
    assert await _names(ada, "mine") == ["q3-plan"]
    assert await _names(ada, "all") == ["q3-plan"]
    assert await _names(grace, "all") == [] and await _names(grace, "shared") == []
    # Grace has no access: every REST call and a WebSocket join are refused.
    assert (await grace.http.get("/api/rooms/q3-plan")).status_code == 403
    assert (await grace.http.get("/api/rooms/q3-plan/snapshot")).status_code == 403
    outsider = editor_of(server, "q3-plan", grace)
    await outsider.connect()
    assert (await outsider.wait_closed())[0] == 4403

    shared = await ada.http.post(
        "/api/rooms/q3-plan/access",
        json={"email": "GRACE@example.com", "role": "editor"},
        headers=ada.changes(),
    )
    assert shared.status_code == 200, shared.text
    access = shared.json()
    assert access["owner"]["name"] == "Ada Lovelace" and access["can_manage"] is True
    assert [(p["person"]["name"], p["role"]) for p in access["people"]] == [
        ("Grace Hopper", "editor")
    ]
    assert await _names(grace, "shared") == ["q3-plan"]
    assert await _names(grace, "all") == ["q3-plan"]
    assert await _names(grace, "mine") == []
    listed = (await grace.http.get("/api/rooms", params={"scope": "shared"})).json()["items"]
    assert listed[0]["role"] == "editor" and listed[0]["owner"]["name"] == "Ada Lovelace"
    seen = (await grace.http.get("/api/rooms/q3-plan/access")).json()
    assert seen["can_manage"] is False
    # Grace may not manage sharing.
    assert (
        await grace.http.put(
            "/api/rooms/q3-plan/organisation", json={"role": "viewer"}, headers=grace.changes()
        )
    ).status_code == 403

    # Grace edits while Ada watches, then opens it again: it is in her Recent list.
    async with (
        editor_of(server, "q3-plan", ada) as watcher,
        editor_of(server, "q3-plan", grace) as writer,
    ):
        await writer.synced.wait()
        writer.append("Grace was here")
        await watcher.wait_text("Grace was here")
    assert await _names(grace, "recent") == ["q3-plan"]
    version = await ada.http.post(
        "/api/rooms/q3-plan/versions", json={"label": "after Grace"}, headers=ada.changes()
    )
    assert version.status_code in (200, 201), version.text
    assert "Grace Hopper" in version.json()["authors"]
    assert not any(a.startswith("person:") for a in version.json()["authors"])

    # Ada removes Grace: her open editor closes at once with 4403.
    async with editor_of(server, "q3-plan", grace) as removed:
        await removed.synced.wait()
        person = access["people"][0]["person"]["id"]
        gone = await ada.http.delete(f"/api/rooms/q3-plan/access/{person}", headers=ada.changes())
        assert gone.status_code == 200 and gone.json()["people"] == []
        code, _ = await removed.wait_closed()
        assert code == 4403
    assert (await grace.http.get("/api/rooms/q3-plan")).status_code == 403
    assert await _names(grace, "all") == [] and await _names(grace, "recent") == []


async def test_a_lower_role_closes_the_editor_and_it_comes_back_as_viewer(
    team: tuple[ServerProcess, SignedIn, SignedIn],
):
    server, ada, grace = team
    await ada.http.post("/api/rooms", json={"title": "Notes"}, headers=ada.changes())
    share = {"email": "grace@example.com", "role": "editor"}
    grace_id = (
        await ada.http.post("/api/rooms/notes/access", json=share, headers=ada.changes())
    ).json()["people"][0]["person"]["id"]
    async with editor_of(server, "notes", grace) as editor:
        await editor.synced.wait()
        lowered = await ada.http.patch(
            f"/api/rooms/notes/access/{grace_id}", json={"role": "viewer"}, headers=ada.changes()
        )
        assert lowered.json()["people"][0]["role"] == "viewer"
        assert (await editor.wait_closed())[0] == 4403
    async with editor_of(server, "notes", grace) as viewer:
        await viewer.synced.wait()
    refused = await grace.http.patch(
        "/api/rooms/notes/text", json={"text": "x"}, headers=grace.changes()
    )
    assert refused.status_code == 403


async def test_everyone_in_the_organisation_with_the_link(
    team: tuple[ServerProcess, SignedIn, SignedIn],
):
    server, ada, grace = team
    await ada.http.post("/api/rooms", json={"title": "Handbook"}, headers=ada.changes())
    assert (await grace.http.get("/api/rooms/handbook")).status_code == 403
    org = await ada.http.put(
        "/api/rooms/handbook/organisation", json={"role": "viewer"}, headers=ada.changes()
    )
    assert org.status_code == 200 and org.json()["organisation"] == "viewer"
    got = await grace.http.get("/api/rooms/handbook")
    assert got.status_code == 200 and got.json()["role"] == "viewer"
    # Not listed until she opens it; then under Recent and All, never under Shared.
    assert await _names(grace, "all") == []
    async with editor_of(server, "handbook", grace) as reader:
        await reader.synced.wait()
    assert await _names(grace, "recent") == ["handbook"]
    assert await _names(grace, "all") == ["handbook"]
    assert await _names(grace, "shared") == []
    await ada.http.put(
        "/api/rooms/handbook/organisation", json={"role": None}, headers=ada.changes()
    )
    assert (await grace.http.get("/api/rooms/handbook")).status_code == 403


async def test_transferring_ownership(team: tuple[ServerProcess, SignedIn, SignedIn]):
    _, ada, grace = team
    await ada.http.post("/api/rooms", json={"title": "Budget"}, headers=ada.changes())
    share = {"email": "grace@example.com", "role": "viewer"}
    await ada.http.post("/api/rooms/budget/access", json=share, headers=ada.changes())
    refused = await grace.http.post(
        "/api/rooms/budget/owner", json={"person_id": grace.id}, headers=grace.changes()
    )
    assert refused.status_code == 403
    moved = await ada.http.post(
        "/api/rooms/budget/owner", json={"person_id": grace.id}, headers=ada.changes()
    )
    assert moved.status_code == 200, moved.text
    access = moved.json()
    assert access["owner"]["name"] == "Grace Hopper"
    assert [(p["person"]["name"], p["role"]) for p in access["people"]] == [
        ("Ada Lovelace", "editor")
    ]
    assert await _names(grace, "mine") == ["budget"]
    assert await _names(ada, "shared") == ["budget"]


async def test_sharing_refuses_unknown_people_and_bad_roles(
    team: tuple[ServerProcess, SignedIn, SignedIn],
):
    _, ada, _ = team
    await ada.http.post("/api/rooms", json={"title": "Plan"}, headers=ada.changes())
    unknown = await ada.http.post(
        "/api/rooms/plan/access",
        json={"email": "nobody@example.com", "role": "editor"},
        headers=ada.changes(),
    )
    assert unknown.status_code == 404 and "collab users add" in unknown.json()["detail"]
    bad = await ada.http.post(
        "/api/rooms/plan/access",
        json={"email": "grace@example.com", "role": "owner"},
        headers=ada.changes(),
    )
    assert bad.status_code == 422
    myself = await ada.http.post(
        "/api/rooms/plan/access",
        json={"email": "ada@example.com", "role": "viewer"},
        headers=ada.changes(),
    )
    assert myself.status_code == 422 and "owns" in myself.json()["detail"]


async def test_opening_a_new_name_makes_me_its_owner(
    team: tuple[ServerProcess, SignedIn, SignedIn],
):
    server, ada, grace = team
    async with editor_of(server, "fresh-idea", ada) as editor:
        await editor.synced.wait()
        editor.append("draft")
    assert await _names(ada, "mine") == ["fresh-idea"]
    assert (await grace.http.get("/api/rooms/fresh-idea")).status_code == 403


async def test_putting_a_new_name_makes_me_its_owner_and_says_so(
    team: tuple[ServerProcess, SignedIn, SignedIn],
):
    """The editor page of a name nobody stored yet creates it with PUT before it connects: the
    answer names the person as its owner and admin, as GET does afterwards."""
    _, ada, grace = team
    assert (await ada.http.get("/api/rooms/fresh-plan")).status_code == 404
    made = await ada.http.put("/api/rooms/fresh-plan", json={"kind": "rich"}, headers=ada.changes())
    assert made.status_code == 201, made.text
    assert made.json()["owner"]["name"] == "Ada Lovelace" and made.json()["role"] == "admin"
    again = await ada.http.put("/api/rooms/fresh-plan", headers=ada.changes())
    assert again.status_code == 200 and again.json()["kind"] == "rich"
    assert again.json()["owner"]["name"] == "Ada Lovelace" and again.json()["role"] == "admin"
    assert await _names(ada, "mine") == ["fresh-plan"]
    # Someone else's PUT of it is refused: it is Ada's now.
    taken = await grace.http.put("/api/rooms/fresh-plan", headers=grace.changes())
    assert taken.status_code == 403


def _page_config(page: str) -> dict[str, object]:
    found = re.search(r'id="collab-config" type="application/json">(.*?)</script>', page)
    assert found is not None
    config: dict[str, object] = json.loads(found.group(1))
    return config


async def test_the_editor_page_tells_a_title_only_to_whom_may_read_it(
    team: tuple[ServerProcess, SignedIn, SignedIn],
):
    """On a server with a secret, GET /d/{room} names the document's title and kind to its
    readers only: not to a signed-in person without access, nor to someone not signed in
    (whose token, if any, is in the fragment: the page asks the REST API with it)."""
    server, ada, grace = team
    made = await ada.http.post(
        "/api/rooms", json={"title": "Secret merger", "kind": "rich"}, headers=ada.changes()
    )
    assert made.status_code == 201, made.text
    own = await ada.http.get("/d/secret-merger")
    assert "Secret merger" in own.text
    assert _page_config(own.text)["title"] == "Secret merger"
    assert _page_config(own.text)["kind"] == "rich"
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as anonymous:
        for page in (
            await grace.http.get("/d/secret-merger"),
            await anonymous.get("/d/secret-merger"),
        ):
            assert page.status_code == 200
            assert "Secret merger" not in page.text
            config = _page_config(page.text)
            assert config["title"] is None and config["exists"] is None
            assert config["kind"] == "text"
        # Nobody's name yet: a person opening it would own it, so they are told; others not.
        assert _page_config((await anonymous.get("/d/blank-name")).text)["exists"] is None
    assert _page_config((await grace.http.get("/d/blank-name")).text)["exists"] is False
    # Shared with Grace, she is told.
    shared = await ada.http.post(
        "/api/rooms/secret-merger/access",
        json={"email": "grace@example.com", "role": "viewer"},
        headers=ada.changes(),
    )
    assert shared.status_code == 200, shared.text
    assert _page_config((await grace.http.get("/d/secret-merger")).text)["title"] == "Secret merger"
