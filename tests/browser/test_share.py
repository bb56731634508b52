"""The Share dialog in real Chromium pages against a real collab server with a secret."""

from pathlib import Path
from typing import Any

import pytest

from collab.auth import issue_token
from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

SCRIPT = Path(__file__).with_name("share_e2e.mjs")
SECRET = "test-secret-for-the-browser-tests-0123456789"

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


async def test_an_admin_shares_a_viewer_link_and_revokes_it(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    admin = issue_token(
        SECRET, user="u-ada", name="Ada", grants={"share-room": "admin"}, ttl_seconds=3600
    )
    await run_scenario(server, "share-link", {"admin": admin}, script=SCRIPT)
