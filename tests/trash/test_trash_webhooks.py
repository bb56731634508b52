"""Webhooks of the trash: room.deleted when a document goes to the trash, room.restored when
it comes back, room.purged when it is deleted forever, in that order, signed."""

from __future__ import annotations

import httpx

from tests.conftest import ServerFactory
from tests.test_webhooks import Receiver, receiving, verified, webhook_server


async def test_deleted_restored_and_purged_are_announced(
    make_server: ServerFactory, sqlite_url: str
):
    async with receiving(Receiver()) as receiver:
        server = webhook_server(
            make_server, sqlite_url, receiver, COLLAB_TRASH_DAYS="30", COLLAB_WEBHOOK_DEBOUNCE="0.2"
        )
        await server.start()
        async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api") as http:
            assert (await http.put("/rooms/plan")).status_code == 201
            assert (await http.patch("/rooms/plan/text", json={"text": "hi"})).status_code == 200
            await receiver.wait(lambda: bool(receiver.delivered("document.changed")))
            assert (await http.delete("/rooms/plan")).status_code == 204
            await receiver.wait(lambda: bool(receiver.delivered("room.deleted")))
            assert (await http.post("/trash/plan/restore")).status_code == 200
            await receiver.wait(lambda: bool(receiver.delivered("room.restored")))
            assert (await http.delete("/rooms/plan")).status_code == 204
            await receiver.wait(lambda: len(receiver.delivered("room.deleted")) == 2)
            assert (await http.delete("/trash/plan")).status_code == 204
            await receiver.wait(lambda: bool(receiver.delivered("room.purged")))
        events = [r.event for r in receiver.delivered()]
        assert events == [
            "document.changed",
            "room.deleted",
            "room.restored",
            "room.deleted",
            "room.purged",
        ], events
        assert all(r.json["room"] == "plan" for r in receiver.delivered())
        assert all(verified(r) for r in receiver.requests)
