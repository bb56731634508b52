"""Tables in the rich-text editor (issue 25, item 1; bug 3's table half) in real Chromium pages
against a real collab server: insert, Tab between cells, rows and columns, header row, the
shortcut, a second page converging, the server's Markdown/HTML/text, a restore bringing a table
back; paste of a spreadsheet's HTML and of tab-separated text; screenshots at 1280 and 390 px,
light and dark, with axe-core. The paste runs on PostgreSQL, the others on SQLite. Screenshots
go to test-output/browser/ (COLLAB_SHOTS for the looks)."""

from pathlib import Path
from typing import Any

import pytest

from collab.auth import issue_token
from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

SCRIPT = Path(__file__).with_name("tables_e2e.mjs")

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


async def test_tables_are_made_edited_shared_rendered_and_restored(collab_server: Any) -> None:
    await run_scenario(collab_server, "table-edit", script=SCRIPT)


async def test_pasted_spreadsheet_html_and_tab_separated_text_make_tables(
    pg_server: Any,
) -> None:
    await run_scenario(pg_server, "table-paste", script=SCRIPT)


async def test_a_table_and_its_tools_on_a_phone_and_a_desktop_light_and_dark(
    collab_server: Any,
) -> None:
    await run_scenario(collab_server, "table-looks", script=SCRIPT)


SECRET = "test-secret-for-the-browser-tests-0123456789"


async def test_a_viewer_on_a_phone_scrolls_a_wide_table_from_the_keyboard(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    tokens = {
        role: issue_token(
            SECRET,
            user=f"u-{role}",
            name=role.title(),
            grants={"table-view": role},
            ttl_seconds=3600,
        )
        for role in ("editor", "viewer")
    }
    await run_scenario(server, "table-viewer", tokens, script=SCRIPT)
