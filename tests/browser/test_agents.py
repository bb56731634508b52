"""Agents in the presence list, in a real Chromium page against a real collab server."""

from pathlib import Path
from typing import Any

import pytest

from collab.auth import issue_agent_token, issue_token
from tests.agents.test_agent_tokens import _team
from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario
from tests.people.accounts import SECRET, add_person, sign_in

SCRIPT = Path(__file__).with_name("agents_e2e.mjs")

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


async def test_an_agent_shows_in_the_presence_list_marked_as_an_agent(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada = await add_person(sqlite_url, "ada@example.com", "Ada")
    await add_person(sqlite_url, "grace@example.com", "Grace")
    await _team(server, "editor")
    person = issue_token(
        SECRET, user="u-grace", name="Grace", grants={"q3-plan": "editor"}, ttl_seconds=3600
    )
    agent, _ = issue_agent_token(
        SECRET,
        agent="Scribe",
        person=ada.id,
        person_name="Ada",
        grants={"q3-plan": "editor"},
        ttl_seconds=3600,
    )
    await run_scenario(server, "agent-presence", {"person": person, "agent": agent}, script=SCRIPT)


async def test_history_marks_an_agents_edits_with_its_name_and_person(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada = await add_person(sqlite_url, "ada@example.com", "Ada")
    await add_person(sqlite_url, "grace@example.com", "Grace")
    await _team(server, "editor")
    person = issue_token(
        SECRET, user="u-grace", name="Grace", grants={"q3-plan": "editor"}, ttl_seconds=3600
    )
    agent, _ = issue_agent_token(
        SECRET,
        agent="Scribe",
        person=ada.id,
        person_name="Ada",
        grants={"q3-plan": "editor"},
        ttl_seconds=3600,
    )
    await run_scenario(server, "agent-history", {"person": person, "agent": agent}, script=SCRIPT)


async def test_reverting_an_agent_in_rich_text_keeps_what_a_person_types(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada = await add_person(sqlite_url, "ada@example.com", "Ada")
    signed_in = await sign_in(server, "ada@example.com")
    made = await signed_in.http.post(
        "/api/rooms", json={"title": "Notes", "kind": "rich"}, headers=signed_in.changes()
    )
    assert made.status_code == 201, made.text
    written = await signed_in.http.patch(
        "/api/rooms/notes/content",
        json={"markdown": "# Plan\n\nShip in May.\n"},
        headers=signed_in.changes(),
    )
    assert written.status_code == 200, written.text
    await signed_in.close()
    person = issue_token(
        SECRET, user="u-grace", name="Grace", grants={"notes": "editor"}, ttl_seconds=3600
    )
    agent, session = issue_agent_token(
        SECRET,
        agent="Scribe",
        person=ada.id,
        person_name="Ada",
        grants={"notes": "editor"},
        ttl_seconds=3600,
    )
    tokens = {"person": person, "agent": agent, "session": session}
    await run_scenario(server, "agent-rich-revert", tokens, script=SCRIPT)


async def test_an_agents_selection_shows_as_its_caret_in_rich_text(
    make_server: Any, sqlite_url: str
) -> None:
    """Agent presence with a selection in a rich-text document: the page's Tiptap editor draws
    the agent's caret, named, where the selection ends, and follows it when it moves."""
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada = await add_person(sqlite_url, "ada@example.com", "Ada")
    await add_person(sqlite_url, "grace@example.com", "Grace")
    owner = await sign_in(server, "ada@example.com")
    made = await owner.http.post(
        "/api/rooms", json={"title": "Rich plan", "kind": "rich"}, headers=owner.changes()
    )
    assert made.status_code in (200, 201), made.text
    body = {"markdown": "Hello world\n\nSecond line\n"}
    edited = await owner.http.patch(
        "/api/rooms/rich-plan/content", json=body, headers=owner.changes()
    )
    assert edited.status_code == 200, edited.text
    await owner.close()
    person = issue_token(
        SECRET, user="u-grace", name="Grace", grants={"rich-plan": "viewer"}, ttl_seconds=3600
    )
    agent, _ = issue_agent_token(
        SECRET,
        agent="Scribe",
        person=ada.id,
        person_name="Ada",
        grants={"rich-plan": "editor"},
        ttl_seconds=3600,
    )
    await run_scenario(
        server, "agent-rich-cursor", {"person": person, "agent": agent}, script=SCRIPT
    )
