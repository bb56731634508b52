"""The Python client's agent calls, end to end: a person makes their agent's token, the agent
edits over REST and shows itself working, and the person reverts its session."""

from __future__ import annotations

from collab.client import CollabClient
from tests.agents.test_agent_tokens import _team
from tests.conftest import ServerFactory
from tests.people.accounts import PASSWORD, SECRET, add_person
from tests.test_webhooks import Receiver, receiving, verified, webhook_server


async def test_a_person_runs_an_agent_then_reverts_it_with_the_client(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    await add_person(sqlite_url, "grace@example.com", "Grace")
    await _team(server, "editor")
    async with CollabClient(server.http_url) as ada:
        await ada.sign_in("ada@example.com", PASSWORD)
        await ada.replace_text("q3-plan", "Ada's plan.")
        made = await ada.create_agent_token("Scribe", ["q3-plan"], ttl_seconds=600)
        async with CollabClient(server.http_url, token=made.token) as agent:
            shown = await agent.set_agent_presence("q3-plan", "working", selection=(0, 3))
            assert shown.name == "Scribe (for Ada)" and shown.status == "working"
            await agent.edit_text("q3-plan", [{"op": "insert", "index": 11, "text": " By bot."}])
            assert await agent.snapshot_text("q3-plan") == "Ada's plan. By bot."
            await agent.clear_agent_presence("q3-plan")
        assert await ada.revert_agent_session("q3-plan", made.session) is True
        assert await ada.snapshot_text("q3-plan") == "Ada's plan."


async def test_a_revert_is_announced_to_webhooks(make_server: ServerFactory, sqlite_url: str):
    async with receiving(Receiver()) as receiver:
        server = webhook_server(
            make_server, sqlite_url, receiver, COLLAB_SECRET=SECRET, COLLAB_WEBHOOK_DEBOUNCE="0.2"
        )
        await server.start()
        await add_person(sqlite_url, "ada@example.com", "Ada")
        await add_person(sqlite_url, "grace@example.com", "Grace")
        await _team(server, "editor")
        async with CollabClient(server.http_url) as ada:
            await ada.sign_in("ada@example.com", PASSWORD)
            made = await ada.create_agent_token("Scribe", ["q3-plan"], ttl_seconds=600)
            async with CollabClient(server.http_url, token=made.token) as agent:
                await agent.replace_text("q3-plan", "by the agent")
            assert await ada.revert_agent_session("q3-plan", made.session) is True
        await receiver.wait(lambda: bool(receiver.delivered("agent.session.reverted")))
        (event,) = receiver.delivered("agent.session.reverted")
        assert event.json["session"] == made.session and event.json["by"] == "Ada"
        assert event.json["room"] == "q3-plan" and verified(event)
