"""Processes coming and going under load: a client joining during a burst on another process,
and a rolling restart of every process while stock clients keep typing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import ClusterFactory, texts_on
from tests.interop.test_node_client import _require_node
from tests.server import ServerProcess
from tests.yclient import YClient

TYPIST = Path(__file__).parent.parent / "interop" / "node_typist.mjs"


async def test_a_client_joining_another_process_during_a_burst_misses_nothing(
    start_cluster: ClusterFactory,
):
    first, second = await start_cluster(2)
    async with YClient(first.ws_url, "burst", ack=True) as writer:
        await writer.synced.wait()

        async def burst() -> None:
            for i in range(600):
                writer.append(f"<{i}>")
                await asyncio.sleep(0.002)

        stream = asyncio.create_task(burst())
        await writer.wait_for(lambda: writer.text.count("<") >= 150, timeout=20)
        async with YClient(second.ws_url, "burst") as joiner:  # loads the room mid-burst
            await stream
            expected = "".join(f"<{i}>" for i in range(600))
            await writer.wait_for(lambda: writer.acked == writer.sent_updates, timeout=20)
            await joiner.wait_text(expected, timeout=20)
    async with YClient(second.ws_url, "burst") as fresh:
        await fresh.wait_text(expected)


@pytest.mark.slow
@pytest.mark.timeout(150)  # its own waits below end first, and say what was missing
async def test_a_rolling_restart_with_clients_typing_loses_nothing(
    start_cluster: ClusterFactory, tmp_path: Path
):
    node = _require_node()
    servers = await start_cluster(3)
    stop = tmp_path / "stop"
    typists = [
        await asyncio.create_subprocess_exec(
            node,
            str(TYPIST),
            server.ws_url,
            "rolling",
            f"t{index}",
            "6000",
            str(stop),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for index, server in enumerate(servers)
    ]
    try:
        results = await _type_through_restarts(servers, typists, stop)
    finally:
        for typist in typists:  # none left running (or holding pipes) for the next test
            if typist.returncode is None:
                typist.kill()
                await typist.communicate()
    markers = [f"<t{i}.{n}>" for i, result in enumerate(results) for n in range(result["typed"])]
    codes = [result["closeCodes"] for result in results]
    assert all(1012 in closes for closes in codes), codes
    # Nothing else closed them but their tries while their server was down (1006): never
    # their keystrokes of the round trip after reconnecting, sent before their SyncStep2
    # brings what they typed offline (content/pending.py: that was 1007).
    assert all(set(closes) <= {1012, 1006} for closes in codes), codes
    for result in results:
        assert all(result["text"].count(marker) == 1 for marker in markers)
    assert len({result["text"] for result in results}) == 1
    async with YClient(servers[0].ws_url, "rolling") as fresh:  # and the database holds it all
        await fresh.wait_text(results[0]["text"])


async def _type_through_restarts(
    servers: list[ServerProcess], typists: list[asyncio.subprocess.Process], stop: Path
) -> list[dict[str, Any]]:
    """Restart each server in turn while the typists type; then tell them how much each typed
    and return what each holds once it holds all of it. If one never does, fail with what each
    still waited for (their standard error) and what each server's copy holds."""
    for typist in typists:  # every one connected and typing before the first restart
        assert typist.stdout is not None
        ready = await asyncio.wait_for(typist.stdout.readline(), 30)
        assert json.loads(ready) == {"ready": True}
    await asyncio.sleep(0.3)
    for server in servers:  # SIGTERM each in turn: its clients get 1012 and reconnect
        await server.restart()
        await asyncio.sleep(0.8)
    counts = {}
    for index, typist in enumerate(typists):  # each says how much it typed, then waits
        assert typist.stdout is not None
        counts[f"t{index}"] = json.loads(await asyncio.wait_for(typist.stdout.readline(), 30))[
            "typed"
        ]
    written = stop.with_suffix(".tmp")  # whole or not at all: the typists read it once it exists
    written.write_text(json.dumps(counts))
    written.rename(stop)
    finished = asyncio.gather(*(typist.communicate() for typist in typists))
    try:
        outputs = await asyncio.wait_for(finished, 45)
    except TimeoutError:
        markers = [f"<{tag}.{n}>" for tag, count in counts.items() for n in range(count)]
        copies = await texts_on(servers, "rolling")
        held = [sum(marker not in copy for marker in markers) for copy in copies]
        for typist in typists:
            if typist.returncode is None:
                typist.kill()
        said = [(await typist.communicate())[1].decode()[-1500:] for typist in typists]
        pytest.fail(f"not every typist converged; markers each server lacks: {held}; {said}")
    results = []
    for typist, (stdout, stderr) in zip(typists, outputs, strict=True):
        assert typist.returncode == 0, stderr.decode()
        results.append(json.loads(stdout))
    return results
