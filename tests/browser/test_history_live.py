"""Live history in real Chromium pages against a real collab server: a name picked at the prompt
credits later edits without reconnecting; versions and restores reach every open History panel
at once with a notice; undo after a restore is safe; any two versions compare, in time order; a
version opens in full, read-only (a task item on its box's line); the preview fits a phone."""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

SCRIPT = Path(__file__).with_name("history_e2e.mjs")

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


async def test_history_is_live_credits_names_and_survives_undo(collab_server: Any) -> None:
    await run_scenario(collab_server, "history-live", script=SCRIPT)


async def test_any_two_versions_compare_and_a_version_opens_in_full(collab_server: Any) -> None:
    await run_scenario(collab_server, "history-compare", script=SCRIPT)


async def test_a_version_preview_fits_a_phone(collab_server: Any) -> None:
    await run_scenario(collab_server, "history-phone", script=SCRIPT)
