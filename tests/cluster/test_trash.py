"""The trash across processes: a delete on one process closes the editors on every process,
no process loads the trashed room meanwhile, and a restore on any process brings it back to
all of them with its text."""

from __future__ import annotations

import httpx

from tests.cluster.conftest import ClusterFactory
from tests.yclient import YClient


async def test_a_delete_closes_every_process_and_a_restore_anywhere_brings_it_back(
    start_cluster: ClusterFactory,
):
    servers = await start_cluster(2, COLLAB_TRASH_DAYS="30")
    editors = [YClient(server.ws_url, "shared", ack=True) for server in servers]
    for editor in editors:
        await editor.connect()
        await editor.synced.wait()
    editors[0].append("kept text")
    await editors[1].wait_text("kept text")
    await editors[0].wait_for(lambda: editors[0].acked == editors[0].sent_updates)

    async with httpx.AsyncClient(timeout=30) as http:
        deleted = await http.delete(f"{servers[1].http_url}/api/rooms/shared")
        assert deleted.status_code == 204, deleted.text
        for editor in editors:
            assert (await editor.wait_closed())[0] == 4410
        late = YClient(servers[0].ws_url, "shared")
        await late.connect()
        assert (await late.wait_closed())[0] == 4410, "a trashed room is loaded on no process"

        restored = await http.post(f"{servers[0].http_url}/api/trash/shared/restore")
        assert restored.status_code == 200, restored.text
        listed = await http.get(f"{servers[1].http_url}/api/rooms/shared")
        assert listed.status_code == 200, listed.text
    for server in servers:
        async with YClient(server.ws_url, "shared") as back:
            await back.wait_text("kept text")
