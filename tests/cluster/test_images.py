"""Images across the processes of a cluster: one uploaded through one process is served by
another (the bytes are in the shared database, no shared folder), and a room deleted on one is
deleted with its images for all."""

from __future__ import annotations

import httpx

from tests.auth.test_websocket_auth import SECRET, token
from tests.cluster.conftest import ClusterFactory
from tests.images.pictures import png


def as_(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('doc', role, name='Ada')}"}


async def test_an_image_uploaded_on_one_process_is_served_by_another(
    start_cluster: ClusterFactory,
):
    here, there = await start_cluster(2, COLLAB_SECRET=SECRET)
    async with httpx.AsyncClient(timeout=30) as http:
        made = await http.put(f"{here.http_url}/api/rooms/doc", headers=as_("admin"))
        assert made.is_success, made.text
        upload = await http.post(
            f"{here.http_url}/api/rooms/doc/images",
            content=png(4, 4),
            headers={**as_("editor"), "content-type": "image/png"},
        )
        assert upload.status_code == 201, upload.text
        url = upload.json()["url"]
        served = await http.get(f"{there.http_url}{url}", headers=as_("viewer"))
        assert served.status_code == 200 and served.content == png(4, 4)
        deleted = await http.delete(f"{there.http_url}/api/rooms/doc", headers=as_("admin"))
        assert deleted.status_code == 204
        gone = await http.get(f"{here.http_url}{url}", headers=as_("viewer"))
        assert gone.status_code == 404
