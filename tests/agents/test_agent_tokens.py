"""Agents as named participants: an agent's token acts for a person, never beyond what that
person holds on the document now, and its edits are credited "AGENT (for PERSON)" and recorded
under its agent session."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from collab.auth import Authenticator, issue_agent_token
from collab.cli import main
from collab.store.models import UpdateRow
from tests.conftest import ServerFactory
from tests.people.accounts import SECRET, add_person, sign_in, with_store
from tests.server import ServerProcess
from tests.yclient import YClient


def _agent_token(person: str, name: str, room: str = "q3-plan") -> tuple[str, str]:
    return issue_agent_token(
        SECRET,
        agent="Scribe",
        person=person,
        person_name=name,
        grants={room: "editor"},
        ttl_seconds=600,
    )


async def _team(server: ServerProcess, grace_role: str) -> None:
    ada = await sign_in(server, "ada@example.com")
    made = await ada.http.post("/api/rooms", json={"title": "Q3 plan"}, headers=ada.changes())
    assert made.status_code in (200, 201), made.text
    share = {"email": "grace@example.com", "role": grace_role}
    answer = await ada.http.post("/api/rooms/q3-plan/access", json=share, headers=ada.changes())
    assert answer.status_code == 200, answer.text
    await ada.close()


async def test_an_agent_writes_as_itself_for_its_person_and_is_credited(
    make_server: ServerFactory, database_url: str
):
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada_id = (await add_person(database_url, "ada@example.com", "Ada")).id
    await add_person(database_url, "grace@example.com", "Grace")
    await _team(server, "viewer")
    token, session = _agent_token(ada_id, "Ada")
    async with YClient(server.ws_url, "q3-plan", token=token, ack=True) as agent:
        await agent.synced.wait()
        agent.append("Drafted by the agent. ")
        await agent.wait_for(lambda: agent.acked == agent.sent_updates == 2)
    ada = await sign_in(server, "ada@example.com")
    saved = await ada.http.post(
        "/api/rooms/q3-plan/versions", json={"label": "after"}, headers=ada.changes()
    )
    assert saved.status_code in (200, 201), saved.text
    versions = (await ada.http.get("/api/rooms/q3-plan/versions")).json()["items"]
    assert "Scribe (for Ada)" in versions[0]["authors"]
    await ada.close()
    store = await with_store(database_url)
    try:
        async with store.engine.connect() as conn:
            rows = (await conn.execute(select(UpdateRow.author, UpdateRow.agent_session))).all()
    finally:
        await store.close()
    assert ("Scribe (for Ada)", session) in [tuple(r) for r in rows]


async def test_an_agent_holds_no_more_than_its_person(make_server: ServerFactory, sqlite_url: str):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    grace_id = (await add_person(sqlite_url, "grace@example.com", "Grace")).id
    await _team(server, "viewer")
    token, _ = _agent_token(grace_id, "Grace")  # an editor's token, for a viewer
    async with YClient(server.ws_url, "q3-plan", token=token) as agent:
        await agent.synced.wait()
        agent.append("not allowed")
        assert (await agent.wait_closed())[0] == 4403


async def test_an_agent_loses_access_with_its_person(make_server: ServerFactory, sqlite_url: str):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    grace_id = (await add_person(sqlite_url, "grace@example.com", "Grace")).id
    await _team(server, "editor")
    token, _ = _agent_token(grace_id, "Grace")
    ada = await sign_in(server, "ada@example.com")
    async with YClient(server.ws_url, "q3-plan", token=token) as agent:
        await agent.synced.wait()
        removed = await ada.http.delete(
            f"/api/rooms/q3-plan/access/{grace_id}", headers=ada.changes()
        )
        assert removed.status_code == 200, removed.text
        assert (await agent.wait_closed())[0] == 4403
    await ada.close()
    refused = await YClient(server.ws_url, "q3-plan", token=token).__aenter__()
    assert (await refused.wait_closed())[0] == 4403
    await refused.close()


def test_the_cli_mints_an_agent_token_for_a_person_by_email(tmp_path, monkeypatch, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'collab.db'}"
    monkeypatch.setenv("COLLAB_SECRET", SECRET)
    monkeypatch.setenv("COLLAB_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    asyncio.run(add_person(url, "ada@example.com", "Ada"))
    capsys.readouterr()
    args = ["token", "--agent", "Scribe", "--for", "ada@example.com", "--room", "q3-plan"]
    assert main(args) == 0
    printed = capsys.readouterr()
    assert "agent session" in printed.err
    identity = Authenticator(SECRET).identify(printed.out.strip())
    assert identity.display == "Scribe (for Ada)" and identity.agent_session
    assert main([*args[:4], "nobody@example.com", *args[5:]]) == 1


async def test_a_person_signed_in_makes_a_token_for_their_agent(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    await add_person(sqlite_url, "grace@example.com", "Grace")
    await _team(server, "editor")
    ada = await sign_in(server, "ada@example.com")
    wanted = {"agent": "Scribe", "rooms": ["q3-plan"], "role": "editor", "ttl_seconds": 600}
    made = await ada.http.post("/api/agent-tokens", json=wanted, headers=ada.changes())
    assert made.status_code == 201, made.text
    minted = made.json()
    assert minted["agent"] == "Scribe" and minted["expires_in"] == 600
    identity = Authenticator(SECRET).identify(minted["token"])
    assert identity.display == "Scribe (for Ada)"
    assert identity.agent_session == minted["session"]
    agent = {"Authorization": f"Bearer {minted['token']}"}
    again = await ada.http.post("/api/agent-tokens", json=wanted, headers=agent)
    assert again.status_code == 403  # an agent makes no tokens
    await ada.close()
