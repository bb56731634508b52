"""The comment threads of SqlStore, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from collab.errors import CommentLimit, RoomNotFound
from collab.store import migrate
from collab.store.comments import Author, NewThread
from collab.store.db import create_engine
from collab.store.sql import SqlStore

ADA = Author("Ada", "ada", "p-ada")
BO = Author("Bo", "bo")


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    store = SqlStore(engine)
    try:
        yield store
    finally:
        await store.close()


def _new(room: str = "doc", body: str = "why?") -> NewThread:
    return NewThread(room, b"\x00\x01", b"\x00\x02", "the passage", ADA, body)


async def test_threads_are_made_replied_edited_resolved_and_deleted(store: SqlStore):
    now = datetime.now(UTC).replace(microsecond=0)
    comments = store.comments
    with pytest.raises(RoomNotFound):
        await comments.create_thread(_new(), now, max_threads=10)
    await store.create_room("doc")
    thread = await comments.create_thread(_new(), now, max_threads=10)
    assert (thread.start, thread.end, thread.quote) == (b"\x00\x01", b"\x00\x02", "the passage")
    assert thread.created_by == ADA and not thread.resolved
    later = now + timedelta(seconds=1)
    reply = await comments.reply("doc", thread.id, BO, "because", later, limit=10)
    assert reply is not None and reply.author == BO
    assert await comments.reply("other", thread.id, BO, "x", later, limit=10) is None
    stored = await comments.get_thread("doc", thread.id)
    assert stored is not None and [c.body for c in stored.comments] == ["why?", "because"]
    edited = await comments.edit_comment("doc", thread.id, reply.id, "since", BO, later)
    assert edited is not None and edited.body == "since" and edited.edited_at == later
    resolved = await comments.set_resolved("doc", thread.id, BO, later, resolved=True)
    assert resolved is not None and resolved.resolved_by == "Bo" and resolved.resolved_at == later
    again = await comments.set_resolved(
        "doc", thread.id, ADA, later + timedelta(seconds=1), resolved=True
    )
    assert again == resolved, "resolving twice keeps the first"
    assert await comments.list_threads("doc", "open") == []
    assert [t.id for t in await comments.list_threads("doc", "resolved")] == [thread.id]
    reopened = await comments.set_resolved("doc", thread.id, ADA, later, resolved=False)
    assert reopened is not None and not reopened.resolved
    assert await comments.delete_comment("doc", thread.id, reply.id, BO, later) == "comment"
    assert await comments.delete_comment("doc", thread.id, reply.id, BO, later) is None
    assert (
        await comments.delete_comment("doc", thread.id, thread.comments[0].id, ADA, later)
        == "thread"
    )
    assert await comments.list_threads("doc") == []


async def test_limits_are_kept(store: SqlStore):
    now = datetime.now(UTC)
    await store.create_room("doc")
    thread = await store.comments.create_thread(_new(), now, max_threads=1)
    with pytest.raises(CommentLimit, match="1 threads"):
        await store.comments.create_thread(_new(), now, max_threads=1)
    await store.comments.reply("doc", thread.id, BO, "one", now, limit=2)
    with pytest.raises(CommentLimit, match="2 comments"):
        await store.comments.reply("doc", thread.id, BO, "two", now, limit=2)


async def test_deleting_a_room_deletes_its_threads(store: SqlStore):
    now = datetime.now(UTC)
    await store.create_room("doc")
    await store.create_room("other")
    await store.comments.create_thread(_new(), now, max_threads=10)
    kept = await store.comments.create_thread(_new("other"), now, max_threads=10)
    assert await store.delete_room("doc") is not None
    assert await store.comments.list_threads("doc") == []
    await store.create_room("doc")
    assert await store.comments.list_threads("doc") == [], "a room made again starts empty"
    assert [t.id for t in await store.comments.list_threads("other")] == [kept.id]
