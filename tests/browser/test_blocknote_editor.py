"""A BlockNote editor (npm @blocknote/core, mounted without React) in real Chromium pages on a
real collab server, through y-websocket on /ws/{room} (issue 24, item 3): two pages typing
converge, each shows the other's cursor with their name, the snapshot's text and Markdown show
what was typed, and a version restored comes back into both editors. The same scenario through
HocuspocusProvider: test_hocuspocus_editors.py. The page is test-only (blocknote_e2e.mjs);
screenshots go to test-output/browser/."""

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

SCRIPT = Path(__file__).with_name("blocknote_e2e.mjs")
BLOCKNOTE = Path(__file__).parents[1] / "interop" / "node_modules" / "@blocknote" / "core"

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


@pytest.fixture(autouse=True)
def _blocknote_installed() -> None:
    if BLOCKNOTE.is_dir():
        return
    reason = "BlockNote is not installed: run `npm ci` in tests/interop/"
    if os.environ.get("COLLAB_REQUIRE_NODE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


async def test_two_blocknote_editors_converge_render_and_restore(collab_server: Any) -> None:
    await run_scenario(collab_server, "blocknote-two-pages", script=SCRIPT)
