"""Stock clients nobody here wrote: yjs + y-websocket under Node, on two processes of one
cluster, editing one room at once."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.cluster.conftest import ClusterFactory
from tests.interop.hocuspocus_driver import MAJORS, Providers, require_node
from tests.interop.test_node_client import SCRIPT, _require_node
from tests.yclient import YClient


async def test_two_y_websocket_clients_on_two_processes_converge(start_cluster: ClusterFactory):
    node = _require_node()
    first, second = await start_cluster(2)
    words = 40
    runs = [
        await asyncio.create_subprocess_exec(
            node,
            str(SCRIPT),
            server.ws_url,
            "stock",
            own,
            other,
            str(words),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for server, own, other in ((first, "N", "M"), (second, "M", "N"))
    ]
    outputs = [await asyncio.wait_for(run.communicate(), 60) for run in runs]
    for run, (_, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr.decode()
    texts = [json.loads(stdout)["text"] for stdout, _ in outputs]
    assert texts[0] == texts[1]
    assert texts[0].count("N") == words and texts[0].count("M") == words
    async with YClient(second.ws_url, "stock") as fresh:  # what the database holds, too
        await fresh.wait_text(texts[0])


@pytest.mark.parametrize("major", MAJORS)
async def test_hocuspocus_providers_on_two_processes_converge_and_see_each_other(
    start_cluster: ClusterFactory, major: str
):
    """A Hocuspocus provider on each of two processes: edits and presence cross the bus, and
    each provider's SyncStatus comes once its own process stored the update."""
    require_node()
    first, second = await start_cluster(2)
    async with Providers(major) as node:
        for name, server in (("A", first), ("B", second)):
            await node.socket(name, f"ws://127.0.0.1:{server.port}/hocuspocus")
            await node.open(name.lower(), name, "spread", None)
            await node.wait_event("synced", name.lower())
            await node.run("presence", id=name.lower(), name=f"person-{name}")
        await node.run("insert", id="a", text="from A ")
        await node.wait_text("b", "from A ")
        await node.run("insert", id="b", text="from B")
        await node.wait_saved("a", "from A from B")
        await node.wait_saved("b", "from A from B")
        await node.wait(
            lambda e: (
                e["event"] == "awareness"
                and e["id"] == "a"
                and e["names"] == ["person-A", "person-B"]
            )
        )
    async with YClient(first.ws_url, "spread") as fresh:
        await fresh.wait_text("from A from B")
