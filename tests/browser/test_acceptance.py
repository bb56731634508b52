"""The acceptance test of people and sharing, in real Chromium pages (`acceptance_e2e.mjs`): a
first person signs in through the organisation's OpenID Connect provider (oidc-provider-mock
in its own process, PKCE enforced: tests/auth/oidc_provider.py), creates "Q3 plan" and shares
it with a teammate as an editor; the teammate, a built-in account made with the real CLI
(`collab users add`), signs in with a password, finds it under "Shared with me" and edits
while the owner watches; the owner removes the teammate, whose page shows the access-removed
screen. On SQLite and PostgreSQL, and across two processes of a cluster (the owner on one,
the teammate on the other, and the provider sending the owner back to the other)."""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.oidc_provider import Provider
from tests.browser.scenarios import SCENARIO_TIMEOUT, run_scenario
from tests.conftest import ServerFactory
from tests.launcher import run_collab_text
from tests.server import ServerProcess

pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 60)

SCRIPT = Path(__file__).with_name("acceptance_e2e.mjs")
SECRET = "test-secret-for-the-acceptance-test-0123456789"
PROVIDER_NAME = "Staff ID"
PASSWORD = "correct horse battery"
TEAMMATE = {"email": "teammate@example.org", "name": "Tomás Teammate", "password": PASSWORD}


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """The organisation's provider; each test signs in a person of its own."""
    if importlib.util.find_spec("oidc_provider_mock") is None:
        pytest.skip("oidc-provider-mock (a test dependency: pip install -e '.[test]') is missing")
    running = Provider(tmp_path_factory.mktemp("oidc") / "provider.log")
    running.start()
    yield running
    running.stop()


async def _owner(provider: Provider) -> dict[str, str]:
    """A person the provider knows (a `sub` of this test's own: one provider serves them all)."""
    sub = f"olivia-{uuid.uuid4().hex[:8]}"
    owner = {"sub": sub, "email": f"{sub}@example.org", "name": "Olivia Owner"}
    await provider.add_user(sub, email=owner["email"], email_verified=True, name=owner["name"])
    return owner


def _settings(provider: Provider, **more: str) -> dict[str, str]:
    return {
        "COLLAB_SECRET": SECRET,
        "COLLAB_OIDC_ISSUER": provider.issuer,
        "COLLAB_OIDC_CLIENT_ID": "collab",
        "COLLAB_OIDC_CLIENT_SECRET": "collab-client-secret",
        "COLLAB_OIDC_PROVIDER_NAME": PROVIDER_NAME,
        **more,
    }


def _add_teammate(database_url: str) -> None:
    """The teammate's built-in account, made as an operator does (password on stdin)."""
    args = ["users", "add", TEAMMATE["email"], "--name", TEAMMATE["name"]]
    done = run_collab_text([*args, "--database-url", database_url], input=PASSWORD + "\n")
    assert done.returncode == 0, done.stdout + done.stderr


def _given(owner: dict[str, str], **places: str) -> dict[str, str]:
    """What the script needs (COLLAB_E2E_TOKENS)."""
    return {
        "owner": json.dumps(owner),
        "teammate": json.dumps(TEAMMATE),
        "provider": PROVIDER_NAME,
        "places": json.dumps(places),
    }


async def _run(server: ServerProcess, scenario: str, given: dict[str, str]) -> None:
    await run_scenario(server, scenario, given, script=SCRIPT)


async def test_q3_plan_on_one_server(
    provider: Provider, make_server: ServerFactory, database_url: str
) -> None:
    server = make_server(database_url, **_settings(provider))
    await server.start()
    _add_teammate(database_url)
    await _run(server, "q3-plan", _given(await _owner(provider)))


async def test_q3_plan_across_two_processes(
    provider: Provider,
    make_server: ServerFactory,
    postgres_url: str,
    redis_url: str,
    bus_prefix: str,
) -> None:
    """The owner's browser on process A, the teammate's on B; A's public URL names B, so the
    provider sends the owner back to B's callback (a load balancer's choice), whose session
    then works on A. The removal on A closes the teammate's editor on B at B's next re-check."""
    cluster = {
        "COLLAB_REDIS_URL": redis_url,
        "COLLAB_BUS_PREFIX": bus_prefix,
        "COLLAB_CLUSTER_CHECK_INTERVAL": "0.5",
        "COLLAB_AUTHORIZE_RECHECK": "0.5",
    }
    b = make_server(postgres_url, **_settings(provider, **cluster))
    await b.start()  # first: it migrates the schema
    a = make_server(postgres_url, **_settings(provider, COLLAB_PUBLIC_URL=b.http_url, **cluster))
    await a.start()
    _add_teammate(postgres_url)
    owner = await _owner(provider)
    await _run(a, "q3-plan", _given(owner, teammate=b.http_url, callback=b.http_url))


async def test_a_signed_in_person_opening_a_new_name_owns_it(
    make_server: ServerFactory, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    _add_teammate(sqlite_url)
    await _run(server, "new-name", _given({}))
