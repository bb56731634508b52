"""The suggest_edit tool: an agent whose token only lets it comment suggests edits by passage
(and an insertion by index), cannot edit, and the document changes only once an editor accepts,
credited to the agent's identity; over both transports, with the SDK's own client."""

from __future__ import annotations

import pytest

from collab.client import CollabClient
from tests.mcp.conftest import TEXT, call, tool_error
from tests.mcp.test_tools import TRANSPORTS
from tests.server import ServerProcess


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_commenter_agent_suggests_and_an_editor_accepts(
    secured: ServerProcess, rest: CollabClient, transport: str
):
    async with TRANSPORTS[transport](secured, "commenter") as agent:
        refused = await tool_error(agent, "edit_document", room="plan", new_text="Mine now")
        assert "403" in refused
        made = await call(
            agent,
            "suggest_edit",
            room="plan",
            passage="late",
            replacement="on time",
            reason="We caught up.",
        )
        assert made["kind"] == "replace" and made["quote"] == "late"
        assert made["index"] == TEXT.index("late")
        gone = await call(agent, "suggest_edit", room="plan", passage="world", replacement="")
        assert gone["kind"] == "delete"
        insert = await call(
            agent, "suggest_edit", room="plan", passage="", replacement="Well, ", index=0
        )
        assert insert == {
            "thread": insert["thread"],
            "kind": "insert",
            "quote": "Well, ",
            "index": 0,
        }
        missing = await tool_error(agent, "suggest_edit", room="plan", passage="", replacement="x")
        assert "index" in missing
        absent = await tool_error(
            agent, "suggest_edit", room="plan", passage="nowhere", replacement="x"
        )
        assert "422" in absent and "nowhere" in absent
        assert await rest.snapshot_text("plan") == TEXT
    shown = await rest.suggestions("plan")
    assert [t.id for t in shown] == [insert["thread"], gone["thread"], made["thread"]]
    assert shown[2].comments[0].body == "We caught up."
    for thread in (made["thread"], gone["thread"], insert["thread"]):
        accepted = await rest.accept_suggestion("plan", thread)
        assert accepted.suggestion is not None and accepted.suggestion.status == "accepted"
    assert await rest.snapshot_text("plan") == "Well, Hello . The plan is on time."
    runs = (await rest.blame("plan")).runs
    assert ("on time", "commenter") in [(run.text, run.author) for run in runs]
