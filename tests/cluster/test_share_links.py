"""A share link revoked on one process of a cluster closes its connections on the others (by
their periodic check of the links in use, COLLAB_LINK_RECHECK: 5 s by default, 0.5 s here)."""

from __future__ import annotations

import httpx

from tests.auth.test_websocket_auth import SECRET, token
from tests.cluster.conftest import ClusterFactory
from tests.yclient import YClient


def admin() -> dict[str, str]:
    """Fresh each time: a token made at import expires before a long run reaches the test."""
    return {"Authorization": f"Bearer {token('doc', 'admin')}"}


async def test_a_link_revoked_on_one_process_closes_its_connections_on_the_others(
    start_cluster: ClusterFactory,
):
    here, there = await start_cluster(2, COLLAB_SECRET=SECRET, COLLAB_LINK_RECHECK="0.5")
    async with httpx.AsyncClient(timeout=30) as http:
        await http.put(f"{here.http_url}/api/rooms/doc", headers=admin())
        made = await http.post(
            f"{here.http_url}/api/rooms/doc/links", json={"role": "editor"}, headers=admin()
        )
        link = made.json()
        async with YClient(there.ws_url, "doc", token=link["token"]) as remote:
            await remote.synced.wait()
            revoked = await http.delete(
                f"{here.http_url}/api/rooms/doc/links/{link['id']}", headers=admin()
            )
            assert revoked.json()["closed_connections"] == 0, "nobody came through it here"
            # Nothing on `there` heard of the revoke: only its periodic check can close this.
            assert await remote.wait_closed(timeout=15) == (4403, "link revoked")
    late = YClient(there.ws_url, "doc", token=link["token"])
    await late.connect()
    assert await late.wait_closed() == (4403, "link revoked")
