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
