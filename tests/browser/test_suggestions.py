"""Suggesting mode (issue 26) in real Chromium pages against a real collab server with a secret:
in plain text a commenter suggests an insertion (shown before the server answers) and a
deletion, the writer sees both marked and accepts one and rejects the other while a viewer
watches, then the commenter replaces a passage and withdraws it; in rich text an editor
switches to Suggesting by the keyboard and does the same, the writer rejecting with "Reject all
from", then Backspace withdraws an insertion and Delete makes a deletion that is rejected.
Every page, a reload and the REST API show the expected text; screenshots at 1280 and 390 px,
light and dark, each checked with axe-core."""

from pathlib import Path
from typing import Any

import pytest

from collab.auth import issue_token
from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

SCRIPT = Path(__file__).with_name("suggestions_e2e.mjs")
SECRET = "test-secret-for-the-browser-tests-0123456789"

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


def _tokens(room: str) -> dict[str, str]:
    people = {
        "writer": ("u-wren", "Wren", "editor"),
        "reviewer": ("u-rita", "Rita", "commenter"),
        "third": ("u-theo", "Theo", "editor"),
        "viewer": ("u-vic", "Vic", "viewer"),
    }
    return {
        who: issue_token(SECRET, user=user, name=name, grants={room: role}, ttl_seconds=3600)
        for who, (user, name, role) in people.items()
    }


async def test_plain_text_a_commenter_suggests_and_the_writer_accepts_and_rejects(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await run_scenario(server, "suggest-text", _tokens("suggest-room"), script=SCRIPT)


async def test_rich_text_an_editor_suggests_and_the_writer_accepts_and_rejects_all(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await run_scenario(server, "suggest-rich", _tokens("rich-suggest-room"), script=SCRIPT)


async def test_an_agent_suggests_over_mcp_and_a_person_accepts_it_on_an_open_page(
    make_server: Any, sqlite_url: str
) -> None:
    """An agent limited to suggesting (commenter) reads the document with the MCP SDK's own
    client over /mcp and suggests a change; Grace's open page shows it marked with the agent's
    name and she accepts it: the text changes, credited to the agent."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from collab.auth import issue_agent_token
    from collab.client import CollabClient
    from tests.agents.test_agent_tokens import _team
    from tests.people.accounts import SECRET as PEOPLE_SECRET
    from tests.people.accounts import add_person

    server = make_server(sqlite_url, COLLAB_SECRET=PEOPLE_SECRET)
    await server.start()
    ada = await add_person(sqlite_url, "ada@example.com", "Ada")
    await add_person(sqlite_url, "grace@example.com", "Grace")
    await _team(server, "editor")  # Ada's "q3-plan", shared with Grace as an editor
    grace = issue_token(
        PEOPLE_SECRET, user="u-grace", name="Grace", grants={"q3-plan": "editor"}, ttl_seconds=3600
    )
    agent, _ = issue_agent_token(
        PEOPLE_SECRET,
        agent="Scribe",
        person=ada.id,
        person_name="Ada",
        grants={"q3-plan": "commenter"},
        ttl_seconds=3600,
    )
    async with CollabClient(server.http_url, token=grace) as rest:
        await rest.replace_text("q3-plan", "The plan ships in March.")

    async def mcp_suggest() -> None:
        import httpx2

        headers = {"Authorization": f"Bearer {agent}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            streamable_http_client(f"{server.http_url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            read_back = await session.call_tool("read_document", {"room": "q3-plan"})
            assert not read_back.is_error and read_back.structured_content is not None
            assert "The plan ships in March." in str(read_back.structured_content)
            made = await session.call_tool(
                "suggest_edit", {"room": "q3-plan", "passage": "March", "replacement": "April"}
            )
            assert not made.is_error, made.content

    await run_scenario(
        server,
        "mcp-suggestion",
        {"writer": grace},
        script=SCRIPT,
        controls={"mcp-suggest": mcp_suggest},
    )
    async with CollabClient(server.http_url, token=grace) as rest:
        assert await rest.snapshot_text("q3-plan") == "The plan ships in April."
        runs = (await rest.blame("q3-plan")).runs
    assert [run.author for run in runs if run.text == "April"] == ["Scribe (for Ada)"]
