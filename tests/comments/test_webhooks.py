"""comment.* webhooks, queued in the same transaction as the change (SQLite and PostgreSQL)."""

from __future__ import annotations

import httpx

from tests.auth.test_websocket_auth import SECRET as TOKEN_SECRET
from tests.auth.test_websocket_auth import token
from tests.conftest import ServerFactory
from tests.test_webhooks import Receiver, receiving, verified, webhook_server


def as_(role: str, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('doc', role, name=name)}"}


async def test_each_change_of_a_thread_is_one_signed_event(
    make_server: ServerFactory, database_url: str
):
    async with receiving(Receiver()) as receiver:
        server = webhook_server(make_server, database_url, receiver, COLLAB_SECRET=TOKEN_SECRET)
        await server.start()
        async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
            assert (await http.put("/doc", headers=as_("admin", "Ada"))).status_code == 201
            text = {"text": "Revenue grew 12%."}
            assert (
                await http.patch("/doc/text", json=text, headers=as_("editor", "Ada"))
            ).is_success
            body = {"passage": {"index": 8, "length": 4}, "body": "<b>sure?</b>"}
            made = await http.post("/doc/threads", json=body, headers=as_("commenter", "Cy"))
            assert made.status_code == 201, made.text
            thread = made.json()["id"]
            base = f"/doc/threads/{thread}"
            answer = await http.post(
                f"{base}/comments", json={"body": "Yes."}, headers=as_("editor", "Ada")
            )
            reply = answer.json()["id"]
            await http.patch(
                f"{base}/comments/{reply}", json={"body": "Yes!"}, headers=as_("editor", "Ada")
            )
            await http.post(f"{base}/resolve", headers=as_("commenter", "Cy"))
            await http.post(f"{base}/resolve", headers=as_("commenter", "Cy"))  # no change
            await http.post(f"{base}/reopen", headers=as_("editor", "Ada"))
            await http.delete(f"{base}/comments/{reply}", headers=as_("admin", "Root"))
        kinds = [
            "comment.created",
            "comment.created",
            "comment.edited",
            "comment.resolved",
            "comment.reopened",
            "comment.deleted",
        ]
        await receiver.wait(
            lambda: (
                [r.event for r in receiver.delivered() if r.event.startswith("comment.")] == kinds
            )
        )
    sent = [r for r in receiver.delivered() if r.event.startswith("comment.")]
    assert all(verified(r) for r in sent)
    bodies = [r.json for r in sent]
    assert {b["room"] for b in bodies} == {"doc"} and {b["thread"] for b in bodies} == {thread}
    assert bodies[0]["comment"]["body"] == "<b>sure?</b>" and bodies[0]["by"] == "Cy"
    assert bodies[2]["comment"]["body"] == "Yes!" and bodies[2]["comment"]["edited_at"]
    assert bodies[3]["comment"] is None and bodies[3]["by"] == "Cy"
    deleted = bodies[5]
    assert deleted["by"] == "Root" and deleted["comment"]["author"] == "Ada"
    assert deleted["thread_deleted"] is False
    assert len({b["id"] for b in bodies}) == 6
