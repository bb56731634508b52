"""Sign-in with OpenID Connect against a real provider (oidc-provider-mock in its own process on
127.0.0.1, PKCE enforced: tests/auth/oidc_provider.py): the login and callback routes in a small
Starlette app driven with httpx, whose `signed_in` answers with the claims it was given."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from collab.api.oidc import CALLBACK_PATH, FLOW_COOKIE, LOGIN_PATH, oidc_routes
from collab.config import Settings
from collab.errors import Unauthorized
from collab.people.oidc import OidcClaims, OidcSettings, OidcSignIn, safe_next_path
from tests.auth.oidc_provider import Provider, s256
from tests.server import free_port

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("oidc_provider_mock") is None,
    reason="oidc-provider-mock (a test dependency: pip install -e '.[test]') is not installed",
)

KEY = b"k" * 32
SECRET = "client-s3cret"
APP = "http://collab.test"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    running = Provider(tmp_path_factory.mktemp("oidc") / "provider.log")
    running.start()
    yield running
    running.stop()


def settings(provider: Provider, **changes: Any) -> OidcSettings:
    return dataclasses.replace(
        OidcSettings(issuer=provider.issuer, client_id="collab", client_secret=SECRET), **changes
    )


def app(sign_in: OidcSignIn, **options: Any) -> Starlette:
    """The routes under test, a `signed_in` that shows what it got, and a sign-in page that
    shows the error it is sent."""

    async def signed_in(request: Request, claims: OidcClaims, next_path: str) -> Response:
        return JSONResponse({"claims": dataclasses.asdict(claims), "next": next_path})

    async def signin_page(request: Request) -> Response:
        return PlainTextResponse(request.query_params.get("error", ""))

    routes = [*oidc_routes(sign_in, signed_in, **options), Route("/signin", signin_page)]
    return Starlette(routes=routes)


@pytest.fixture
async def provider_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def login(
    collab: Starlette, next_path: str = "/docs/plan", base: str = APP
) -> httpx.Response:
    async with httpx.AsyncClient(
        timeout=30, transport=httpx.ASGITransport(collab), base_url=base
    ) as http:
        return await http.get(LOGIN_PATH, params={"next": next_path})


async def authorize(http: httpx.AsyncClient, authorization_url: str, **form: str) -> str:
    """What the person does at the provider (sign in as `sub=...`, or `action=deny`): the
    URL the provider sends the browser back to."""
    answer = await http.post(authorization_url, data=form)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def callback(collab: Starlette, url: str, flow: str | None) -> httpx.Response:
    parts = urlsplit(url)
    headers = {"cookie": f"{FLOW_COOKIE}={flow}"} if flow is not None else {}
    base = f"{parts.scheme}://{parts.netloc}"
    async with httpx.AsyncClient(
        timeout=30, transport=httpx.ASGITransport(collab), base_url=base
    ) as http:
        return await http.get(f"{parts.path}?{parts.query}", headers=headers)


async def sign_in_as(
    collab: Starlette, http: httpx.AsyncClient, sub: str, next_path: str = "/docs/plan"
) -> httpx.Response:
    started = await login(collab, next_path)
    back = await authorize(http, started.headers["location"], sub=sub)
    return await callback(collab, back, started.cookies[FLOW_COOKIE])


def refusal(response: httpx.Response) -> str:
    """The message a refused callback sends to the sign-in page."""
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/signin"
    return parse_qs(location.query)["error"][0]


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


async def test_the_code_flow_with_pkce_ends_in_the_persons_claims_and_next_path(
    provider: Provider, provider_http: httpx.AsyncClient
):
    sub = await provider.add_user(
        "ada-1", email="ada@example.com", email_verified=True, name="Ada L", groups=["eng"]
    )
    collab = app(OidcSignIn(settings(provider), KEY))
    started = await login(collab, "/docs/plan?tab=history")
    assert started.status_code == 303
    sent = query_of(started.headers["location"])
    assert started.headers["location"].startswith(f"{provider.issuer}/oauth2/authorize?")
    assert sent["response_type"] == "code" and sent["client_id"] == "collab"
    assert sent["redirect_uri"] == f"{APP}{CALLBACK_PATH}"
    assert set(sent["scope"].split()) == {"openid", "email", "profile"}
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert sent["state"] and sent["nonce"] and sent["state"] != sent["nonce"]
    cookie = started.headers["set-cookie"]
    assert cookie.startswith(f"{FLOW_COOKIE}=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/auth/oidc", "max-age=600"} <= attributes
    assert "secure" not in attributes

    back = await authorize(provider_http, started.headers["location"], sub=sub)
    done = await callback(collab, back, started.cookies[FLOW_COOKIE])
    # The provider redeems the code only for the verifier of the challenge sent above.
    assert done.status_code == 200, done.headers.get("location")
    assert done.json() == {
        "claims": {
            "issuer": provider.issuer,
            "subject": "ada-1",
            "email": "ada@example.com",
            "email_verified": True,
            "name": "Ada L",
            "groups": ["eng"],
        },
        "next": "/docs/plan?tab=history",
    }
    cleared = done.headers["set-cookie"]
    assert cleared.startswith(f'{FLOW_COOKIE}="";') and "Max-Age=0" in cleared
    assert "Path=/auth/oidc" in cleared


async def test_the_provider_refuses_a_code_without_its_verifier(
    provider: Provider, provider_http: httpx.AsyncClient
):
    """The provider the other tests use does enforce PKCE, so their sign-ins prove the right
    verifier is sent."""
    await provider.add_user("pkce-1", email="p@example.com")
    metadata = (
        await provider_http.get(f"{provider.issuer}/.well-known/openid-configuration")
    ).json()
    redirect = "http://collab.test/cb"

    async def code(**challenge: str) -> str:
        params = {"response_type": "code", "client_id": "c", "redirect_uri": redirect}
        params |= {"scope": "openid", "state": "s", **challenge}
        answer = await provider_http.post(
            metadata["authorization_endpoint"], params=params, data={"sub": "pkce-1"}
        )
        return query_of(answer.headers["location"])["code"]

    async def redeem(code: str, verifier: str) -> httpx.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
        return await provider_http.post(
            metadata["token_endpoint"], data={**form, "code_verifier": verifier}, auth=("c", "x")
        )

    verifier = "v" * 50
    challenged = {"code_challenge": s256(verifier), "code_challenge_method": "S256"}
    refused = await redeem(await code(**challenged), "w" * 50)
    assert refused.status_code == 400 and "does not match" in refused.json()["error_description"]
    unchallenged = await redeem(await code(), verifier)
    assert unchallenged.status_code == 400 and "PKCE is required" in unchallenged.text
    assert (await redeem(await code(**challenged), verifier)).status_code == 200


async def test_https_sets_a_secure_cookie_and_public_url_names_the_callback(provider: Provider):
    sign_in = OidcSignIn(settings(provider), KEY)
    over_https = await login(app(sign_in), base="https://collab.test")
    assert "secure" in over_https.headers["set-cookie"].lower()
    assert query_of(over_https.headers["location"])["redirect_uri"] == (
        f"https://collab.test{CALLBACK_PATH}"
    )
    behind_proxy = await login(app(sign_in, public_url="https://docs.example/"))
    assert "secure" in behind_proxy.headers["set-cookie"].lower()
    assert query_of(behind_proxy.headers["location"])["redirect_uri"] == (
        f"https://docs.example{CALLBACK_PATH}"
    )


async def test_a_public_client_refused_by_the_provider_is_told_why(
    provider: Provider, provider_http: httpx.AsyncClient
):
    """Without a secret the code is redeemed with the client id and verifier alone (auth method
    `none`); this provider takes confidential clients only, and its reason reaches the page."""
    sub = await provider.add_user("pub-1", email="pub@example.com", name="Pub")
    collab = app(OidcSignIn(settings(provider, client_secret=None), KEY))
    message = refusal(await sign_in_as(collab, provider_http, sub))
    assert message.startswith(
        "127.0.0.1 did not accept this sign-in (The client cannot authenticate"
    )


async def test_an_answer_for_another_state_is_refused_and_the_right_one_still_works(
    provider: Provider, provider_http: httpx.AsyncClient
):
    sub = await provider.add_user("state-1", email="s@example.com")
    collab = app(OidcSignIn(settings(provider), KEY))
    started = await login(collab)
    flow = started.cookies[FLOW_COOKIE]
    back = await authorize(provider_http, started.headers["location"], sub=sub)
    forged = back.replace("state=", "state=x")
    assert "state mismatch" in refusal(await callback(collab, forged, flow))
    # Another sign-in's cookie with this answer: refused the same way.
    other = (await login(collab)).cookies[FLOW_COOKIE]
    assert "state mismatch" in refusal(await callback(collab, back, other))
    # The code was not spent on the refusals.
    assert (await callback(collab, back, flow)).status_code == 200


async def test_a_missing_changed_foreign_or_expired_flow_cookie_is_refused(
    provider: Provider, provider_http: httpx.AsyncClient
):
    sub = await provider.add_user("flow-1", email="f@example.com")
    collab = app(OidcSignIn(settings(provider), KEY))
    started = await login(collab)
    flow = started.cookies[FLOW_COOKIE]
    back = await authorize(provider_http, started.headers["location"], sub=sub)
    assert "no sign-in under way" in refusal(await callback(collab, back, None))
    head, payload, signature = flow.split(".")
    changed = f"{head}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    assert "could not be checked" in refusal(await callback(collab, back, changed))
    foreign = app(OidcSignIn(settings(provider), b"another key" * 3))
    assert "could not be checked" in refusal(await callback(foreign, back, flow))
    assert (await callback(collab, back, flow)).status_code == 200

    expiring = app(OidcSignIn(settings(provider), KEY, flow_seconds=-1))
    started = await login(expiring)
    back = await authorize(provider_http, started.headers["location"], sub=sub)
    message = refusal(await callback(expiring, back, started.cookies[FLOW_COOKIE]))
    assert "took longer than 1 minutes" in message


async def test_a_denial_at_the_provider_and_a_spent_code_are_refused(
    provider: Provider, provider_http: httpx.AsyncClient
):
    sub = await provider.add_user("deny-1", email="d@example.com")
    collab = app(OidcSignIn(settings(provider, provider_name="Keycloak"), KEY))
    started = await login(collab)
    denied = await authorize(provider_http, started.headers["location"], action="deny")
    assert query_of(denied)["error"] == "access_denied"
    message = refusal(await callback(collab, denied, started.cookies[FLOW_COOKIE]))
    assert message == "Keycloak did not sign you in (access was denied)"
    # The provider's own words are shown only for an answer carrying the sign-in's state.
    flow, state = started.cookies[FLOW_COOKIE], query_of(started.headers["location"])["state"]
    said = {"error": "temporarily_unavailable", "error_description": "call +1 555 0100"}
    answer = f"{APP}{CALLBACK_PATH}?{urlencode(said)}"
    message = refusal(await callback(collab, f"{answer}&state={state}", flow))
    assert message == "Keycloak did not sign you in: call +1 555 0100"
    message = refusal(await callback(collab, answer, flow))
    assert message == "Keycloak did not sign you in: temporarily_unavailable"
    assert "state mismatch" in refusal(await callback(collab, f"{answer}&state=forged", flow))

    started = await login(collab)
    back = await authorize(provider_http, started.headers["location"], sub=sub)
    assert (await callback(collab, back, started.cookies[FLOW_COOKIE])).status_code == 200
    again = refusal(await callback(collab, back, started.cookies[FLOW_COOKIE]))
    assert again.startswith("Keycloak did not accept this sign-in (")


async def id_token_for(
    provider: Provider, http: httpx.AsyncClient, client_id: str, nonce: str, sub: str
) -> str:
    """An ID token the provider issues to `client_id`, driven by hand (PKCE included)."""
    redirect, verifier = "http://other.test/cb", "q" * 64
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect}
    params |= {"scope": "openid email", "state": "s", "nonce": nonce}
    params |= {"code_challenge": s256(verifier), "code_challenge_method": "S256"}
    answer = await http.post(
        f"{provider.issuer}/oauth2/authorize", params=params, data={"sub": sub}
    )
    code = query_of(answer.headers["location"])["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    tokens = await http.post(
        f"{provider.issuer}/oauth2/token",
        data={**form, "code_verifier": verifier},
        auth=(client_id, "x"),
    )
    id_token: str = tokens.json()["id_token"]
    return id_token


async def test_an_id_token_for_another_client_nonce_or_key_is_refused(
    provider: Provider, provider_http: httpx.AsyncClient
):
    sub = await provider.add_user("tok-1", email="t@example.com")
    token = await id_token_for(provider, provider_http, "other-app", "nonce-1", sub)
    ours = OidcSignIn(settings(provider), KEY)
    theirs = OidcSignIn(settings(provider, client_id="other-app"), KEY)
    assert (await theirs.verify_id_token(token, "nonce-1"))["sub"] == "tok-1"
    with pytest.raises(Unauthorized, match="made for another client"):
        await ours.verify_id_token(token, "nonce-1")
    with pytest.raises(Unauthorized, match="nonce mismatch"):
        await theirs.verify_id_token(token, "nonce-2")
    head, payload, signature = token.split(".")
    resigned = f"{head}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    with pytest.raises(Unauthorized, match="signature that does not check out"):
        await theirs.verify_id_token(resigned, "nonce-1")
    claims = jwt.decode(token, options={"verify_signature": False})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "not-theirs"})
    with pytest.raises(Unauthorized, match="a key it does not publish"):
        await theirs.verify_id_token(forged, "nonce-1")
    # A token naming no key (kid; this provider's name none with some Authlib versions) is
    # checked with each published key.
    forged = jwt.encode(claims, stranger, algorithm="RS256")
    with pytest.raises(Unauthorized, match="signature that does not check out"):
        await theirs.verify_id_token(forged, "nonce-1")
    shared_secret = jwt.encode(claims, "s" * 32, algorithm="HS256")
    with pytest.raises(Unauthorized, match="is not valid"):
        await theirs.verify_id_token(shared_secret, "nonce-1")


async def test_allowed_domains_let_in_verified_addresses_of_those_domains_only(
    provider: Provider, provider_http: httpx.AsyncClient
):
    only = settings(provider, allowed_domains=" example.com, Example.NET ", provider_name="Okta")
    collab = app(OidcSignIn(only, KEY))
    ok = await provider.add_user("dom-1", email="ok@Example.net", email_verified=True)
    assert (await sign_in_as(collab, provider_http, ok)).status_code == 200
    outside = await provider.add_user("dom-2", email="x@example.org", email_verified=True)
    message = refusal(await sign_in_as(collab, provider_http, outside))
    assert message == "your email domain example.org may not sign in here"
    unverified = await provider.add_user("dom-3", email="u@example.com", email_verified=False)
    message = refusal(await sign_in_as(collab, provider_http, unverified))
    assert message.startswith("Okta has not verified your email address u@example.com")
    no_email = await provider.add_user("dom-4", name="No Mail")
    message = refusal(await sign_in_as(collab, provider_http, no_email))
    assert message.startswith("Okta did not say your email address")


async def test_allowed_groups_let_in_members_of_one_of_them_only(
    provider: Provider, provider_http: httpx.AsyncClient
):
    collab = app(OidcSignIn(settings(provider, allowed_groups="eng, ops"), KEY))
    member = await provider.add_user("grp-1", email="m@example.com", groups=["sales", "ops"])
    done = await sign_in_as(collab, provider_http, member)
    assert done.status_code == 200 and done.json()["claims"]["groups"] == ["sales", "ops"]
    other = await provider.add_user("grp-2", email="o@example.com", groups=["sales"])
    assert "none of the groups" in refusal(await sign_in_as(collab, provider_http, other))
    # No groups claim in the ID token: the userinfo endpoint is asked too, and has none either.
    none = await provider.add_user("grp-3", email="n@example.com")
    assert "none of the groups" in refusal(await sign_in_as(collab, provider_http, none))


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/docs/plan?tab=1#top", "/docs/plan?tab=1#top"),
        ("/", "/"),
        ("", "/"),
        (None, "/"),
        ("docs", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/docs\r\nSet-Cookie: x=1", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_next_paths_stay_on_this_server(given: str | None, kept: str):
    assert safe_next_path(given) == kept


async def test_a_next_path_to_another_site_becomes_home(
    provider: Provider, provider_http: httpx.AsyncClient
):
    sub = await provider.add_user("next-1", email="n@example.com")
    collab = app(OidcSignIn(settings(provider), KEY))
    done = await sign_in_as(collab, provider_http, sub, next_path="//evil.example/phish")
    assert done.json()["next"] == "/"


async def test_a_provider_that_is_down_is_a_clear_error():
    down = OidcSettings(issuer=f"http://127.0.0.1:{free_port()}", client_id="collab")
    message = refusal(await login(app(OidcSignIn(down, KEY))))
    assert message.startswith("the sign-in provider 127.0.0.1 cannot be reached right now")


async def test_keys_rotated_by_the_provider_are_read_again(
    tmp_path: Path, provider_http: httpx.AsyncClient
):
    provider = Provider(tmp_path / "provider.log")
    provider.start()
    try:
        sub = await provider.add_user("rot-1", email="r@example.com")
        collab = app(OidcSignIn(settings(provider), KEY))
        assert (await sign_in_as(collab, provider_http, sub)).status_code == 200
        started = await login(collab)
        back = await authorize(provider_http, started.headers["location"], sub=sub)
        provider.stop()
        message = refusal(await callback(collab, back, started.cookies[FLOW_COOKIE]))
        assert "cannot be reached right now" in message
        provider.start()  # same port, a new signing key with a new kid
        sub = await provider.add_user("rot-1", email="r@example.com")
        assert (await sign_in_as(collab, provider_http, sub)).status_code == 200
    finally:
        if provider.process is not None:
            provider.stop()


def test_an_issuer_needs_a_client_id_and_the_settings_reach_the_view():
    with pytest.raises(ValueError, match="COLLAB_OIDC_CLIENT_ID"):
        Settings(oidc_issuer="https://id.example").check()
    with pytest.raises(ValueError, match="not an http"):
        Settings(oidc_issuer="id.example", oidc_client_id="c").check()
    with pytest.raises(ValueError, match="needs COLLAB_SECRET"):
        Settings(oidc_issuer="https://id.example", oidc_client_id="c").check()
    env = {
        "COLLAB_OIDC_ISSUER": "https://id.example/realms/staff",
        "COLLAB_OIDC_CLIENT_ID": "collab",
        "COLLAB_OIDC_CLIENT_SECRET": "s",
        "COLLAB_OIDC_ALLOWED_DOMAINS": "example.com",
        "COLLAB_SECRET": "oidc-test-secret-with-enough-entropy-0123456",
    }
    configured = Settings.from_env(env)
    configured.check()
    view = OidcSettings.from_settings(configured)
    assert (view.issuer, view.client_id, view.client_secret) == (
        "https://id.example/realms/staff",
        "collab",
        "s",
    )
    assert view.allowed_domains == "example.com" and view.allowed_groups == ""
    assert OidcSignIn(view, KEY).provider_name == "id.example"
    with pytest.raises(ValueError, match="needs an issuer and a client id"):
        OidcSignIn(OidcSettings(), KEY)
