"""People for the tests: accounts written to a server's database as `collab users add` writes
them, and an HTTP client signed in as one of them (its session cookie and CSRF token)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from collab.people.passwords import hash_password
from collab.store.db import create_engine
from collab.store.people import Person
from collab.store.sql import SqlStore
from tests.server import ServerProcess

SECRET = "people-test-secret-with-enough-entropy-0123"
PASSWORD = "correct horse battery"

# How long a test's HTTP client waits for an answer. A sign-in runs argon2 on the server's
# worker threads, so on a loaded machine, or with many sign-ins sent at once, an answer can take
# longer than httpx's default 5 s: this bounds a hung server, it does not measure speed.
PATIENT = httpx.Timeout(60.0)


def client(base_url: str) -> httpx.AsyncClient:
    """An HTTP client for a server's pages and API that waits as long as sign-ins may take."""
    return httpx.AsyncClient(base_url=base_url, timeout=PATIENT)


async def add_person(
    database_url: str, email: str, name: str, *, admin: bool = False, password: str = PASSWORD
) -> Person:
    """An account in the (migrated) database at `database_url`."""
    store = SqlStore(create_engine(database_url))
    try:
        return await store.people.add(
            email, name, password_hash=hash_password(password), is_admin=admin
        )
    finally:
        await store.close()


async def with_store(database_url: str) -> SqlStore:
    """A store on the server's database, for reading back what it wrote (close it after)."""
    return SqlStore(create_engine(database_url))


@dataclass
class SignedIn:
    """A signed-in browser: its HTTP client (cookie kept) and CSRF token."""

    http: httpx.AsyncClient
    csrf: str
    me: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.me["person"]["id"])

    @property
    def cookie(self) -> str:
        return str(self.http.cookies["collab_session"])

    def changes(self) -> dict[str, str]:
        """Headers of a request that changes something."""
        return {"X-CSRF-Token": self.csrf}

    async def close(self) -> None:
        await self.http.aclose()


async def sign_in(server: ServerProcess, email: str, password: str = PASSWORD) -> SignedIn:
    """A client signed in through POST /api/session (raises unless it worked)."""
    http = client(server.http_url)
    response = await http.post("/api/session", json={"email": email, "password": password})
    if response.status_code != 200:
        await http.aclose()
        raise AssertionError(f"sign-in failed: {response.status_code} {response.text}")
    me = response.json()
    return SignedIn(http, me["csrf_token"], me)
