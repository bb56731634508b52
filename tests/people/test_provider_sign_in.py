"""Signing in to a real collab server through a real OpenID Connect provider (oidc-provider-mock
in its own process, PKCE enforced), driven over HTTP: the person made or linked, unverified
addresses, deactivated people, and a return path beyond Latin-1."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.auth.oidc_provider import Provider
from tests.conftest import ServerFactory
from tests.people.accounts import SECRET, with_store
from tests.server import ServerProcess


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    if importlib.util.find_spec("oidc_provider_mock") is None:
        pytest.skip("oidc-provider-mock (a test dependency: pip install -e '.[test]') is missing")
    running = Provider(tmp_path_factory.mktemp("oidc") / "provider.log")
    running.start()
    yield running
    running.stop()


def _server(make_server: ServerFactory, url: str, provider: Provider, **more: str) -> ServerProcess:
    env = {
        "COLLAB_SECRET": SECRET,
        "COLLAB_OIDC_ISSUER": provider.issuer,
        "COLLAB_OIDC_CLIENT_ID": "collab",
        "COLLAB_OIDC_CLIENT_SECRET": "collab-client-secret",
        **more,
    }
    return make_server(url, **env)


async def _sign_in(server: ServerProcess, sub: str, next_path: str = "/") -> httpx.Response:
    """The browser's round trip; the collab answer to the provider's redirect back."""
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as browser:
        started = await browser.get("/auth/oidc/login", params={"next": next_path})
        assert started.status_code == 303, started.text
        at_provider = await browser.post(started.headers["location"], data={"sub": sub})
        assert at_provider.status_code == 302, at_provider.text
        back = urlsplit(at_provider.headers["location"])
        return await browser.get(f"{back.path}?{back.query}")


def _error(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/signin", location
    return parse_qs(location.query)["error"][0]


async def test_the_provider_names_a_person_who_is_made_once(
    provider: Provider, make_server: ServerFactory, sqlite_url: str
):
    server = _server(make_server, sqlite_url, provider)
    await server.start()
    sub = await provider.add_user(
        f"ada-{uuid.uuid4().hex[:8]}", email="Ada@Example.com", email_verified=True, name="Ada L"
    )
    first = await _sign_in(server, sub, "/d/plan-Ж?tab=history")
    assert first.status_code == 303, first.text
    assert first.headers["location"] == "/d/plan-%D0%96?tab=history"
    cookie = first.cookies["collab_session"]
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        http.cookies.set("collab_session", cookie)
        me = (await http.get("/api/me")).json()
    assert me["person"]["name"] == "Ada L" and me["person"]["email"] == "ada@example.com"
    again = await _sign_in(server, sub)
    assert again.status_code == 303 and again.cookies["collab_session"] != cookie
    store = await with_store(sqlite_url)
    people = await store.people.search("", 10, active_only=False)
    await store.close()
    assert [(p.email, p.oidc, p.has_password) for p in people] == [("ada@example.com", True, False)]


async def test_an_account_made_beforehand_is_linked_by_its_verified_email(
    provider: Provider, make_server: ServerFactory, sqlite_url: str
):
    server = _server(make_server, sqlite_url, provider)
    await server.start()
    store = await with_store(sqlite_url)
    made = await store.people.add("grace@example.com", "G", is_admin=True)
    sub = await provider.add_user(
        f"grace-{uuid.uuid4().hex[:8]}",
        email="grace@example.com",
        email_verified=True,
        name="Grace Hopper",
    )
    assert (await _sign_in(server, sub)).status_code == 303
    linked = await store.people.get(made.id)
    await store.close()
    assert linked is not None and linked.oidc and linked.is_admin and linked.name == "Grace Hopper"


async def test_an_unverified_address_is_refused_unless_the_server_trusts_the_provider(
    provider: Provider, make_server: ServerFactory, sqlite_url: str, tmp_path
):
    sub = await provider.add_user(
        f"eve-{uuid.uuid4().hex[:8]}", email="ceo@example.com", email_verified=False, name="Eve"
    )
    strict = _server(make_server, sqlite_url, provider)
    await strict.start()
    assert "has not verified your email address" in _error(await _sign_in(strict, sub))
    trusting = _server(
        make_server,
        f"sqlite+aiosqlite:///{tmp_path / 'other.db'}",
        provider,
        COLLAB_OIDC_TRUST_EMAIL="1",
    )
    await trusting.start()
    assert (await _sign_in(trusting, sub)).status_code == 303


async def test_a_deactivated_person_is_refused(
    provider: Provider, make_server: ServerFactory, sqlite_url: str
):
    server = _server(make_server, sqlite_url, provider)
    await server.start()
    sub = await provider.add_user(
        f"bob-{uuid.uuid4().hex[:8]}", email="bob@example.com", email_verified=True, name="Bob"
    )
    assert (await _sign_in(server, sub)).status_code == 303
    store = await with_store(sqlite_url)
    (bob, _) = await store.people.by_email("bob@example.com") or (None, None)
    assert bob is not None
    await store.people.update(bob.id, active=False)
    await store.close()
    assert _error(await _sign_in(server, sub)) == "your account on this server is deactivated"
