"""Images in rich text in real Chromium pages against a real collab server (issue 25): paste,
drop, a refusal said in words, alt text, a second page and a token-link viewer seeing them."""

from pathlib import Path
from typing import Any

import pytest

from collab.auth import issue_token
from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

SCRIPT = Path(__file__).with_name("images_e2e.mjs")
SECRET = "test-secret-for-the-browser-tests-0123456789"

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


async def test_a_pasted_and_a_dropped_image_upload_and_show_with_their_alt_text(
    collab_server: Any,
) -> None:
    await run_scenario(collab_server, "image-paste-drop-alt", script=SCRIPT)


async def test_a_viewer_by_token_link_sees_the_images(make_server: Any, database_url: str) -> None:
    """On SQLite and PostgreSQL: the images are stored in the database."""
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    tokens = {
        role: issue_token(
            SECRET,
            user=f"u-{role}",
            name=role.title(),
            grants={"token-pictures": role},
            ttl_seconds=3600,
        )
        for role in ("editor", "viewer")
    }
    await run_scenario(server, "image-token-viewer", tokens, script=SCRIPT)
