"""People in real Chromium pages against a real server with a secret: signing in, a person's
home page and new documents, sharing with a named teammate, a link visitor's name, the People
page (scenarios in `people_e2e.mjs`). Accounts are made with the real CLI,
`collab users add EMAIL --name NAME [--admin]`, the password on its standard input."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario
from tests.launcher import run_collab_text

PASSWORD = "correct horse battery"

SCRIPT = Path(__file__).with_name("people_e2e.mjs")
SECRET = "test-secret-for-the-browser-people-0123456789"

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 60)

ADA = {"email": "ada@example.org", "name": "Ada Lovelace", "admin": True}
GRACE = {"email": "grace@example.org", "name": "Grace Hopper", "admin": False}
EDSGER = {"email": "edsger@example.org", "name": "Edsger Dijkstra", "admin": False}


async def _server(make_server: Any, sqlite_url: str, *people: dict[str, Any]) -> Any:
    """A server with a secret, and these people's accounts (all with PASSWORD)."""
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    for person in people:
        admin = ["--admin"] if person["admin"] else []
        args = ["users", "add", person["email"], "--name", person["name"], *admin]
        done = run_collab_text([*args, "--database-url", sqlite_url], input=PASSWORD + "\n")
        assert done.returncode == 0, done.stdout + done.stderr
    return server


def _people(*people: dict[str, Any]) -> dict[str, str]:
    """What the script needs to know of the accounts (COLLAB_E2E_TOKENS)."""
    return {"people": json.dumps([{**p, "password": PASSWORD} for p in people])}


async def test_sign_in_and_a_new_document(make_server: Any, sqlite_url: str) -> None:
    server = await _server(make_server, sqlite_url, ADA, GRACE)
    await run_scenario(server, "sign-in", _people(ADA, GRACE), script=SCRIPT)


async def test_sharing_with_a_teammate(make_server: Any, sqlite_url: str) -> None:
    server = await _server(make_server, sqlite_url, ADA, GRACE, EDSGER)
    await run_scenario(server, "share-person", _people(ADA, GRACE, EDSGER), script=SCRIPT)


async def test_a_link_visitors_name_in_the_owners_presence(
    make_server: Any, sqlite_url: str
) -> None:
    server = await _server(make_server, sqlite_url, ADA)
    await run_scenario(server, "link-visitor", _people(ADA), script=SCRIPT)


async def test_the_people_page_manages_people(make_server: Any, sqlite_url: str) -> None:
    server = await _server(make_server, sqlite_url, ADA, GRACE, EDSGER)  # Edsger never signs in
    await run_scenario(server, "people-page", _people(ADA, GRACE, EDSGER), script=SCRIPT)


async def test_the_sign_in_page_offers_the_organisations_provider(
    make_server: Any, sqlite_url: str
) -> None:
    server = make_server(
        sqlite_url,
        COLLAB_SECRET=SECRET,
        COLLAB_OIDC_ISSUER="http://127.0.0.1:9/realms/staff",
        COLLAB_OIDC_CLIENT_ID="collab",
        COLLAB_OIDC_CLIENT_SECRET="not-used-by-this-test",
        COLLAB_OIDC_PROVIDER_NAME="Keycloak",
    )
    await server.start()
    await run_scenario(server, "sign-in-provider", _people(), script=SCRIPT)
