"""The Python client's agent calls, end to end: a person makes their agent's token, the agent
edits over REST and shows itself working, and the person reverts its session."""

from __future__ import annotations

import os
import sys
from typing import Any

from mcp import ClientSession, StdioServerParameters, stdio_client

from collab.client import CollabClient
from tests.agents.test_agent_tokens import _team
from tests.conftest import ServerFactory
from tests.people.accounts import PASSWORD, SECRET, add_person
from tests.server import ServerProcess
from tests.test_webhooks import Receiver, receiving, verified, webhook_server


async def _ada_and_grace(server: ServerProcess, database_url: str) -> None:
    """Ada and Grace, people of the server, the team of "q3-plan" (Ada its owner, Grace an
    editor)."""
    await add_person(database_url, "ada@example.com", "Ada")
    await add_person(database_url, "grace@example.com", "Grace")
    await _team(server, "editor")


async def test_a_person_runs_an_agent_then_reverts_it_with_the_client(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await _ada_and_grace(server, sqlite_url)
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


async def test_reverting_an_agent_session_undoes_its_accepted_suggestions(
    make_server: ServerFactory, database_url: str
):
    """An agent's suggestion, once a person accepts it, is the agent session's edit (credited
    to the agent): reverting the session takes it out with the agent's direct edits, and the
    person's own typing since stays."""
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    await _ada_and_grace(server, database_url)
    async with CollabClient(server.http_url) as ada:
        await ada.sign_in("ada@example.com", PASSWORD)
        await ada.replace_text("q3-plan", "Plan.")
        made = await ada.create_agent_token("Scribe", ["q3-plan"], ttl_seconds=600)
        async with CollabClient(server.http_url, token=made.token) as agent:
            thread = await agent.suggest_insert("q3-plan", 5, " Agent idea.")
            await agent.edit_text("q3-plan", [{"op": "insert", "index": 0, "text": "Bot: "}])
        accepted = await ada.accept_suggestion("q3-plan", thread.id)
        assert accepted.suggestion is not None and accepted.suggestion.status == "accepted"
        assert await ada.snapshot_text("q3-plan") == "Bot: Plan. Agent idea."
        await ada.edit_text("q3-plan", [{"op": "insert", "index": 22, "text": " Ada's end."}])
        blamed = await ada.blame("q3-plan")
        assert {run.text: run.author for run in blamed.runs}[" Agent idea."] == "Scribe (for Ada)"
        assert await ada.revert_agent_session("q3-plan", made.session) is True
        assert await ada.snapshot_text("q3-plan") == "Plan. Ada's end."


async def test_a_revert_is_announced_to_webhooks(make_server: ServerFactory, sqlite_url: str):
    async with receiving(Receiver()) as receiver:
        server = webhook_server(
            make_server, sqlite_url, receiver, COLLAB_SECRET=SECRET, COLLAB_WEBHOOK_DEBOUNCE="0.2"
        )
        await server.start()
        await _ada_and_grace(server, sqlite_url)
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


async def test_an_agent_session_starting_and_ending_is_announced(
    make_server: ServerFactory, sqlite_url: str
):
    """agent.session.started at the session's presence or first edit in a room (once, whichever
    comes first), agent.session.ended when its presence is cleared (also by an agent that only
    edited) or expires."""
    async with receiving(Receiver()) as receiver:
        server = webhook_server(
            make_server, sqlite_url, receiver, COLLAB_SECRET=SECRET, COLLAB_WEBHOOK_DEBOUNCE="0.2"
        )
        await server.start()
        await _ada_and_grace(server, sqlite_url)

        def sessions() -> list[tuple[str, Any]]:
            return [
                (e.event, e.json.get("via") or e.json.get("reason"))
                for e in receiver.delivered()
                if e.event.startswith("agent.session.")
            ]

        async with CollabClient(server.http_url) as ada:
            await ada.sign_in("ada@example.com", PASSWORD)
            made = await ada.create_agent_token("Scribe", ["q3-plan"], ttl_seconds=600)
            async with CollabClient(server.http_url, token=made.token) as agent:
                await agent.set_agent_presence("q3-plan", "working")
                await receiver.wait(lambda: len(sessions()) == 1)
                await agent.replace_text("q3-plan", "Drafted.")  # started already: no event
                await agent.set_agent_presence("q3-plan", "idle")
                await agent.clear_agent_presence("q3-plan")
                await receiver.wait(lambda: len(sessions()) == 2)
                await agent.replace_text("q3-plan", "Drafted again.")  # starts it again
                await receiver.wait(lambda: len(sessions()) == 3)
                await agent.set_agent_presence("q3-plan", "working", ttl_seconds=1)
                await receiver.wait(lambda: len(sessions()) == 4)  # the agent "crashed"
                # An agent that only edits ends its session by clearing the presence it never
                # showed; clearing again, with the session ended, announces nothing more.
                await agent.replace_text("q3-plan", "Edited only.")
                await receiver.wait(lambda: len(sessions()) == 5)
                await agent.clear_agent_presence("q3-plan")
                await receiver.wait(lambda: len(sessions()) == 6)
                await agent.clear_agent_presence("q3-plan")
                await agent.replace_text("q3-plan", "Edited once more.")
                await receiver.wait(lambda: len(sessions()) == 7)
        assert sessions() == [
            ("agent.session.started", "presence"),
            ("agent.session.ended", "cleared"),
            ("agent.session.started", "edit"),
            ("agent.session.ended", "expired"),
            ("agent.session.started", "edit"),
            ("agent.session.ended", "cleared"),
            ("agent.session.started", "edit"),
        ]
        started = next(e for e in receiver.delivered() if e.event == "agent.session.started")
        assert started.json["session"] == made.session and started.json["room"] == "q3-plan"
        assert started.json["agent"] == "Scribe (for Ada)" and verified(started)
        assert any(e.event == "document.changed" for e in receiver.delivered())


async def test_an_agent_that_stops_editing_ends_its_session_when_idle(
    make_server: ServerFactory, database_url: str
):
    """An agent that edits and then neither edits, sets its presence nor clears it (it
    crashed, or forgot) is ended "idle" by the process that delivers webhooks; its next edit
    starts the session again, which goes idle again."""
    async with receiving(Receiver()) as receiver:
        server = webhook_server(
            make_server,
            database_url,
            receiver,
            COLLAB_SECRET=SECRET,
            COLLAB_WEBHOOK_DEBOUNCE="0.2",
            COLLAB_WEBHOOK_SWEEP_INTERVAL="0.2",
            COLLAB_AGENT_IDLE_TIMEOUT="1",
        )
        await server.start()
        await _ada_and_grace(server, database_url)

        def sessions() -> list[tuple[str, Any, Any]]:
            return [
                (e.event, e.json.get("via") or e.json.get("reason"), e.json["agent"])
                for e in receiver.delivered()
                if e.event.startswith("agent.session.")
            ]

        async with CollabClient(server.http_url) as ada:
            await ada.sign_in("ada@example.com", PASSWORD)
            made = await ada.create_agent_token("Scribe", ["q3-plan"], ttl_seconds=600)
        async with CollabClient(server.http_url, token=made.token) as agent:
            await agent.replace_text("q3-plan", "Drafted.")
            await receiver.wait(lambda: len(sessions()) == 2)
            await agent.replace_text("q3-plan", "Drafted again.")
            await receiver.wait(lambda: len(sessions()) == 4)
        scribe = "Scribe (for Ada)"
        assert sessions() == [
            ("agent.session.started", "edit", scribe),
            ("agent.session.ended", "idle", scribe),
            ("agent.session.started", "edit", scribe),
            ("agent.session.ended", "idle", scribe),
        ]
        ended = [e for e in receiver.delivered() if e.event == "agent.session.ended"]
        assert all(e.json["session"] == made.session and verified(e) for e in ended)


async def test_an_mcp_agents_session_ends_when_it_disconnects(
    make_server: ServerFactory, sqlite_url: str
):
    """`collab mcp` with an agent's token: its first edit starts the agent's session in the
    document, and the agent closing the connection ends it."""
    async with receiving(Receiver()) as receiver:
        server = webhook_server(
            make_server, sqlite_url, receiver, COLLAB_SECRET=SECRET, COLLAB_WEBHOOK_DEBOUNCE="0.2"
        )
        await server.start()
        await _ada_and_grace(server, sqlite_url)
        async with CollabClient(server.http_url) as ada:
            await ada.sign_in("ada@example.com", PASSWORD)
            made = await ada.create_agent_token("Scribe", ["q3-plan"], ttl_seconds=600)

        def sessions() -> list[tuple[str, Any]]:
            return [
                (e.event, e.json.get("via") or e.json.get("reason"))
                for e in receiver.delivered()
                if e.event.startswith("agent.session.") and e.json["session"] == made.session
            ]

        argv = ["-m", "collab", "mcp", "--server-url", server.http_url, "--token", made.token]
        env = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else None
        params = StdioServerParameters(command=sys.executable, args=argv, env=env)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            edited = await session.call_tool(
                "edit_document", {"room": "q3-plan", "new_text": "Drafted over MCP."}
            )
            assert not edited.is_error, edited.content
            await receiver.wait(lambda: len(sessions()) == 1)
        await receiver.wait(lambda: len(sessions()) == 2)
        assert sessions() == [("agent.session.started", "edit"), ("agent.session.ended", "cleared")]
