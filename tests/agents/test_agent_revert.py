"""Reverting an agent session: what the session wrote goes and what it deleted comes back,
while the edits a person made meanwhile stay."""

from __future__ import annotations

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
