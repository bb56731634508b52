"""Documents in the web app in real Chromium against a real server: create from a title, rename,
download, copy, search, sort, import and delete (scenarios in `documents_e2e.mjs`)."""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)

SCRIPT = Path(__file__).with_name("documents_e2e.mjs")


async def test_create_rename_download_copy_search_import_delete(collab_server: Any) -> None:
    await run_scenario(collab_server, "documents-flow", script=SCRIPT)


async def test_a_title_without_ascii_letters(collab_server: Any) -> None:
    await run_scenario(collab_server, "documents-unicode", script=SCRIPT)


async def test_failures_say_what_happened(collab_server: Any) -> None:
    await run_scenario(collab_server, "documents-failures", script=SCRIPT)
