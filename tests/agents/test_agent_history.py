"""History names the agents among a version's authors, with the person each acts for (issue
26, item 3): from the log while it holds their edits, and from the record of agents' names the
server keeps once it no longer does."""

from __future__ import annotations

import asyncio

from collab.client import CollabClient
from collab.store.agent_sessions import AgentAuthor
from tests.agents.test_agent_tokens import _team
from tests.conftest import ServerFactory
from tests.people.accounts import PASSWORD, SECRET, add_person, sign_in, with_store


async def test_versions_name_the_agents_among_their_authors(
    make_server: ServerFactory, database_url: str
):
    # The room stays loaded between the two edits (a long unload grace): an automatic version
    # on unloading, falling between them, would hold Ada's edit, and the named version only
    # the agent's.
    server = make_server(database_url, COLLAB_SECRET=SECRET, COLLAB_UNLOAD_GRACE="60")
    await server.start()
    await add_person(database_url, "ada@example.com", "Ada")
    await add_person(database_url, "grace@example.com", "Grace")
    await _team(server, "editor")
    async with CollabClient(server.http_url) as person:
        await person.sign_in("ada@example.com", PASSWORD)
        await person.replace_text("q3-plan", "Ada's plan.")
        made = await person.create_agent_token("Scribe", ["q3-plan"], ttl_seconds=600)
        async with CollabClient(server.http_url, token=made.token) as agent:
            await agent.replace_text("q3-plan", "Ada's plan. Checked by Scribe.")
    ada = await sign_in(server, "ada@example.com")
    saved = await ada.http.post(
        "/api/rooms/q3-plan/versions", json={"label": "Reviewed"}, headers=ada.changes()
    )
    assert saved.status_code in (200, 201), saved.text
    version = (await ada.http.get("/api/rooms/q3-plan/versions")).json()["items"][0]
    assert set(version["authors"]) == {"Ada", "Scribe (for Ada)"}
    assert version["agents"] == [{"name": "Scribe (for Ada)", "agent": "Scribe", "person": "Ada"}]
    one = await ada.http.get(f"/api/rooms/q3-plan/versions/{version['id']}")
    assert one.json()["agents"] == version["agents"]
    await ada.close()
    # The server records the name as an agent's (in the background, after the edit's commit),
    # for when compaction folds the log rows that say so: asked of another room, only that
    # record can answer.
    store = await with_store(database_url)
    try:
        async with asyncio.timeout(10):
            while not (found := await store.agent_sessions.agent_authors("other", ["Ada", NAME])):
                await asyncio.sleep(0.05)
    finally:
        await store.close()
    assert found == {NAME: AgentAuthor(NAME, "Scribe", "Ada")}


NAME = "Scribe (for Ada)"
