"""The home page's Trash tab in real Chromium against a real server keeping deleted documents
30 days: delete from the document's page, see it in the Trash, delete another forever, restore
and open it again (scenario in `trash_e2e.mjs`)."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario
from tests.people.accounts import PASSWORD, add_person
from tests.people.accounts import SECRET as PEOPLE_SECRET

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)

SCRIPT = Path(__file__).with_name("trash_e2e.mjs")


async def test_delete_find_in_the_trash_delete_forever_restore_and_open(
    make_server: Any, database_url: str
) -> None:
    """On SQLite and PostgreSQL: the trash is kept in the database."""
    server = make_server(database_url, COLLAB_TRASH_DAYS="30")
    await server.start()
    await run_scenario(server, "trash-flow", script=SCRIPT)


async def test_a_person_finds_their_deleted_document_in_their_trash(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=PEOPLE_SECRET, COLLAB_TRASH_DAYS="30")
    await server.start()
    grace = {"email": "grace@example.org", "name": "Grace Hopper", "password": PASSWORD}
    await add_person(sqlite_url, grace["email"], grace["name"], password=PASSWORD)
    people = {"people": json.dumps([grace])}
    await run_scenario(server, "trash-person", people, script=SCRIPT)
