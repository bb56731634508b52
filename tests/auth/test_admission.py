"""Admission is one step with one seam: identify (the host's on_authenticate hook, else the
token, a share link's checked live), then authorize (on_authorize, else the token's grants)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from collab.admission import Admission
from collab.auth import Authenticator, Identity, Role, issue_link_token
from collab.errors import Forbidden, LinkRevoked, Unauthorized
from collab.hooks import Authenticate, Authorize, HookRunner, Hooks, RequestInfo
from collab.store import migrate
from collab.store.db import create_engine
from collab.store.sql import SqlStore
from tests.auth.test_websocket_auth import SECRET, token

INFO = RequestInfo("http", "/api/rooms/doc", {}, {}, {}, "127.0.0.1")
GRACE = Identity("grace", "Grace", ())


class SignedIn(Hooks):
    """A host that knows its people by a session cookie and lets them edit "doc"."""

    async def on_authenticate(self, event: Authenticate) -> Identity | None:
        return GRACE if event.request.cookies.get("session") == "grace" else None

    async def on_authorize(self, event: Authorize) -> Role | None:
        return Role.EDITOR if event.room == "doc" else None


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[SqlStore]:
    engine = create_engine(sqlite_url)
    await migrate.upgrade(engine)
    sql_store = SqlStore(engine)
    await sql_store.create_room("doc")
    yield sql_store
    await sql_store.close()


async def test_a_token_admits_up_to_its_role(store: SqlStore) -> None:
    admission = Admission(Authenticator(SECRET), HookRunner(), store.links)
    viewer = token("doc", "viewer")
    admitted = await admission.admit(INFO, viewer, "doc", Role.VIEWER)
    assert (admitted.role, admitted.by_hook) == (Role.VIEWER, False)
    with pytest.raises(Forbidden, match="needs the editor role"):
        await admission.admit(INFO, viewer, "doc", Role.EDITOR)


async def test_the_hosts_hooks_replace_both_halves(store: SqlStore) -> None:
    admission = Admission(Authenticator(), HookRunner(SignedIn()), store.links)
    signed_in = RequestInfo("http", "/", {}, {"session": "grace"}, {}, None)
    admitted = await admission.admit(signed_in, None, "doc", Role.EDITOR)
    assert (admitted.identity, admitted.role, admitted.by_hook) == (GRACE, Role.EDITOR, True)
    with pytest.raises(Forbidden):
        await admission.admit(signed_in, None, "elsewhere", Role.VIEWER)
    # In development mode a host that authenticates refuses the rest, not an anonymous admin.
    with pytest.raises(Unauthorized):
        await admission.admit(INFO, None, "doc", Role.VIEWER)


async def test_a_revoked_share_link_admits_nobody(store: SqlStore) -> None:
    auth = Authenticator(SECRET)
    link = await store.links.create_link(
        "doc", "editor", created_by="Ada", expires_at=None, label=None
    )
    through_link = issue_link_token(
        SECRET, link=link.id, room="doc", role=Role.EDITOR, expires_at=None
    )
    admission = Admission(auth, HookRunner(), store.links)
    assert (await admission.admit(INFO, through_link, "doc", Role.EDITOR)).role == Role.EDITOR
    await store.links.revoke_link("doc", link.id, link.created_at)
    with pytest.raises(LinkRevoked):
        await admission.admit(INFO, through_link, "doc", Role.VIEWER)
