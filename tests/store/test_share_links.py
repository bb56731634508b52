"""The share links of SqlStore, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from collab.errors import RoomNotFound
from collab.store import migrate
from collab.store.db import create_engine
from collab.store.sql import SqlStore


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    store = SqlStore(engine)
    try:
        yield store
    finally:
        await store.close()


async def test_links_are_made_listed_found_and_revoked(store: SqlStore):
    with pytest.raises(RoomNotFound):
        await store.links.create_link(
            "doc", "viewer", created_by="Ada", expires_at=None, label=None
        )
    await store.create_room("doc")
    await store.create_room("other")
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    first = await store.links.create_link(
        "doc", "viewer", created_by="Ada", expires_at=soon, label="for Bo"
    )
    second = await store.links.create_link(
        "doc", "editor", created_by="Ada", expires_at=None, label=None
    )
    elsewhere = await store.links.create_link(
        "other", "viewer", created_by="Cy", expires_at=None, label=None
    )
    assert len({first.id, second.id, elsewhere.id}) == 3 and len(first.id) >= 20
    assert await store.links.list_links("doc") == [second, first]
    assert await store.links.find_links([first.id, "nope", elsewhere.id]) == {
        first.id: first,
        elsewhere.id: elsewhere,
    }
    now = datetime.now(UTC)
    assert first.status(now) == "live" and first.status(soon) == "expired"
    assert await store.links.revoke_link("other", first.id, now) is None
    revoked = await store.links.revoke_link("doc", first.id, now)
    assert revoked is not None and revoked.revoked_at == now and revoked.status(now) == "revoked"
    later = await store.links.revoke_link("doc", first.id, now + timedelta(minutes=5))
    assert later == revoked, "revoking twice keeps the first revocation"
    assert await store.links.revoke_link("doc", "nope", now) is None


async def test_a_deleted_room_has_no_links_even_when_made_again(store: SqlStore):
    await store.create_room("doc")
    link = await store.links.create_link(
        "doc", "editor", created_by="Ada", expires_at=None, label=None
    )
    await store.delete_room("doc")
    assert await store.links.find_links([link.id]) == {}
    await store.create_room("doc")
    assert await store.links.list_links("doc") == []
    assert await store.links.find_links([link.id]) == {}
    assert await store.links.revoke_link("doc", link.id, datetime.now(UTC)) is None
