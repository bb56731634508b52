"""Stock editors on HocuspocusProvider (npm @hocuspocus/provider 4.x) in real Chromium pages on
a real collab server with a secret, through /hocuspocus with editor tokens (issue 24): a stock
Tiptap editor (Collaboration without `field`: the `default` fragment, and CollaborationCaret)
and BlockNote (its `document-store` fragment). Two pages typing at once converge, each shows the
other's caret with their name, the snapshot as text and Markdown is what was typed, and a version
restored comes back into both pages, which go on syncing. The pages are test-only
(tiptap_hocuspocus_e2e.mjs, blocknote_e2e.mjs); screenshots go to test-output/browser/."""

import os
from pathlib import Path
from typing import Any

import pytest

from collab.auth import issue_token
from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

HERE = Path(__file__).parent
INTEROP = HERE.parent / "interop" / "node_modules"
SECRET = "test-secret-for-the-hocuspocus-browser-tests-0123456789"

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


@pytest.fixture(autouse=True)
def _provider_installed() -> None:
    if (INTEROP / "hocuspocus-provider-4").is_dir() and (INTEROP / "@blocknote" / "core").is_dir():
        return
    reason = "@hocuspocus/provider 4.x or BlockNote is missing: run `npm ci` in tests/interop/"
    if os.environ.get("COLLAB_REQUIRE_NODE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _tokens(room: str) -> dict[str, str]:
    """Editor tokens for the two pages, an admin's for the REST calls (restoring is an admin's)."""

    def token(user: str, name: str, role: str) -> str:
        return issue_token(SECRET, user=user, name=name, grants={room: role}, ttl_seconds=3600)

    return {
        "Alice": token("u-alice", "Alice", "editor"),
        "Bob": token("u-bob", "Bob", "editor"),
        "Owner": token("u-olga", "Olga", "admin"),
    }


async def test_two_tiptap_pages_on_hocuspocus_converge_and_restore(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await run_scenario(
        server,
        "tiptap-hocuspocus-two-pages",
        _tokens("tiptap-hp-room"),
        script=HERE / "tiptap_hocuspocus_e2e.mjs",
    )


async def test_two_blocknote_pages_on_hocuspocus_converge_and_restore(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await run_scenario(
        server,
        "blocknote-hocuspocus-two-pages",
        _tokens("blocknote-hp-room"),
        script=HERE / "blocknote_e2e.mjs",
    )
