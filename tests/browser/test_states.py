"""Every state of the editor page and the other pages in real Chromium against a real server:
only what belongs to each state is on screen, with a way forward; axe-core finds no serious or
critical violation at 1280 and 390 px, light and dark (scenarios in `states_e2e.mjs`)."""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)

SCRIPT = Path(__file__).with_name("states_e2e.mjs")
SECRET = "test-secret-for-the-browser-states-0123456789"


async def test_states_on_an_open_server(collab_server: Any) -> None:
    await run_scenario(collab_server, "states-dev", script=SCRIPT)


async def test_rich_editor_search_and_history_panels(collab_server: Any) -> None:
    await run_scenario(collab_server, "states-panels", script=SCRIPT)


async def test_loading_delayed_and_restarting(collab_server: Any) -> None:
    await run_scenario(collab_server, "states-server", script=SCRIPT)


async def test_server_too_busy(make_server: Any, sqlite_url: str) -> None:
    server = make_server(sqlite_url, COLLAB_MAX_CONNECTIONS_PER_ROOM="1")
    await server.start()
    await run_scenario(server, "states-busy", script=SCRIPT)


async def test_access_states_on_a_server_with_a_secret(make_server: Any, sqlite_url: str) -> None:
    from collab.auth import issue_token

    def token(grants: dict[str, str], ttl: float = 3600) -> str:
        return issue_token(SECRET, user="u-ada", name="Ada", grants=grants, ttl_seconds=ttl)

    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    tokens = {
        "editor": token({"auth-notes": "editor"}),
        "viewer": token({"auth-notes": "viewer"}),
        "expired": token({"auth-notes": "editor"}, ttl=-60),
        "wrongRoom": token({"other-notes": "admin"}),
        "badSignature": token({"auth-notes": "admin"})[:-4] + "AAAA",
        "viewerMissing": token({"missing-notes": "viewer"}),
    }
    await run_scenario(server, "states-auth", tokens, script=SCRIPT)
