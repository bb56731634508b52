"""The editor page's details in real Chromium pages against a real collab server (issue 25):
the caret never hides under the sticky header or toolbar, typing after a link is not part of
it and Ctrl+click opens it, people in a room get distinct colours, initials are letters,
printing shows the document alone, and the phone header keeps the title readable offline
and for a viewer
(scenarios in `page_details_e2e.mjs`). Screenshots go to test-output/browser/page-details/."""

from pathlib import Path
from typing import Any

import pytest

from collab.auth import issue_token
from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

SCRIPT = Path(__file__).with_name("page_details_e2e.mjs")

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


async def test_plain_caret_stays_below_the_header(collab_server: Any) -> None:
    await run_scenario(collab_server, "caret-clear-text", script=SCRIPT)


async def test_rich_caret_stays_below_the_header_and_toolbar(collab_server: Any) -> None:
    await run_scenario(collab_server, "caret-clear-rich", script=SCRIPT)


async def test_typing_after_a_link_is_not_linked_and_ctrl_click_opens_it(
    collab_server: Any,
) -> None:
    await run_scenario(collab_server, "rich-links", script=SCRIPT)


async def test_plain_text_addresses_open_with_ctrl_click(collab_server: Any) -> None:
    await run_scenario(collab_server, "text-links", script=SCRIPT)


async def test_people_in_a_room_get_distinct_colours_and_letter_initials(
    collab_server: Any,
) -> None:
    await run_scenario(collab_server, "room-colours", script=SCRIPT)


async def test_printing_shows_the_document_alone(collab_server: Any) -> None:
    await run_scenario(collab_server, "print", script=SCRIPT)


SECRET = "test-secret-for-the-browser-tests-0123456789"


async def test_phone_header_keeps_the_title_offline_and_for_a_viewer(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    tokens = {
        role: issue_token(
            SECRET,
            user=f"u-{role}",
            name=role.title(),
            grants={"Q3-planning-and-budget-review": role},
            ttl_seconds=3600,
        )
        for role in ("editor", "viewer")
    }
    await run_scenario(server, "phone-header", tokens, script=SCRIPT)


async def test_editor_screenshots_pass_axe(collab_server: Any) -> None:
    await run_scenario(collab_server, "shots", script=SCRIPT)
