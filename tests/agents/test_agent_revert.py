"""Reverting an agent session: what the session wrote goes and what it deleted comes back,
while the edits a person made meanwhile stay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pycrdt import XmlElement, XmlFragment, XmlText

from collab.store.agent_sessions import held_from
from collab.store.base import RevertHold
from tests.agents.test_agent_tokens import _agent_token, _team
from tests.conftest import ServerFactory
from tests.people.accounts import SECRET, SignedIn, add_person, sign_in
from tests.people.test_sharing import editor_of
from tests.server import ServerProcess
from tests.yclient import YClient


async def _ada_grace_and_scribe(
    server: ServerProcess, database_url: str
) -> tuple[SignedIn, str, str]:
    """Ada and Grace, "q3-plan" shared with Grace as an editor, and Ada's agent Scribe: Ada
    signed in, the agent's token and its session."""
    ada_id = (await add_person(database_url, "ada@example.com", "Ada")).id
    await add_person(database_url, "grace@example.com", "Grace")
    await _team(server, "editor")
    token, session = _agent_token(ada_id, "Ada")
    return await sign_in(server, "ada@example.com"), token, session


async def test_reverting_a_session_keeps_what_a_person_typed_meanwhile(
    make_server: ServerFactory, database_url: str
):
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada, token, session = await _ada_grace_and_scribe(server, database_url)
    async with editor_of(server, "q3-plan", ada, ack=True) as person:
        await person.synced.wait()
        person.append("Plan: ship in May.")
        await person.wait_for(lambda: person.acked == person.sent_updates == 2)
        async with YClient(server.ws_url, "q3-plan", token=token, ack=True) as agent:
            await agent.wait_text("Plan: ship in May.")
            with agent.doc.transaction():
                del agent.content[14:17]
                agent.content.insert(14, "June")
                agent.append(" Agent note.")
            await agent.wait_for(lambda: agent.acked == agent.sent_updates == 2)
        await person.wait_text("Plan: ship in June. Agent note.")
        person.append(" Ada.")  # she keeps typing after the agent
        listed = (await ada.http.get("/api/rooms/q3-plan/agent-sessions")).json()["items"]
        assert [(s["session"], s["agent"], s["reverted"], s["revertible"]) for s in listed] == [
            (session, "Scribe (for Ada)", False, True)
        ]
        assert listed[0]["edits"] >= 1 and listed[0]["first_at"] <= listed[0]["last_at"]
        reverted = await ada.http.post(
            f"/api/rooms/q3-plan/agent-sessions/{session}/revert", headers=ada.changes()
        )
        assert reverted.status_code == 200, reverted.text
        assert reverted.json() == {"session": session, "changed": True}
        await person.wait_text("Plan: ship in May. Ada.")
        again = await ada.http.post(
            f"/api/rooms/q3-plan/agent-sessions/{session}/revert", headers=ada.changes()
        )
        assert again.status_code == 409 and "reverted already" in again.json()["detail"]
        listed = (await ada.http.get("/api/rooms/q3-plan/agent-sessions")).json()["items"]
        assert [(s["reverted"], s["revertible"]) for s in listed] == [(True, False)]
        unknown = await ada.http.post(
            "/api/rooms/q3-plan/agent-sessions/nope/revert", headers=ada.changes()
        )
        assert unknown.status_code == 404
    await ada.close()


async def test_reverting_a_rich_text_session_keeps_what_a_person_typed_meanwhile(
    make_server: ServerFactory, database_url: str
):
    """The agent edits a rich document as Markdown (PATCH .../content); Ada types in the
    heading afterwards; the revert takes back the agent's words, mark and paragraph only."""
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada_id = (await add_person(database_url, "ada@example.com", "Ada")).id
    ada = await sign_in(server, "ada@example.com")
    made = await ada.http.post(
        "/api/rooms", json={"title": "Notes", "kind": "rich"}, headers=ada.changes()
    )
    assert made.status_code == 201, made.text
    room = made.json()["name"]
    written = await ada.http.patch(
        f"/api/rooms/{room}/content",
        json={"markdown": "# Plan\n\nShip in May.\n\nOwners: Ada.\n"},
        headers=ada.changes(),
    )
    assert written.status_code == 200, written.text
    token, session = _agent_token(ada_id, "Ada", room)
    agent = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url, headers=agent) as http:
        edited = await http.patch(
            f"/api/rooms/{room}/content",
            json={"markdown": "# Plan\n\nShip in June.\n\n**Owners**: Ada.\n\nAgent note.\n"},
        )
        assert edited.status_code == 200, edited.text
    async with editor_of(server, room, ada, ack=True) as person:
        await person.wait_for(lambda: _blocks(person) == 4)
        heading = _first_text(person, 0)
        heading.insert(len(heading), " (Q3)")  # she keeps typing after the agent
        await person.wait_for(lambda: person.acked == person.sent_updates)
        reverted = await ada.http.post(
            f"/api/rooms/{room}/agent-sessions/{session}/revert", headers=ada.changes()
        )
        assert reverted.status_code == 200, reverted.text
        assert reverted.json() == {"session": session, "changed": True}
        await person.wait_for(lambda: _blocks(person) == 3)
    content = (await ada.http.get(f"/api/rooms/{room}/content")).json()["markdown"]
    assert content == "# Plan (Q3)\n\nShip in May.\n\nOwners: Ada.\n"
    again = await ada.http.post(
        f"/api/rooms/{room}/agent-sessions/{session}/revert", headers=ada.changes()
    )
    assert again.status_code == 409 and "reverted already" in again.json()["detail"]
    await ada.close()


