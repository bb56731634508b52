"""The rich-text editor (Tiptap on the room's XmlFragment) in real Chromium pages against a real
collab server: two people typing and formatting, lists, carets with names, offline edits,
reload and restart, paste, per-person undo, history and restore. Screenshots go to
test-output/browser/."""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

SCRIPT = Path(__file__).with_name("rich_e2e.mjs")

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


async def test_two_people_write_and_format_rich_text_at_once(collab_server: Any) -> None:
    await run_scenario(collab_server, "rich-concurrent", script=SCRIPT)


async def test_rich_offline_edits_reload_and_restart(collab_server: Any) -> None:
    await run_scenario(collab_server, "rich-offline", script=SCRIPT)


async def test_rich_paste_keeps_structure_and_undo_is_per_person(collab_server: Any) -> None:
    await run_scenario(collab_server, "rich-paste-undo", script=SCRIPT)


async def test_rich_history_preview_and_restore_with_pages_open(collab_server: Any) -> None:
    await run_scenario(collab_server, "rich-history", script=SCRIPT)


async def test_a_tiptap_document_opens_in_the_rich_editor(collab_server: Any) -> None:
    await run_scenario(collab_server, "rich-detect", script=SCRIPT)


async def test_an_agents_markdown_edit_leaves_a_persons_caret_in_place(collab_server: Any) -> None:
    await run_scenario(collab_server, "rich-agent-markdown", script=SCRIPT)
