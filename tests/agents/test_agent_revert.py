"""Reverting an agent session: what the session wrote goes and what it deleted comes back,
while the edits a person made meanwhile stay."""

from __future__ import annotations

import httpx
from pycrdt import XmlElement, XmlFragment, XmlText

from tests.agents.test_agent_tokens import _agent_token, _team
from tests.conftest import ServerFactory
from tests.people.accounts import SECRET, add_person, sign_in
from tests.people.test_sharing import editor_of
from tests.yclient import YClient


async def test_reverting_a_session_keeps_what_a_person_typed_meanwhile(
    make_server: ServerFactory, database_url: str
):
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada_id = (await add_person(database_url, "ada@example.com", "Ada")).id
    await add_person(database_url, "grace@example.com", "Grace")
    await _team(server, "editor")
    token, session = _agent_token(ada_id, "Ada")
    ada = await sign_in(server, "ada@example.com")
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
    async with httpx.AsyncClient(base_url=server.http_url, headers=agent) as http:
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
