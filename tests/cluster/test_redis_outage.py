"""Redis stopped and started again mid-stream: editing never stops, updates keep crossing
between processes through the database meanwhile, and the bus resumes when Redis is back.
The test runs a redis-server of its own (Debian's `redis-server`), so it can stop it."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from functools import partial

import pytest

from tests.cluster.conftest import all_acked, texts_on
from tests.conftest import ServerFactory
from tests.server import free_port
from tests.yclient import YClient


class OwnRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*command, "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
        )
        for _ in range(200):
            ping = subprocess.run(
                ["redis-cli", "-p", str(self.port), "PING"], capture_output=True, text=True
            )
            if ping.stdout.strip() == "PONG":
                return
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis(redis_url: str) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.skip("needs Debian's redis-server and redis-cli (apt-get install redis-server)")
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_updates_cross_while_redis_is_down_and_the_bus_resumes(
    postgres_url: str, own_redis: OwnRedis, make_server: ServerFactory
):
    env = {"COLLAB_REDIS_URL": own_redis.url, "COLLAB_CLUSTER_CHECK_INTERVAL": "0.5"}
    servers = [make_server(postgres_url, **env) for _ in range(2)]
    for server in servers:
        await server.start()
    async with (
        YClient(servers[0].ws_url, "outage", ack=True) as writer,
        YClient(servers[1].ws_url, "outage") as reader,
    ):
        await writer.synced.wait()
        await reader.synced.wait()
        writer.append("a ")
        await reader.wait_text("a ")
        own_redis.stop()
        writer.append("b ")  # committed while Redis is down: reaches the reader all the same
        await reader.wait_text("a b ", timeout=10)
        assert (await servers[0].health())["status"] == "degraded"
        own_redis.start()  # same port: the processes reconnect by themselves
        for server in servers:
            await server.wait_health(timeout=20, status="ok")
        writer.append("c")
        await reader.wait_text("a b c", timeout=10)
        await writer.wait_for(partial(all_acked, writer))
    assert await texts_on(servers, "outage") == ["a b c", "a b c"]
    async with YClient(servers[1].ws_url, "outage") as fresh:
        await fresh.wait_text("a b c")
    await asyncio.sleep(0)
