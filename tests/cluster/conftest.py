"""Fixtures for clusters: several real `collab serve` processes on one fresh PostgreSQL database
and one real Redis (`redis_url`), each test on a Redis channel prefix of its own (`bus_prefix`:
both in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.yclient import YClient

ClusterFactory = Callable[..., Awaitable[list[ServerProcess]]]


@pytest.fixture
async def start_cluster(
    postgres_url: str, redis_url: str, bus_prefix: str, make_server: ServerFactory
) -> ClusterFactory:
    """Start `count` processes of one cluster (one at a time: the first migrates the schema)."""

    async def start(count: int, **env: str) -> list[ServerProcess]:
        servers = []
        for _ in range(count):
            server = make_server(
                postgres_url,
                COLLAB_REDIS_URL=redis_url,
                COLLAB_BUS_PREFIX=bus_prefix,
                COLLAB_CLUSTER_CHECK_INTERVAL="0.5",
                **env,
            )
            await server.start()
            servers.append(server)
        return servers

    return start


def plain_postgres_url(url: str) -> str:
    """The asyncpg DSN of an SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def all_acked(client: YClient) -> bool:
    """Every update the client sent is acknowledged as durable."""
    return client.acked == client.sent_updates


async def texts_on(servers: list[ServerProcess], room: str) -> list[str]:
    """The room's text as each process holds it (its live copy, if it has one)."""
    texts = []
    async with httpx.AsyncClient(timeout=30) as http:
        for server in servers:
            answer = await http.get(
                f"{server.http_url}/api/rooms/{room}/snapshot", params={"format": "text"}
            )
            assert answer.status_code == 200, answer.text
            texts.append(answer.text)
    return texts
