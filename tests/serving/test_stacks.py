"""SIGUSR1 makes a running `collab serve` write what every thread and every task is doing
(collab.serving.stacks), and it goes on serving."""

from __future__ import annotations

import signal

import httpx

from tests.server import ServerProcess
from tests.yclient import YClient


async def test_sigusr1_writes_every_thread_and_task_and_the_server_goes_on(
    server: ServerProcess,
) -> None:
    assert server.process is not None
    async with YClient(server.ws_url, "stacks") as client:  # a connection's task to show
        await client.synced.wait()
        server.process.send_signal(signal.SIGUSR1)
        await server.wait_log("asyncio tasks, each from its outermost call")
        log = server.log_text()
        assert "Current thread" in log  # faulthandler: the stacks of the threads
        assert "Task 'collab writer':" in log
        assert "collab/rooms/writer.py" in log  # where the writer waits, by file and line
        client.append("still served")
        async with YClient(server.ws_url, "stacks") as other:
            await other.wait_text("still served")
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{server.http_url}/healthz")).status_code == 200
