"""Markdown in the rich-text editor (issue 25, item 6) in real Chromium pages against a real
collab server: a .md file imported from the home page opens as a rich document with headings,
lists, a task list and a table, edits, and the server's Markdown of it is the file; Markdown
pasted as plain text becomes rich content (Ctrl+Shift+V keeps it raw; HTML of its own wins);
screenshots at 1280 and 390 px, light and dark, with axe-core (COLLAB_SHOTS for the looks)."""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

SCRIPT = Path(__file__).with_name("markdown_e2e.mjs")

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


async def test_a_markdown_file_imported_from_the_home_page_opens_as_rich_text(
    collab_server: Any,
) -> None:
    await run_scenario(collab_server, "markdown-import", script=SCRIPT)


async def test_markdown_pasted_as_plain_text_becomes_rich_content(pg_server: Any) -> None:
    await run_scenario(pg_server, "markdown-paste", script=SCRIPT)
