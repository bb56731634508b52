"""The tools beside the text in real Chromium pages against a real collab server (issue 25
items 3 and 4): find and replace in rich text (across marks, match case, Replace all undone in
one step, viewers find only), the outline (live, click to go, phones, Markdown headings in
plain text), word and character counts, the keyboard shortcuts help. Find and
the outline run on SQLite and PostgreSQL, the counts on PostgreSQL, the help on SQLite."""

from pathlib import Path
from typing import Any

import pytest

from collab.auth import issue_token
from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

SCRIPT = Path(__file__).with_name("doc_tools_e2e.mjs")
SECRET = "test-secret-for-the-browser-tests-0123456789"
FIND_ROOM = "find-room"

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


def _token(user: str, name: str, role: str) -> str:
    return issue_token(SECRET, user=user, name=name, grants={FIND_ROOM: role}, ttl_seconds=3600)


async def test_rich_find_and_replace_across_marks_with_one_undo_and_a_viewer_who_only_finds(
    make_server: Any, database_url: str
) -> None:
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    tokens = {
        "writer": _token("u-wren", "Wren", "editor"),
        "viewer": _token("u-vic", "Vic", "viewer"),
    }
    await run_scenario(server, "rich-find", tokens, script=SCRIPT)


async def test_the_outline_follows_another_page_and_a_click_goes_to_the_heading(
    any_server: Any,
) -> None:
    await run_scenario(any_server, "outline-live", script=SCRIPT)


async def test_word_and_character_counts_of_the_document_and_the_selection(
    pg_server: Any,
) -> None:
    await run_scenario(pg_server, "counts", script=SCRIPT)


async def test_the_shortcuts_help_opens_with_question_mark_and_ctrl_slash_and_closes_with_esc(
    collab_server: Any,
) -> None:
    await run_scenario(collab_server, "shortcuts", script=SCRIPT)
