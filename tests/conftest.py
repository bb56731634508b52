"""Fixtures: real collab servers on 127.0.0.1 over SQLite files and, when configured, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests import launcher
from tests.server import ServerProcess

POSTGRES_ENV = "COLLAB_TEST_POSTGRES_URL"
REDIS_ENV = "COLLAB_TEST_REDIS_URL"
os.environ.setdefault(launcher.FORK_ENV, "1")  # collab forked from tests/launcher.py


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """At most two browser scenarios at once (tests/lanes.py)."""
    from tests.lanes import BrowserLanes

    return BrowserLanes(config, log) if config.getvalue("dist") == "loadscope" else None


def _is_browser_test(item: pytest.Item) -> bool:
    return Path(str(item.path)).parent.name == "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Those marked slow first, so none is left running alone at the end; the browser scenarios
    last. Workers take work in this order (`--no-loadscope-reorder`), so the two browser lanes
    (tests/lanes.py) start once every other test has been handed out. On two cores, Chromium
    beside four workers of other tests made every scenario slower, the pages it kept open longer
    and the whole run longer: the suite took 1,141-1,294 s with the lanes first, 865 s last."""
    items.sort(key=_rank)


def _rank(item: pytest.Item) -> int:
    if item.get_closest_marker("slow"):
        return 0
    return 2 if _is_browser_test(item) else 1


def pytest_sessionfinish() -> None:
    """The server launcher (if any server was started) ends with the session."""
    launcher.shutdown()


def _postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV}, e.g. "
            "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        )
    return url


async def _create_database(base_url: str) -> str:
    import asyncpg

    name = f"collab_test_{uuid.uuid4().hex[:12]}"
    url = make_url(base_url)
    conn = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def _drop_database(base_url: str, database_url: str) -> None:
    import asyncpg

    name = make_url(database_url).database
    conn = await asyncpg.connect(
        make_url(base_url).set(drivername="postgresql").render_as_string(False)
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or its own PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'collab.db'}"
        return
    base = _postgres_base_url()
    url = await _create_database(base)
    try:
        yield url
    finally:
        await _drop_database(base, url)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database of its own (skipped without COLLAB_TEST_POSTGRES_URL)."""
    base = _postgres_base_url()
    url = await _create_database(base)
    try:
        yield url
    finally:
        await _drop_database(base, url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file."""
    return f"sqlite+aiosqlite:///{tmp_path / 'collab.db'}"


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The Redis the cluster tests use (skipped without COLLAB_TEST_REDIS_URL)."""
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"cluster tests need {REDIS_ENV}, e.g. redis://127.0.0.1:6379/0")
    import redis.asyncio as redis  # the cluster extra

    client = redis.Redis.from_url(url)
    try:
        await client.ping()
    finally:
        await client.aclose()
    yield url


@pytest.fixture
def bus_prefix() -> str:
    """This test's Redis channel prefix: other tests' clusters never hear it."""
    return f"collab-test-{uuid.uuid4().hex[:10]}"


ServerFactory = Callable[..., ServerProcess]


@pytest.fixture
async def make_server(tmp_path: Path) -> AsyncIterator[ServerFactory]:
    """Build (not start) servers; every one still running at the end is stopped."""
    servers: list[ServerProcess] = []

    def factory(database_url: str, **env: str) -> ServerProcess:
        server = ServerProcess(database_url, tmp_path / f"server-{len(servers)}.log", env)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        await server.kill()


@pytest.fixture
async def server(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    """A running server on a fresh SQLite file."""
    process = make_server(sqlite_url)
    await process.start()
    return process


@pytest.fixture
async def any_server(make_server: ServerFactory, database_url: str) -> ServerProcess:
    """A running server on each configured database backend."""
    process = make_server(database_url)
    await process.start()
    return process


@pytest.fixture
async def collab_server(server: ServerProcess) -> ServerProcess:
    """The server the browser tests drive (SQLite)."""
    return server


@pytest.fixture
async def pg_server(make_server: ServerFactory, postgres_url: str) -> ServerProcess:
    """A running server on a fresh PostgreSQL database: the browser scenarios of a feature
    run some on SQLite (collab_server) and some here, so each runs on both."""
    process = make_server(postgres_url)
    await process.start()
    return process
