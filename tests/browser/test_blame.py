"""Blame in real Chromium pages against a real collab server (issue 26 item 2): the Authors
toggle colours a document by who wrote it, plain text and rich text, with a legend, names and
times on hover, and follows another page's edits."""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

SCRIPT = Path(__file__).with_name("blame_e2e.mjs")

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


async def test_the_authors_toggle_colours_two_writers_and_follows_the_others_edits(
    collab_server: Any,
) -> None:
    await run_scenario(collab_server, "authors-toggle", script=SCRIPT)


async def test_the_authors_toggle_colours_rich_text_by_paragraph_writer(collab_server: Any) -> None:
    await run_scenario(collab_server, "authors-rich", script=SCRIPT)
