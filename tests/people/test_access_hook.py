"""The on_access_change hook: a host app hears every change of who may open a document, made
through the REST API of its process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import collab
from collab.hooks import AccessChanged, Hooks
from tests.inprocess import serving_on_port
from tests.people.accounts import PASSWORD, SECRET, add_person, client


class Recording(Hooks):
    def __init__(self) -> None:
        self.events: list[AccessChanged] = []
        self.arrived = asyncio.Condition()

    async def on_access_change(self, event: AccessChanged) -> None:
        async with self.arrived:
            self.events.append(event)
            self.arrived.notify_all()

    async def wait_for(self, count: int) -> list[AccessChanged]:
        async with asyncio.timeout(10), self.arrived:
            await self.arrived.wait_for(lambda: len(self.events) >= count)
        return self.events


async def test_the_host_hears_sharing_changes(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'collab.db'}"
    hooks = Recording()
    app = collab.create_app(collab.Settings(database_url=url, secret=SECRET), hooks=hooks)
    async with serving_on_port(app) as port:
        await add_person(url, "ada@example.com", "Ada")
        grace = await add_person(url, "grace@example.com", "Grace")
        async with client(f"http://127.0.0.1:{port}") as http:
            me = await http.post(
                "/api/session", json={"email": "ada@example.com", "password": PASSWORD}
            )
            changes = {"X-CSRF-Token": me.json()["csrf_token"]}
            await http.post("/api/rooms", json={"title": "Plan"}, headers=changes)
            share = {"email": "grace@example.com", "role": "editor"}
            await http.post("/api/rooms/plan/access", json=share, headers=changes)
            await http.put("/api/rooms/plan/organisation", json={"role": "viewer"}, headers=changes)
            await http.delete(f"/api/rooms/plan/access/{grace.id}", headers=changes)
            events = await hooks.wait_for(3)
    assert [(e.room, e.person_id, e.role, e.by) for e in events] == [
        ("plan", grace.id, "editor", "Ada"),
        ("plan", None, "viewer", "Ada"),
        ("plan", grace.id, None, "Ada"),
    ]
