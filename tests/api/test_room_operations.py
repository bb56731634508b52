"""Every REST operation on a room shares one prologue (Operation.on_room): the room's name is
checked, then the caller's role on it, and only then is anything the caller sent parsed."""

from __future__ import annotations

import httpx
import pytest

import collab
from collab.api.deferred import every_route
from collab.api.operations import ApiRoute
from collab.auth import Role, issue_token
from tests.auth.test_websocket_auth import SECRET, token
from tests.conftest import ServerFactory
from tests.people.accounts import SECRET as PEOPLE_SECRET
from tests.people.accounts import add_person, sign_in
from tests.server import ServerProcess

VIEWER = {"Authorization": f"Bearer {token('doc', 'viewer', ttl=7200)}"}
ADMIN = {"Authorization": f"Bearer {token('doc*', 'admin', ttl=7200)}"}


def room_operations() -> list[tuple[str, str, Role]]:
    """(method, URL on room "doc", role needed) of every operation on a room."""
    found = []
    for route in every_route(collab.create_app(collab.Settings()).routes):
        if isinstance(route, ApiRoute) and "{room}" in route.path:
            url = route.path.replace("{room}", "doc").replace("{version}", "1")
            url = url.replace("{link}", "nothing").replace("{person}", "nobody")
            url = url.replace("{thread}", "none").replace("{comment}", "none")
            for method, operation in route.operations.items():
                found.append((method, url, operation.room_role))
    return found


@pytest.fixture
async def secured(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url, headers=ADMIN) as http:
        assert (await http.put("/api/rooms/doc")).status_code == 201
    return server


def test_fifty_operations_act_on_a_room() -> None:
    assert len(room_operations()) == 50


async def test_a_caller_without_the_role_is_refused_before_what_they_sent_is_read(
    secured: ServerProcess,
) -> None:
    garbage = {"content": b"{not json", "headers": {**VIEWER, "content-type": "application/json"}}
    async with httpx.AsyncClient(timeout=30, base_url=secured.http_url) as http:
        for method, url, role in room_operations():
            bad_query = f"{url}?limit=nothing&format=nothing&against=nothing"
            answer = await http.request(method, bad_query, **garbage)  # type: ignore[arg-type]
            if role > Role.VIEWER:
                assert answer.status_code == 403, (method, url, answer.text)
            else:  # admitted: what they sent is read now, and may be refused for itself
                assert answer.status_code not in (401, 403), (method, url, answer.text)
            anonymous = await http.request(method, bad_query, content=b"{not json")
            assert anonymous.status_code == 401, (method, url, anonymous.text)


async def test_an_impossible_room_name_is_not_found_before_anything_else(
    secured: ServerProcess,
) -> None:
    async with httpx.AsyncClient(timeout=30, base_url=secured.http_url) as http:
        for method, url, _ in room_operations():
            impossible = url.replace("/doc", "/%20bad%00name", 1)
            answer = await http.request(method, impossible, content=b"{not json")
            assert answer.status_code == 404, (method, url, answer.text)


async def test_a_person_is_checked_on_every_operation_of_a_room(
    make_server: ServerFactory, sqlite_url: str
) -> None:
    # "doc" is owned by nobody (made with a token): a person without a share gets 403 on
    # every operation, and a viewer share admits exactly the viewer's operations.
    server = make_server(sqlite_url, COLLAB_SECRET=PEOPLE_SECRET)
    await server.start()
    await add_person(sqlite_url, "grace@example.com", "Grace")
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        op = issue_token(
            PEOPLE_SECRET, user="op", name="Op", grants={"doc*": "admin"}, ttl_seconds=600
        )
        admin = {"Authorization": f"Bearer {op}"}
        assert (await http.put("/api/rooms/doc", headers=admin)).status_code == 201
        grace = await sign_in(server, "grace@example.com")
        for method, url, _ in room_operations():
            answer = await grace.http.request(
                method, url, content=b"{not json", headers=grace.changes()
            )
            assert answer.status_code == 403, (method, url, answer.text)
        share = {"email": "grace@example.com", "role": "viewer"}
        shared = await http.post("/api/rooms/doc/access", json=share, headers=admin)
        assert shared.status_code == 200, shared.text
        for method, url, role in room_operations():
            answer = await grace.http.request(
                method, url, content=b"{not json", headers=grace.changes()
            )
            if role > Role.VIEWER:
                assert answer.status_code == 403, (method, url, answer.text)
            else:
                assert answer.status_code not in (401, 403), (method, url, answer.text)
        await grace.close()
