"""The on_comment_mentioned hook: a host app hears whom a comment mentions, when it is posted
and when an edit mentions someone new, through the REST API of its process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import collab
from collab.hooks import CommentMentioned, Hooks, Mentioned
from tests.inprocess import serving_on_port
from tests.people.accounts import PASSWORD, SECRET, add_person, client


class Recording(Hooks):
    def __init__(self) -> None:
        self.events: list[CommentMentioned] = []
        self.arrived = asyncio.Condition()

    async def on_comment_mentioned(self, event: CommentMentioned) -> None:
        async with self.arrived:
            self.events.append(event)
            self.arrived.notify_all()

    async def wait_for(self, count: int) -> list[CommentMentioned]:
        async with asyncio.timeout(10), self.arrived:
            await self.arrived.wait_for(lambda: len(self.events) >= count)
        return self.events


async def test_the_host_hears_whom_a_comment_mentions(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'collab.db'}"
    hooks = Recording()
    app = collab.create_app(collab.Settings(database_url=url, secret=SECRET), hooks=hooks)
    async with serving_on_port(app) as port:
        await add_person(url, "ada@example.com", "Ada")
        grace = await add_person(url, "grace@example.com", "Grace")
        alan = await add_person(url, "alan@example.com", "Alan")
        async with client(f"http://127.0.0.1:{port}") as http:
            me = await http.post(
                "/api/session", json={"email": "ada@example.com", "password": PASSWORD}
            )
            ada = me.json()["person"]["id"]
            changes = {"X-CSRF-Token": me.json()["csrf_token"]}
            await http.post("/api/rooms", json={"title": "Plan", "kind": "text"}, headers=changes)
            await http.patch("/api/rooms/plan/text", json={"text": "Ship it."}, headers=changes)
            for email in ("grace@example.com", "alan@example.com"):
                share = {"email": email, "role": "viewer"}
                await http.post("/api/rooms/plan/access", json=share, headers=changes)
            body = {"passage": {"index": 0, "length": 4}, "body": f"<@{grace.id}> ok?"}
            made = await http.post("/api/rooms/plan/threads", json=body, headers=changes)
            assert made.status_code == 201, made.text
            thread = made.json()["id"]
            first = made.json()["comments"][0]["id"]
            comment = f"/api/rooms/plan/threads/{thread}/comments"
            plain = await http.post(comment, json={"body": "No one."}, headers=changes)
            assert plain.status_code == 201, plain.text
            edit = {"body": f"<@{grace.id}> <@{alan.id}> ok?"}
            edited = await http.patch(f"{comment}/{first}", json=edit, headers=changes)
            assert edited.status_code == 200, edited.text
            events = await hooks.wait_for(2)
    assert events == [
        CommentMentioned(
            room="plan",
            thread=thread,
            comment=first,
            author="Ada",
            author_person_id=ada,
            body=f"<@{grace.id}> ok?",
            mentioned=(Mentioned(grace.id, "Grace", "grace@example.com"),),
            edited=False,
            by="Ada",
        ),
        CommentMentioned(
            room="plan",
            thread=thread,
            comment=first,
            author="Ada",
            author_person_id=ada,
            body=f"<@{grace.id}> <@{alan.id}> ok?",
            mentioned=(Mentioned(alan.id, "Alan", "alan@example.com"),),
            edited=True,
            by="Ada",
        ),
    ]
