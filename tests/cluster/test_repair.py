"""A bus that loses messages: processes notice the gap (or, for a lost last message, the
periodic check notices) and read what they lack from PostgreSQL. Two real uvicorn servers in
this process, each app on a real Redis bus whose receiving side drops chosen messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette

from collab import Settings, create_app
from collab.pubsub import wire
from collab.pubsub.base import Deliver
from collab.pubsub.redis import RedisBus
from collab.rooms.cluster.replication import Cluster
from tests.inprocess import serving
from tests.yclient import YClient


class LossyBus(RedisBus):
    """A RedisBus that loses the committed updates `lose(n)` picks (n counts them from 1)."""

    def __init__(self, url: str, prefix: str, lose: Callable[[int], bool]) -> None:
        super().__init__(url, prefix)
        self._lose = lose
        self.seen = 0
        self.lost = 0

    async def start(self, deliver: Deliver, on_reconnect: Callable[[], None]) -> None:
        def lossy(room: str | None, payload: bytes) -> None:
            if isinstance(wire.decode(payload), wire.Committed):
                self.seen += 1
                if self._lose(self.seen):
                    self.lost += 1
                    return
            deliver(room, payload)

        await super().start(lossy, on_reconnect)


def cluster_of(app: Starlette) -> Cluster:
    cluster: Any = app.state.collab.rooms.cluster
    assert isinstance(cluster, Cluster)
    return cluster


async def two_processes(
    postgres_url: str, redis_url: str, prefix: str, lose: Callable[[int], bool]
) -> tuple[Starlette, Starlette, LossyBus]:
    settings = Settings(database_url=postgres_url, redis_url=redis_url, cluster_check_interval=0.5)
    lossy = LossyBus(redis_url, prefix, lose)
    return (
        create_app(settings, bus=RedisBus(redis_url, prefix)),
        create_app(settings, bus=lossy),
        lossy,
    )


async def test_a_lost_message_is_noticed_at_the_next_and_read_from_the_log(
    postgres_url: str, redis_url: str, bus_prefix: str
):
    sender, receiver, lossy = await two_processes(
        postgres_url, redis_url, bus_prefix, lambda n: n % 3 == 0
    )
    async with serving(sender) as one, serving(receiver) as two:
        async with YClient(one, "lossy", ack=True) as writer, YClient(two, "lossy") as reader:
            await writer.synced.wait()
            await reader.synced.wait()
            for i in range(30):
                writer.append(f"<{i}>")
                await writer.wait_for(lambda: writer.acked == writer.sent_updates)
                await asyncio.sleep(0.02)
            await reader.wait_text("".join(f"<{i}>" for i in range(30)), timeout=10)
        assert lossy.lost >= 9
        assert cluster_of(receiver).gaps >= 1
        assert cluster_of(receiver).catch_ups >= 1


async def test_a_lost_last_message_is_found_by_the_periodic_check(
    postgres_url: str, redis_url: str, bus_prefix: str
):
    losing = {"on": False}
    sender, receiver, lossy = await two_processes(
        postgres_url, redis_url, bus_prefix, lambda n: losing["on"]
    )
    async with serving(sender) as one, serving(receiver) as two:
        async with YClient(one, "tail", ack=True) as writer, YClient(two, "tail") as reader:
            await writer.synced.wait()
            await reader.synced.wait()
            writer.append("first ")
            await reader.wait_text("first ")
            losing["on"] = True
            writer.append("last")  # nothing follows it: no gap to notice
            await writer.wait_for(lambda: writer.acked == writer.sent_updates)
            await reader.wait_text("first last", timeout=10)
        assert lossy.lost >= 1
        assert cluster_of(receiver).gaps == 0
        assert cluster_of(receiver).catch_ups >= 1