def _blocks(client: YClient) -> int:
    return len(client.doc.get("content", type=XmlFragment).children)


def _first_text(client: YClient, block: int) -> XmlText:
    element = list(client.doc.get("content", type=XmlFragment).children)[block]
    assert isinstance(element, XmlElement)
    text = next(iter(element.children))
    assert isinstance(text, XmlText)
    return text


@pytest.mark.parametrize("hours", ["24", "0"])
async def test_compaction_keeps_a_session_revertible_for_its_hours(
    make_server: ServerFactory, sqlite_url: str, hours: str
):
    """The log is compacted every 4 updates. Within COLLAB_AGENT_REVERT_HOURS of the agent's
    last edit compaction folds only what came before the agent's first, so the session can
    still be reverted after many more edits; with 0 hours it folds everything, and the revert
    finds no edits of the session left to undo (404, saying why)."""
    server = make_server(
        sqlite_url,
        COLLAB_SECRET=SECRET,
        COLLAB_COMPACT_MAX_UPDATES="4",
        COLLAB_AGENT_REVERT_HOURS=hours,
    )
    await server.start()
    ada, token, session = await _ada_grace_and_scribe(server, sqlite_url)
    async with editor_of(server, "q3-plan", ada, ack=True) as person:
        await person.synced.wait()
        person.append("Plan: ship in May.")
        await person.wait_for(lambda: person.acked == person.sent_updates)
        async with YClient(server.ws_url, "q3-plan", token=token, ack=True) as agent:
            await agent.wait_text("Plan: ship in May.")
            agent.append(" Agent note.")
            await agent.wait_for(lambda: agent.acked == agent.sent_updates == 2)
        for letter in " Ada was here.":  # one update each: compactions come and go
            person.append(letter)
            await person.wait_for(lambda: person.acked == person.sent_updates)
        line = "for agent sessions to be reverted" if hours != "0" else "room q3-plan: compacted"
        async with asyncio.timeout(10):
            while line not in server.log_text():
                await asyncio.sleep(0.05)
        reverted = await ada.http.post(
            f"/api/rooms/q3-plan/agent-sessions/{session}/revert", headers=ada.changes()
        )
        if hours == "0":
            assert reverted.status_code == 404, reverted.text
            assert "compacted" in reverted.json()["detail"]
            assert "for agent sessions" not in server.log_text()
        else:
            assert reverted.status_code == 200, reverted.text
            await person.wait_text("Plan: ship in May. Ada was here.")
    await ada.close()


def test_what_compaction_keeps_for_sessions_to_be_reverted():
    """From the first edit of each session edited within the window and not reverted; nothing
    when that would keep more rows than allowed."""
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    old, recent = now - timedelta(hours=30), now - timedelta(minutes=5)
    rows = [
        (1, None, old),
        (2, "s1", old),  # edited 30 hours ago: past the window
        (3, "s2", old),
        (4, None, recent),
        (5, "s2", recent),  # its last edit is recent: kept from its first (3)
        (6, "s3", recent),
        (7, "r:s3", recent),  # s3 was reverted
        (8, None, recent),
    ]
    hold = RevertHold(timedelta(hours=24), most_rows=6)
    assert held_from(rows, now, hold) == 3
    assert held_from(rows, now, RevertHold(timedelta(hours=24), most_rows=5)) is None
    assert held_from([r for r in rows if r[1] != "s2"], now, hold) is None
