"""An agent whose token is limited to commenting suggests edits but cannot make them: its
suggestions wait for a person, and an accepted one is credited to the agent."""

from __future__ import annotations

import httpx

from collab.auth import issue_agent_token
from tests.conftest import ServerFactory
from tests.people.accounts import SECRET, SignedIn, add_person, sign_in
from tests.server import ServerProcess

TEXT = "Revenue grew 12% in Q3."


async def _ada_and_her_agent(
    make_server: ServerFactory, database_url: str
) -> tuple[ServerProcess, SignedIn, str, dict[str, str]]:
    """A server; Ada signed in, owning "q3-plan" holding TEXT; the headers of her agent
    Scribe, limited to commenting there. (server, Ada, her person id, the agent's headers)."""
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada_id = (await add_person(database_url, "ada@example.com", "Ada")).id
    ada = await sign_in(server, "ada@example.com")
    made = await ada.http.post("/api/rooms", json={"title": "Q3 plan"}, headers=ada.changes())
    assert made.status_code in (200, 201), made.text
    wrote = await ada.http.patch(
        "/api/rooms/q3-plan/text", json={"text": TEXT}, headers=ada.changes()
    )
    assert wrote.status_code == 200, wrote.text
    agent_token, _ = issue_agent_token(
        SECRET,
        agent="Scribe",
        person=ada_id,
        person_name="Ada",
        grants={"q3-plan": "commenter"},
        ttl_seconds=600,
    )
    return server, ada, ada_id, {"Authorization": f"Bearer {agent_token}"}


async def test_a_commenter_agent_suggests_cannot_edit_and_is_credited_once_accepted(
    make_server: ServerFactory, database_url: str
):
    server, ada, _, agent = await _ada_and_her_agent(make_server, database_url)
    async with httpx.AsyncClient(
        timeout=30, base_url=f"{server.http_url}/api/rooms/q3-plan"
    ) as http:
        edit = await http.patch("/text", json={"text": "Mine."}, headers=agent)
        assert edit.status_code == 403, edit.text
        update = await http.post(
            "/updates",
            content=b"\x00\x00",
            headers={**agent, "Content-Type": "application/octet-stream"},
        )
        assert update.status_code == 403, update.text
        body = {"kind": "replace", "passage": {"text": "12%"}, "text": "14%", "body": "Per Q3."}
        suggested = await http.post("/suggestions", json=body, headers=agent)
        assert suggested.status_code == 201, suggested.text
        thread = suggested.json()
        assert thread["created_by"]["name"] == "Scribe (for Ada)"
        refused = await http.post(f"/suggestions/{thread['id']}/accept", headers=agent)
        assert refused.status_code == 403, refused.text
    accepted = await ada.http.post(
        f"/api/rooms/q3-plan/suggestions/{thread['id']}/accept", headers=ada.changes()
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["suggestion"]["decided_by"]["name"] == "Ada"
    now = await ada.http.get("/api/rooms/q3-plan/snapshot", params={"format": "text"})
    assert now.text == TEXT.replace("12%", "14%")
    blame = (await ada.http.get("/api/rooms/q3-plan/blame")).json()["runs"]
    assert ("14%", "Scribe (for Ada)") in [(run["text"], run["author"]) for run in blame]
    await ada.close()


async def test_accept_all_from_a_person_leaves_their_agents_suggestions(
    make_server: ServerFactory, sqlite_url: str
):
    """An agent acts for its person (the same person id), but "all from Ada" is Ada's own
    suggestions: her agent's are listed as its own author (`agent: true`) and decided apart."""
    server, ada, ada_id, agent = await _ada_and_her_agent(make_server, sqlite_url)
    base = "/api/rooms/q3-plan/suggestions"
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        by_agent = await http.post(
            base, json={"kind": "delete", "passage": {"text": " in Q3"}}, headers=agent
        )
        assert by_agent.status_code == 201, by_agent.text
    assert by_agent.json()["created_by"] == {
        "name": "Scribe (for Ada)",
        "person_id": ada_id,
        "yours": True,
        "agent": True,
    }
    by_ada = await ada.http.post(
        base,
        json={"kind": "replace", "passage": {"text": "12%"}, "text": "14%"},
        headers=ada.changes(),
    )
    assert by_ada.status_code == 201, by_ada.text
    assert by_ada.json()["created_by"]["agent"] is False
    accepted = await ada.http.post(
        f"{base}/accept-all", json={"author": ada_id}, headers=ada.changes()
    )
    assert accepted.json() == {"accepted": 1}
    left = (await ada.http.get(base)).json()["items"]
    assert [t["id"] for t in left] == [by_agent.json()["id"]]
    rejected = await ada.http.post(
        f"{base}/reject-all", json={"author": "Scribe (for Ada)"}, headers=ada.changes()
    )
    assert rejected.json() == {"rejected": 1}
    text = await ada.http.get("/api/rooms/q3-plan/snapshot", params={"format": "text"})
    assert text.text == "Revenue grew 14% in Q3."
    await ada.close()
