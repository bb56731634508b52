"""Documents in the web app in real Chromium against a real server: create from a title, rename,
download, copy, search, sort, import and delete (scenarios in `documents_e2e.mjs`)."""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)

SCRIPT = Path(__file__).with_name("documents_e2e.mjs")
SECRET = "test-secret-for-the-browser-documents-0123456789"


async def test_create_rename_download_copy_search_import_delete(collab_server: Any) -> None:
    await run_scenario(collab_server, "documents-flow", script=SCRIPT)


async def test_the_menu_downloads_pdf_and_word(pg_server: Any) -> None:
    await run_scenario(pg_server, "documents-print", script=SCRIPT)


async def test_a_title_without_ascii_letters(collab_server: Any) -> None:
    await run_scenario(collab_server, "documents-unicode", script=SCRIPT)


async def test_failures_say_what_happened(collab_server: Any) -> None:
    await run_scenario(collab_server, "documents-failures", script=SCRIPT)


async def test_viewers_download_and_editors_rename(make_server: Any, sqlite_url: str) -> None:
    import httpx

    from collab.auth import issue_token

    def token(role: str) -> str:
        return issue_token(
            SECRET, user=f"u-{role}", name=role.title(), grants={"board-*": role}, ttl_seconds=3600
        )

    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    admin = {"Authorization": f"Bearer {token('admin')}"}
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url, headers=admin) as http:
        made = await http.post("/api/rooms", json={"title": "Board minutes", "kind": "rich"})
        assert made.status_code == 201 and made.json()["name"] == "board-minutes"
    tokens = {"viewer": token("viewer"), "editor": token("editor")}
    await run_scenario(server, "documents-roles", tokens, script=SCRIPT)
