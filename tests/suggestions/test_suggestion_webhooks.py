"""suggestion.* webhooks, queued in the same transaction as the change (SQLite and PostgreSQL):
created, accepted and rejected are delivered, signed; changing or withdrawing an open
suggestion is for open editors only."""

from __future__ import annotations

import httpx

from tests.auth.test_websocket_auth import SECRET as TOKEN_SECRET
from tests.auth.test_websocket_auth import token
from tests.conftest import ServerFactory
from tests.test_webhooks import Receiver, receiving, verified, webhook_server


def as_(role: str, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('doc', role, name=name)}"}


async def test_made_accepted_and_rejected_suggestions_are_signed_events(
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
            made = []
            for body in (
                {"kind": "replace", "passage": {"text": "12%"}, "text": "14%", "body": "Q3?"},
                {"kind": "delete", "passage": {"text": "Revenue "}},
                {"kind": "insert", "passage": {"index": 0, "length": 0}, "text": "So "},
            ):
                answer = await http.post(
                    "/doc/suggestions", json=body, headers=as_("commenter", "Cy")
                )
                assert answer.status_code == 201, answer.text
                made.append(answer.json()["id"])
            one, two, three = made
            changed = await http.patch(
                f"/doc/suggestions/{three}", json={"text": "Now "}, headers=as_("commenter", "Cy")
            )
            assert changed.status_code == 200, changed.text
            gone = await http.delete(f"/doc/suggestions/{three}", headers=as_("commenter", "Cy"))
            assert gone.status_code == 204
            accepted = await http.post(
                f"/doc/suggestions/{one}/accept", headers=as_("editor", "Ada")
            )
            assert accepted.status_code == 200, accepted.text
            rejected = await http.post(
                f"/doc/suggestions/{two}/reject", headers=as_("editor", "Ada")
            )
            assert rejected.status_code == 200, rejected.text
        kinds = [
            "suggestion.created",
            "suggestion.created",
            "suggestion.created",
            "suggestion.accepted",
            "suggestion.rejected",
        ]
        await receiver.wait(
            lambda: (
                [r.event for r in receiver.delivered() if r.event.startswith("suggestion.")]
                == kinds
            )
        )
    sent = [r for r in receiver.delivered() if r.event.startswith("suggestion.")]
    assert all(verified(r) for r in sent)
    bodies = [r.json for r in sent]
    assert [b["thread"] for b in bodies] == [one, two, three, one, two]
    first = bodies[0]
    assert first["room"] == "doc" and first["kind"] == "replace" and first["text"] == "14%"
    assert first["status"] == "open" and first["comment"]["body"] == "Q3?"
    assert first["by"] == "Cy" and first["suggested_by"] == "Cy"
    assert bodies[1]["comment"] is None and bodies[2]["kind"] == "insert"
    assert bodies[3]["status"] == "accepted" and bodies[3]["by"] == "Ada"
    assert bodies[3]["suggested_by"] == "Cy"
    assert bodies[4]["status"] == "rejected" and bodies[4]["by"] == "Ada"
    assert len({b["id"] for b in bodies}) == 5
