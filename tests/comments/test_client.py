"""The Python client's comment calls, as people a document is shared with: a commenter starts
a thread (authored as the person signed in) but cannot edit the text; the owner replies and
resolves."""

from __future__ import annotations

import pytest

from collab.client import CollabAPIError, CollabClient, mention
from tests.conftest import ServerFactory
from tests.people.accounts import PASSWORD, SECRET, add_person
from tests.server import ServerProcess


@pytest.fixture
async def secured(make_server: ServerFactory, database_url: str) -> ServerProcess:
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(database_url, "ada@example.com", "Ada")
    await add_person(database_url, "grace@example.com", "Grace")
    return server


async def test_a_commenter_comments_and_the_owner_replies_and_resolves(secured: ServerProcess):
    async with CollabClient(secured.http_url) as ada, CollabClient(secured.http_url) as grace:
        await ada.sign_in("ada@example.com", PASSWORD)
        room = (await ada.create_titled("Q3 plan", "text")).name
        await ada.replace_text(room, "Revenue grew 12% in Q3.")
        access = await ada.share(room, "grace@example.com", "commenter")
        grace_id = access.people[0].person.id
        assert access.people[0].role == "commenter"
        me = await grace.sign_in("grace@example.com", PASSWORD)
        assert (await grace.get_room(room)).role == "commenter"
        with pytest.raises(CollabAPIError) as refused:
            await grace.edit_text(room, [{"op": "insert", "index": 0, "text": "x"}])
        assert refused.value.status == 403
        thread = await grace.comment_on(room, 8, 8, "Is 12% right?")
        assert thread.range is not None and thread.range.text == "grew 12%"
        assert thread.created_by.name == "Grace" and thread.created_by.person_id == grace_id
        assert me.person is not None and me.person.id == grace_id
        answer = await ada.reply(room, thread.id, "Yes, see the report.")
        assert answer.author.yours and answer.author.name == "Ada"
        with pytest.raises(CollabAPIError) as theirs:
            await grace.edit_comment(room, thread.id, answer.id, "No.")
        assert theirs.value.status == 403
        mine = await grace.edit_comment(room, thread.id, thread.comments[0].id, "Is 12% right??")
        assert mine.body == "Is 12% right??" and mine.edited_at is not None
        assert (await ada.resolve(room, thread.id)).resolved_by == "Ada"
        assert await grace.threads(room) == []
        listed = await grace.threads(room, "resolved")
        assert [c.body for c in listed[0].comments] == ["Is 12% right??", "Yes, see the report."]
        assert (await grace.reopen(room, thread.id)).resolved is False
        assert (await ada.delete_comment(room, thread.id, answer.id)).deleted == "comment"
        assert (await grace.thread(room, thread.id)).comments[0].author.yours is True


async def test_a_commenter_mentions_someone_picked_from_the_client(secured: ServerProcess):
    async with CollabClient(secured.http_url) as ada, CollabClient(secured.http_url) as grace:
        await ada.sign_in("ada@example.com", PASSWORD)
        room = (await ada.create_titled("Notes", "text")).name
        await ada.replace_text(room, "Ship on Friday.")
        await ada.share(room, "grace@example.com", "commenter")
        await grace.sign_in("grace@example.com", PASSWORD)
        [owner] = await grace.mentionable(room, "ada")
        assert (owner.name, owner.email) == ("Ada", "ada@example.com")
        thread = await grace.comment_on(room, 8, 6, f"{mention(owner.id)} Friday?")
        assert thread.comments[0].body == f"<@{owner.id}> Friday?"
        assert [(m.person_id, m.name) for m in thread.comments[0].mentions] == [(owner.id, "Ada")]


async def test_the_client_comments_on_a_quote_and_lists_threads_by_passage(
    secured: ServerProcess,
):
    async with CollabClient(secured.http_url) as ada:
        await ada.sign_in("ada@example.com", PASSWORD)
        room = (await ada.create_titled("Notes", "text")).name
        text = "Revenue grew 12% in Q3; costs grew 3% in Q3."
        await ada.replace_text(room, text)
        second = await ada.comment_on_text(room, "in Q3", "Which quarter?", occurrence=2)
        assert second.range is not None and second.range.index == text.rindex("in Q3")
        first = await ada.comment_on_text(room, "Revenue", "Whose?")
        assert [t.id for t in await ada.threads(room, index=text.rindex("Q3"))] == [second.id]
        assert [t.id for t in await ada.threads(room, index=0, length=len(text))] == [
            first.id,
            second.id,
        ]
        with pytest.raises(CollabAPIError) as missing:
            await ada.comment_on_text(room, "in Q4", "?")
        assert missing.value.status == 422
