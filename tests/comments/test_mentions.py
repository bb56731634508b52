"""Mentions in comments (`<@ID>`), over real HTTP on SQLite and PostgreSQL: who may be mentioned
(people who can read the document) and the picker's list, names shown for the ids kept, every
refusal a 422 naming the problem, and the comment.mentioned webhook queued with the comment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from collab.auth import issue_token
from tests.conftest import ServerFactory
from tests.people.accounts import SECRET, SignedIn, add_person, sign_in
from tests.server import ServerProcess
from tests.test_webhooks import Receiver, receiving, verified, webhook_server

TEXT = "Revenue grew 12% in Q3."


@dataclass
class Team:
    server: ServerProcess
    ada: SignedIn  # owns the document
    grace: SignedIn  # it is shared with her as a commenter
    edsger: SignedIn  # no access
    root: SignedIn  # a server admin, not on the document's list
    room: str

    def who(self, signed_in: SignedIn) -> dict[str, str]:
        return {"person_id": signed_in.id, "name": signed_in.me["person"]["name"]}


async def _team(server: ServerProcess, database_url: str) -> Team:
    await add_person(database_url, "ada@example.com", "Ada Lovelace")
    await add_person(database_url, "grace@example.com", "Grace Hopper")
    await add_person(database_url, "edsger@example.com", "Edsger Dijkstra")
    await add_person(database_url, "root@example.com", "Root Admin", admin=True)
    ada = await sign_in(server, "ada@example.com")
    made = await ada.http.post(
        "/api/rooms", json={"title": "Q3", "kind": "text"}, headers=ada.changes()
    )
    assert made.status_code == 201, made.text
    room = made.json()["name"]
    wrote = await ada.http.patch(
        f"/api/rooms/{room}/text", json={"text": TEXT}, headers=ada.changes()
    )
    assert wrote.status_code == 200, wrote.text
    shared = await ada.http.post(
        f"/api/rooms/{room}/access",
        json={"email": "grace@example.com", "role": "commenter"},
        headers=ada.changes(),
    )
    assert shared.status_code == 200, shared.text
    return Team(
        server,
        ada,
        await sign_in(server, "grace@example.com"),
        await sign_in(server, "edsger@example.com"),
        await sign_in(server, "root@example.com"),
        room,
    )


async def _close(team: Team) -> None:
    for who in (team.ada, team.grace, team.edsger, team.root):
        await who.close()


@pytest.fixture
async def team(make_server: ServerFactory, database_url: str) -> AsyncIterator[Team]:
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    made = await _team(server, database_url)
    yield made
    await _close(made)


async def comment(team: Team, who: SignedIn, body: str, *, expect: int = 201) -> dict[str, Any]:
    passage = {"index": TEXT.index("12%"), "length": 3}
    answer = await who.http.post(
        f"/api/rooms/{team.room}/threads",
        json={"passage": passage, "body": body},
        headers=who.changes(),
    )
    assert answer.status_code == expect, answer.text
    made: dict[str, Any] = answer.json()
    return made


async def mentionable(who: SignedIn, room: str, q: str = "") -> list[dict[str, Any]]:
    answer = await who.http.get(f"/api/rooms/{room}/people", params={"q": q})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_the_picker_lists_who_can_read_the_document(team: Team):
    listed = await mentionable(team.grace, team.room)
    assert [(p["name"], p["email"]) for p in listed] == [
        ("Ada Lovelace", "ada@example.com"),
        ("Grace Hopper", "grace@example.com"),
        ("Root Admin", "root@example.com"),
    ]
    assert [p["name"] for p in await mentionable(team.grace, team.room, "HOP")] == ["Grace Hopper"]
    assert [p["name"] for p in await mentionable(team.grace, team.room, "ada@")] == ["Ada Lovelace"]
    assert await mentionable(team.grace, team.room, "edsger") == []
    # Nobody without access lists them; a viewer (who cannot comment) neither.
    refused = await team.edsger.http.get(f"/api/rooms/{team.room}/people")
    assert refused.status_code == 403, refused.text
    await team.ada.http.patch(
        f"/api/rooms/{team.room}/access/{team.grace.id}",
        json={"role": "viewer"},
        headers=team.ada.changes(),
    )
    viewer = await team.grace.http.get(f"/api/rooms/{team.room}/people")
    assert viewer.status_code == 403, viewer.text
    # Everyone in the organisation with the link: everyone active may be mentioned.
    await team.ada.http.put(
        f"/api/rooms/{team.room}/organisation", json={"role": "viewer"}, headers=team.ada.changes()
    )
    assert [p["name"] for p in await mentionable(team.ada, team.room, "edsger")] == [
        "Edsger Dijkstra"
    ]
    # A commenter's token that is no person sees names and ids, not emails.
    token = issue_token(
        SECRET, user="bot", name="Bot", grants={team.room: "commenter"}, ttl_seconds=600
    )
    async with httpx.AsyncClient(timeout=30, base_url=team.server.http_url) as bot:
        answer = await bot.get(
            f"/api/rooms/{team.room}/people",
            params={"q": "grace"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.json()["items"] == [{"id": team.grace.id, "name": "Grace Hopper", "email": ""}]
    missing = await team.ada.http.get("/api/rooms/no-such-room/people")
    assert missing.status_code == 404, missing.text


async def test_a_mention_keeps_the_id_and_shows_the_name(team: Team):
    body = f"<@{team.ada.id}> is 12% right? cc <@{team.root.id}> and <@{team.ada.id}> again"
    thread = await comment(team, team.grace, body)
    first = thread["comments"][0]
    assert first["body"] == body
    assert first["mentions"] == [team.who(team.ada), team.who(team.root)]
    # A reply, and listing the threads, show the names too.
    base = f"/api/rooms/{team.room}/threads/{thread['id']}"
    answer = await team.ada.http.post(
        f"{base}/comments", json={"body": f"Yes <@{team.grace.id}>."}, headers=team.ada.changes()
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["mentions"] == [team.who(team.grace)]
    listed = (await team.edsger.http.get(f"/api/rooms/{team.room}/threads")).status_code
    assert listed == 403
    threads = (await team.grace.http.get(f"/api/rooms/{team.room}/threads")).json()["items"]
    assert [c["mentions"] for c in threads[0]["comments"]] == [
        [team.who(team.ada), team.who(team.root)],
        [team.who(team.grace)],
    ]
    # Someone mentioned and deactivated since is still shown by name.
    off = await team.root.http.patch(
        f"/api/people/{team.grace.id}", json={"active": False}, headers=team.root.changes()
    )
    assert off.status_code == 200, off.text
    again = (await team.ada.http.get(base)).json()
    assert again["comments"][1]["mentions"] == [
        {"person_id": team.grace.id, "name": "Grace Hopper"}
    ]
    plain = await comment(team, team.ada, "No mention, and <@ not one> either.")
    assert plain["comments"][0]["mentions"] == []


async def test_mentions_refused_name_the_problem(team: Team):
    cases = [
        (
            f"<@{team.edsger.id}>",
            "Edsger Dijkstra cannot read this document: share it with them first",
        ),
        (
            "<@0123456789abcdef01234567>",
            "there is nobody to mention with the id '0123456789abcdef01234567'",
        ),
        (" ".join(f"<@p{n}>" for n in range(21)), "a comment mentions at most 20 people, not 21"),
    ]
    for body, detail in cases:
        refused = await comment(team, team.grace, body, expect=422)
        assert refused["detail"].startswith("body: ") and detail in refused["detail"], refused
    twenty = await comment(team, team.grace, " ".join([f"<@{team.ada.id}>"] * 25))
    assert len(twenty["comments"][0]["mentions"]) == 1
    await team.root.http.patch(
        f"/api/people/{team.edsger.id}", json={"active": False}, headers=team.root.changes()
    )
    await team.ada.http.put(
        f"/api/rooms/{team.room}/organisation", json={"role": "viewer"}, headers=team.ada.changes()
    )
    gone = await comment(team, team.grace, f"<@{team.edsger.id}>", expect=422)
    assert "Edsger Dijkstra cannot be mentioned: their account is deactivated" in gone["detail"]
    threads = (await team.ada.http.get(f"/api/rooms/{team.room}/threads")).json()["items"]
    assert len(threads) == 1  # only the one that passed


async def test_an_edit_keeps_mentions_of_people_who_lost_access(team: Team):
    thread = await comment(team, team.ada, f"<@{team.grace.id}> please check")
    first = thread["comments"][0]["id"]
    url = f"/api/rooms/{team.room}/threads/{thread['id']}/comments/{first}"
    unshared = await team.ada.http.delete(
        f"/api/rooms/{team.room}/access/{team.grace.id}", headers=team.ada.changes()
    )
    assert unshared.status_code == 200, unshared.text
    kept = await team.ada.http.patch(
        url, json={"body": f"<@{team.grace.id}> please check again"}, headers=team.ada.changes()
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["mentions"] == [team.who(team.grace)]
    added = await team.ada.http.patch(
        url,
        json={"body": f"<@{team.grace.id}> and <@{team.edsger.id}>"},
        headers=team.ada.changes(),
    )
    assert added.status_code == 422 and "Edsger Dijkstra cannot read" in added.json()["detail"]


async def test_development_mode_refuses_a_mention_as_an_unknown_person(
    make_server: ServerFactory, database_url: str
):
    server = make_server(database_url)
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/doc")).status_code == 201
        assert (await http.patch("/doc/text", json={"text": TEXT})).status_code == 200
        assert (await http.get("/doc/people")).json() == {"items": []}
        body = {"passage": {"index": 0, "length": 7}, "body": "<@abc> look"}
        refused = await http.post("/doc/threads", json=body)
        assert refused.status_code == 422
        assert "there is nobody to mention with the id 'abc'" in refused.json()["detail"]


async def test_the_mentioned_webhook_goes_with_the_comment(
    make_server: ServerFactory, database_url: str
):
    async with receiving(Receiver()) as receiver:
        server = webhook_server(make_server, database_url, receiver, COLLAB_SECRET=SECRET)
        await server.start()
        team = await _team(server, database_url)
        try:
            await _mentioned_events(team, receiver)
        finally:
            await _close(team)


async def _mentioned_events(team: Team, receiver: Receiver) -> None:
    ada, grace = team.ada, team.grace
    thread = await comment(team, grace, f"<@{ada.id}> <@{team.root.id}> is this right?")
    base = f"/api/rooms/{team.room}/threads/{thread['id']}"
    # Refused: no event at all.
    await comment(team, grace, f"<@{team.edsger.id}>", expect=422)
    reply = await ada.http.post(f"{base}/comments", json={"body": "Yes."}, headers=ada.changes())
    reply_id = reply.json()["id"]
    await ada.http.post(
        f"/api/rooms/{team.room}/access",
        json={"email": "edsger@example.com", "role": "viewer"},
        headers=ada.changes(),
    )
    edited = await ada.http.patch(
        f"{base}/comments/{reply_id}",
        json={"body": f"Yes <@{grace.id}>, ask <@{team.edsger.id}>."},
        headers=ada.changes(),
    )
    assert edited.status_code == 200, edited.text
    # Mentioning the same people again, by another edit: nobody new, no comment.mentioned.
    again = await ada.http.patch(
        f"{base}/comments/{reply_id}",
        json={"body": f"<@{team.edsger.id}> <@{grace.id}>: yes."},
        headers=ada.changes(),
    )
    assert again.status_code == 200, again.text
    # Last, an event that must come after all of the above (a room's events arrive in order).
    resolved = await ada.http.post(f"{base}/resolve", headers=ada.changes())
    assert resolved.status_code == 200, resolved.text
    kinds = [
        "comment.created",
        "comment.mentioned",
        "comment.created",
        "comment.edited",
        "comment.mentioned",
        "comment.edited",
        "comment.resolved",
    ]
    await receiver.wait(lambda: any(r.event == "comment.resolved" for r in receiver.delivered()))
    sent = [r for r in receiver.delivered() if r.event.startswith("comment.")]
    assert [r.event for r in sent] == kinds
    assert all(verified(r) for r in sent)
    made, edit = sent[1].json, sent[4].json
    assert made["room"] == team.room and made["thread"] == thread["id"]
    assert made["action"] == "created" and made["by"] == "Grace Hopper"
    assert made["by_person_id"] == grace.id
    assert made["comment"]["id"] == thread["comments"][0]["id"]
    assert made["comment"]["author"] == "Grace Hopper"
    assert made["comment"]["author_person_id"] == grace.id
    assert made["comment"]["body"] == f"<@{ada.id}> <@{team.root.id}> is this right?"
    assert made["mentioned"] == [
        {"person_id": ada.id, "name": "Ada Lovelace", "email": "ada@example.com"},
        {"person_id": team.root.id, "name": "Root Admin", "email": "root@example.com"},
    ]
    assert edit["action"] == "edited" and edit["comment"]["id"] == reply_id
    assert edit["comment"]["edited_at"] and edit["by"] == "Ada Lovelace"
    # Grace was new to this comment too (its first text mentioned nobody); both are told.
    assert [m["person_id"] for m in edit["mentioned"]] == [grace.id, team.edsger.id]
    assert len({r.json["id"] for r in sent}) == len(sent)
