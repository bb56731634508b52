"""The Python client acting as people: signing in, listing by scope, sharing, ownership and
managing people, against a real server with a secret."""

from __future__ import annotations

import pytest

from collab.client import CollabAPIError, CollabClient
from tests.conftest import ServerFactory
from tests.people.accounts import PASSWORD, SECRET, add_person
from tests.server import ServerProcess


@pytest.fixture
async def secured(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(sqlite_url, "root@example.com", "Root", admin=True)
    await add_person(sqlite_url, "ada@example.com", "Ada")
    await add_person(sqlite_url, "grace@example.com", "Grace")
    return server


async def test_a_person_shares_a_document_through_the_client(secured: ServerProcess):
    async with CollabClient(secured.http_url) as ada, CollabClient(secured.http_url) as grace:
        me = await ada.sign_in("ada@example.com", PASSWORD)
        assert me.person is not None and me.person.name == "Ada"
        made = await ada.create_titled("Q3 plan")
        assert made.owner == "Ada" and made.role == "admin"
        assert (await grace.sign_in("grace@example.com", PASSWORD)).signed_in
        with pytest.raises(CollabAPIError) as refused:
            await grace.get_room(made.name)
        assert refused.value.status == 403
        suggestions = await ada.people("gra")
        assert [p.name for p in suggestions] == ["Grace"] and suggestions[0].active is None
        access = await ada.share(made.name, "grace@example.com", "viewer")
        grace_id = access.people[0].person.id
        shared = await grace.list_rooms(scope="shared")
        assert [(r.name, r.owner, r.role) for r in shared.items] == [(made.name, "Ada", "viewer")]
        assert (await ada.change_share(made.name, grace_id, "editor")).people[0].role == "editor"
        assert (await ada.set_organisation_role(made.name, "viewer")).organisation == "viewer"
        moved = await ada.transfer_ownership(made.name, grace_id)
        assert moved.owner is not None and moved.owner.name == "Grace"
        assert [(p.person.name, p.role) for p in moved.people] == [("Ada", "editor")]
        assert [r.name for r in (await grace.list_rooms(scope="mine")).items] == [made.name]
        after = await grace.unshare(made.name, me.person.id)
        assert after.people == []
        await ada.sign_out()
        with pytest.raises(CollabAPIError) as out:
            await ada.list_rooms()
        assert out.value.status == 401


async def test_a_server_admin_manages_people_through_the_client(secured: ServerProcess):
    async with CollabClient(secured.http_url) as root:
        await root.sign_in("root@example.com", PASSWORD)
        people = {p.email: p for p in await root.people()}
        assert set(people) == {"root@example.com", "ada@example.com", "grace@example.com"}
        ada = people["ada@example.com"]
        assert ada.active is True and ada.sign_in == "password"
        off = await root.change_person(ada.id, active=False)
        assert off.active is False
        async with CollabClient(secured.http_url) as again:
            with pytest.raises(CollabAPIError) as refused:
                await again.sign_in("ada@example.com", PASSWORD)
            assert refused.value.status == 401
