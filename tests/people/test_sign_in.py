"""Signing in with a built-in account against a real server: one answer for every wrong
credential, throttling, cookie flags, session fixation, CSRF, sign-out, expiry, and a session
of one server refused by another."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import httpx
import pytest
from sqlalchemy import update

from collab.people.sessions import token_hash
from collab.store.models import SessionRow
from tests.conftest import ServerFactory
from tests.people.accounts import PASSWORD, SECRET, add_person, client, sign_in, with_store
from tests.server import ServerProcess
from tests.yclient import YClient

OTHER_SECRET = "another-servers-secret-with-enough-entropy-42"


@pytest.fixture
async def secured(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    return server


def _set_cookie(response: httpx.Response) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    jar.load(response.headers["set-cookie"])
    return jar


async def test_every_wrong_credential_gets_the_same_answer(secured: ServerProcess):
    url = secured.database_url
    await add_person(url, "ada@example.com", "Ada Lovelace")
    gone = await add_person(url, "gone@example.com", "Gone")
    store = await with_store(url)
    await store.people.update(gone.id, active=False)
    await store.close()
    async with client(secured.http_url) as http:
        answers = [
            await http.post("/api/session", json={"email": email, "password": password})
            for email, password in (
                ("ada@example.com", "wrong password!"),
                ("nobody@example.com", PASSWORD),
                ("gone@example.com", PASSWORD),
            )
        ]
        assert [a.status_code for a in answers] == [401, 401, 401]
        assert {a.json()["detail"] for a in answers} == {"email or password is incorrect"}
        assert all("set-cookie" not in a.headers for a in answers)
        ok = await http.post(
            "/api/session", json={"email": " ADA@example.com ", "password": PASSWORD}
        )
        assert ok.status_code == 200, ok.text
        body = ok.json()
        assert body["signed_in"] and body["person"]["name"] == "Ada Lovelace"
        assert body["name"] == "Ada Lovelace" and body["csrf_token"]


async def test_the_cookie_is_http_only_same_site_and_secure_behind_https(
    secured: ServerProcess,
):
    await add_person(secured.database_url, "ada@example.com", "Ada")
    credentials = {"email": "ada@example.com", "password": PASSWORD}
    async with client(secured.http_url) as http:
        plain = _set_cookie(await http.post("/api/session", json=credentials))["collab_session"]
        assert plain["httponly"] and plain["samesite"].lower() == "lax"
        assert plain["path"] == "/" and not plain["secure"]
        assert int(plain["max-age"]) == 1_209_600
        # Behind a TLS-terminating proxy on the same host (uvicorn trusts 127.0.0.1's headers).
        proxied = await http.post(
            "/api/session", json=credentials, headers={"X-Forwarded-Proto": "https"}
        )
        assert _set_cookie(proxied)["collab_session"]["secure"]


async def test_failed_sign_ins_are_throttled_per_account_and_per_address(
    secured: ServerProcess,
):
    await add_person(secured.database_url, "ada@example.com", "Ada")
    async with client(secured.http_url) as http:
        for _ in range(5):
            wrong = {"email": "ada@example.com", "password": "not the password"}
            assert (await http.post("/api/session", json=wrong)).status_code == 401
        right = {"email": "ada@example.com", "password": PASSWORD}
        throttled = await http.post("/api/session", json=right)
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
        assert "try again in" in throttled.json()["detail"]
        # Per address: twenty failures over many accounts close this address to every one.
        for n in range(15):
            guess = {"email": f"guess{n}@example.com", "password": "nope nope nope"}
            assert (await http.post("/api/session", json=guess)).status_code == 401
        fresh = {"email": "someone-new@example.com", "password": "nope nope nope"}
        assert (await http.post("/api/session", json=fresh)).status_code == 429


async def test_signing_in_always_starts_a_new_session(secured: ServerProcess):
    await add_person(secured.database_url, "ada@example.com", "Ada")
    first = await sign_in(secured, "ada@example.com")
    planted = first.cookie
    # Signing in again with the old cookie (one an attacker planted, say) replaces it.
    again = await first.http.post(
        "/api/session", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert again.status_code == 200
    assert first.cookie != planted
    async with client(secured.http_url) as other:
        other.cookies.set("collab_session", planted)
        me = (await other.get("/api/me")).json()
        assert me["signed_in"] is False, "the session signed in over is over"
    # A made-up cookie is no session at all.
    async with client(secured.http_url) as forged:
        forged.cookies.set("collab_session", "made-up.value")
        assert (await forged.get("/api/rooms")).status_code == 401
    await first.close()


async def test_changes_made_with_the_cookie_need_the_csrf_token(secured: ServerProcess):
    await add_person(secured.database_url, "ada@example.com", "Ada")
    ada = await sign_in(secured, "ada@example.com")
    refused = await ada.http.post("/api/rooms", json={"title": "Q3 plan"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    wrong = await ada.http.post(
        "/api/rooms", json={"title": "Q3 plan"}, headers={"X-CSRF-Token": "guess"}
    )
    assert wrong.status_code == 403
    made = await ada.http.post("/api/rooms", json={"title": "Q3 plan"}, headers=ada.changes())
    assert made.status_code == 201, made.text
    assert (await ada.http.get("/api/rooms/q3-plan")).status_code == 200  # reads need none
    await ada.close()


async def test_sign_out_ends_the_session(secured: ServerProcess):
    await add_person(secured.database_url, "ada@example.com", "Ada")
    ada = await sign_in(secured, "ada@example.com")
    cookie = ada.cookie
    assert (await ada.http.delete("/api/session")).status_code == 403  # no CSRF token
    out = await ada.http.delete("/api/session", headers=ada.changes())
    assert out.status_code == 204
    assert "collab_session" not in ada.http.cookies
    async with client(secured.http_url) as replay:
        replay.cookies.set("collab_session", cookie)
        assert (await replay.get("/api/rooms")).status_code == 401
    await ada.close()


async def test_an_expired_session_is_refused(secured: ServerProcess):
    await add_person(secured.database_url, "ada@example.com", "Ada")
    ada = await sign_in(secured, "ada@example.com")
    assert (await ada.http.get("/api/rooms")).status_code == 200
    token = ada.cookie.partition(".")[0]
    store = await with_store(secured.database_url)
    async with store.engine.begin() as conn:
        await conn.execute(
            update(SessionRow)
            .where(SessionRow.id == token_hash(token))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await store.close()
    assert (await ada.http.get("/api/rooms")).status_code == 401
    await ada.close()


async def test_a_session_of_another_server_is_refused(make_server: ServerFactory, sqlite_url: str):
    # Same database, different secret: the cookie's signature is not this server's.
    first = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await first.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    ada = await sign_in(first, "ada@example.com")
    second = make_server(sqlite_url, COLLAB_SECRET=OTHER_SECRET)
    await second.start()
    async with client(second.http_url) as http:
        http.cookies.set("collab_session", ada.cookie)
        assert (await http.get("/api/rooms")).status_code == 401
        assert (await http.get("/api/me")).json()["signed_in"] is False
    await ada.close()


async def test_development_mode_has_no_sign_in(server: ServerProcess):
    async with client(server.http_url) as http:
        me = (await http.get("/api/me")).json()
        assert me["development"] is True and me["sign_in"]["password"] is False
        refused = await http.post("/api/session", json={"email": "a@b.c", "password": "x"})
        assert refused.status_code == 409 and "development mode" in refused.json()["detail"]


async def test_an_editor_open_when_its_session_ends_is_asked_to_sign_in_again(
    make_server: ServerFactory, sqlite_url: str
):
    # The re-check (every 0.2 s here) finds the session past its end and closes the editor.
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET, COLLAB_AUTHORIZE_RECHECK="0.2")
    await server.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    ada = await sign_in(server, "ada@example.com")
    await ada.http.post("/api/rooms", json={"title": "Plan"}, headers=ada.changes())
    headers = {"Cookie": f"collab_session={ada.cookie}"}
    async with YClient(server.ws_url, "plan", headers=headers) as editor:
        await editor.synced.wait()
        token = ada.cookie.partition(".")[0]
        store = await with_store(sqlite_url)
        async with store.engine.begin() as conn:  # the session ends now
            await conn.execute(
                update(SessionRow)
                .where(SessionRow.id == token_hash(token))
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        await store.close()
        code, reason = await editor.wait_closed(timeout=30)
    assert (code, reason) == (4401, "session expired: sign in again")
    await ada.close()


async def test_attempts_sent_together_are_all_counted(secured: ServerProcess):
    await add_person(secured.database_url, "ada@example.com", "Ada")
    wrong = {"email": "ada@example.com", "password": "not the password"}
    async with client(secured.http_url) as http:
        answers = await asyncio.gather(*(http.post("/api/session", json=wrong) for _ in range(12)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 5 + [429] * 7, statuses


async def test_the_cookie_is_secure_when_the_public_url_is_https(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET, COLLAB_PUBLIC_URL="https://docs.example")
    await server.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    async with client(server.http_url) as http:
        signed = await http.post(
            "/api/session", json={"email": "ada@example.com", "password": PASSWORD}
        )
    assert _set_cookie(signed)["collab_session"]["secure"]


async def test_signing_out_with_a_dead_cookie_clears_it(secured: ServerProcess):
    async with client(secured.http_url) as http:
        http.cookies.set("collab_session", "long.gone")
        out = await http.delete("/api/session")
        assert out.status_code == 204
        assert 'collab_session=""' in out.headers["set-cookie"]


async def test_every_process_of_a_cluster_throttles_the_same_account(
    make_server: ServerFactory, database_url: str
):
    """Failures at one process count at the other (they are stored): five wrong passwords
    spread over two processes close the account at both, even to the right password; attempts
    sent together to both let five through in all; a success starts the account afresh."""
    first = make_server(database_url, COLLAB_SECRET=SECRET)
    await first.start()
    second = make_server(database_url, COLLAB_SECRET=SECRET)
    await second.start()
    await add_person(database_url, "ada@example.com", "Ada")
    await add_person(database_url, "grace@example.com", "Grace")
    wrong = {"email": "ada@example.com", "password": "not the password"}
    right = {"email": "ada@example.com", "password": PASSWORD}
    async with (
        client(first.http_url) as one,
        client(second.http_url) as two,
    ):
        for http in (one, two, one, two, one):
            assert (await http.post("/api/session", json=wrong)).status_code == 401
        for http in (one, two):
            throttled = await http.post("/api/session", json=right)
            assert throttled.status_code == 429, throttled.text
            assert int(throttled.headers["retry-after"]) > 0
        # Sent together to both: five answered, the rest throttled.
        other = {"email": "grace@example.com", "password": "not the password"}
        answers = await asyncio.gather(
            *(http.post("/api/session", json=other) for http in (one, two) * 6)
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses.count(401) <= 5 and statuses.count(429) >= 7, statuses
    store = await with_store(database_url)
    try:
        await store.attempts.clear("address:127.0.0.1")  # the address is spent by now
        account = "account:" + hashlib.sha256(b"ada@example.com").hexdigest()[:32]
        await store.attempts.clear(account)
    finally:
        await store.close()
    async with client(second.http_url) as two:
        assert (await two.post("/api/session", json=right)).status_code == 200
