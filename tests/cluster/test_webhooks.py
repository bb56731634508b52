"""Webhooks of a cluster: real processes on one PostgreSQL; one of them delivers every process's
events, and when it dies another takes over, with the same idempotency keys."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest

from tests.cluster.conftest import ClusterFactory
from tests.server import ServerProcess
from tests.test_webhooks import SECRET, Received, Receiver, receiving

DELIVERS = "this process delivers"


def webhook_env(receiver: Receiver, **more: str) -> dict[str, str]:
    return {
        "COLLAB_WEBHOOK_URLS": receiver.url,
        "COLLAB_WEBHOOK_SECRET": SECRET,
        "COLLAB_WEBHOOK_DEBOUNCE": "0.1",
        "COLLAB_WEBHOOK_BACKOFF": "0.05",
        "COLLAB_WEBHOOK_ATTEMPTS": "1000",
        "COLLAB_UNLOAD_GRACE": "30",
        **more,
    }


def delivering(servers: list[ServerProcess]) -> list[ServerProcess]:
    """The processes that said they deliver."""
    return [server for server in servers if DELIVERS in server.log_text()]


async def the_one_delivering(servers: list[ServerProcess]) -> ServerProcess:
    """Wait until one process says it delivers (its log is the only way to tell)."""
    async with asyncio.timeout(10):
        while not delivering(servers):
            await asyncio.sleep(0.05)
    (found,) = delivering(servers)
    return found


async def edit(server: ServerProcess, room: str, text: str) -> None:
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        answer = await http.put(f"/api/rooms/{room}")
        assert answer.status_code in (200, 201), answer.text
        answer = await http.patch(f"/api/rooms/{room}/text", json={"text": text})
        assert answer.status_code == 200, answer.text


def keys(requests: list[Received]) -> list[str]:
    return [r.headers["collab-delivery"] for r in requests]


async def test_one_process_delivers_the_events_of_every_process(start_cluster: ClusterFactory):
    async with receiving(Receiver()) as receiver:
        servers = await start_cluster(2, **webhook_env(receiver))
        await edit(servers[0], "north", "from the first")
        await edit(servers[1], "south", "from the second")
        await receiver.wait(lambda: len(receiver.delivered()) == 2)
        await edit(servers[1], "north", "from the second too")
        await receiver.wait(lambda: len(receiver.delivered()) == 3)
        bodies = [r.json for r in receiver.delivered()]
        assert sorted(b["room"] for b in bodies) == ["north", "north", "south"]
        north = [b for b in bodies if b["room"] == "north"]
        assert north[0]["last_seq"] < north[1]["first_seq"]  # in order, each change once
        assert len(set(keys(receiver.requests))) == len(receiver.requests) == 3
        await the_one_delivering(servers)  # and only one


async def test_when_the_delivering_process_dies_another_delivers_with_the_same_key(
    start_cluster: ClusterFactory,
):
    failing = True
    receiver = Receiver(status=lambda _: 500 if failing else 200)
    async with receiving(receiver):
        servers = await start_cluster(2, **webhook_env(receiver))
        leader = await the_one_delivering(servers)
        (other,) = [server for server in servers if server is not leader]
        await edit(other, "doc", "hello")
        await receiver.wait(lambda: len(receiver.requests) >= 2)
        await leader.kill()
        failed = list(receiver.requests)
        failing = False
        await receiver.wait(lambda: bool(receiver.delivered()))
        assert DELIVERS in other.log_text()
        assert set(keys(failed)) == set(keys(receiver.delivered()))
        assert {r.body for r in receiver.requests} == {failed[0].body}


async def test_changes_a_dead_process_never_announced_are_swept_up(
    start_cluster: ClusterFactory,
):
    async with receiving(Receiver()) as receiver:
        (leader,) = await start_cluster(
            1, **webhook_env(receiver, COLLAB_WEBHOOK_SWEEP_INTERVAL="0.2")
        )
        # This one would announce its changes only a minute after they commit.
        (late,) = await start_cluster(1, **webhook_env(receiver, COLLAB_WEBHOOK_DEBOUNCE="60"))
        await edit(late, "doc", "hello")
        await late.kill()
        await receiver.wait(lambda: bool(receiver.delivered()))
        body = receiver.delivered()[0].json
        assert (body["event"], body["room"], body["first_seq"]) == ("document.changed", "doc", 1)
        assert delivering([leader, late]) == [leader]


@pytest.mark.timeout(90)
async def test_a_paused_delivering_process_loses_the_lock_to_another(
    start_cluster: ClusterFactory,
):
    async with receiving(Receiver()) as receiver:
        servers = await start_cluster(2, **webhook_env(receiver))
        leader = await the_one_delivering(servers)
        (other,) = [server for server in servers if server is not leader]
        assert leader.process is not None
        leader.process.send_signal(signal.SIGSTOP)
        try:
            await edit(other, "doc", "while paused")
            # The database ends the paused session after its idle timeout (15 s).
            await receiver.wait(lambda: bool(receiver.delivered()), timeout=45)
            assert DELIVERS in other.log_text()
        finally:
            leader.process.send_signal(signal.SIGCONT)
        async with asyncio.timeout(15):
            while "stops delivering" not in leader.log_text():
                await asyncio.sleep(0.05)
        await edit(leader, "doc", "after the pause")
        await receiver.wait(lambda: len(receiver.delivered()) == 2)
        assert len(set(keys(receiver.requests))) == len(receiver.requests) == 2
