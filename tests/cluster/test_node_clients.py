"""Stock clients nobody here wrote: yjs + y-websocket under Node, on two processes of one
cluster, editing one room at once."""

from __future__ import annotations

import asyncio
import json

from tests.cluster.conftest import ClusterFactory
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
