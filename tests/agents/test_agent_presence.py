"""An agent's presence over REST: editors see it by name, marked as an agent, with its status
and its selection as Yjs relative positions; it goes when removed and, on its own, at expiry."""

from __future__ import annotations

import json
from typing import Any

import httpx
from pycrdt import StickyIndex

from tests.agents.test_agent_tokens import _agent_token, _team
from tests.conftest import ServerFactory
from tests.people.accounts import SECRET, add_person, sign_in
from tests.people.test_sharing import editor_of
from tests.yclient import YClient


def _agents(client: YClient) -> list[dict[str, Any]]:
    states = [json.loads(s) for s in client.awareness.values()]
    return [s for s in states if s.get("user", {}).get("agent") is True]


async def test_an_agent_shows_as_working_where_it_is_then_goes(
    make_server: ServerFactory, database_url: str
):
    server = make_server(database_url, COLLAB_SECRET=SECRET)
    await server.start()
    ada_id = (await add_person(database_url, "ada@example.com", "Ada")).id
    await add_person(database_url, "grace@example.com", "Grace")
    await _team(server, "editor")
    token, _ = _agent_token(ada_id, "Ada")
    ada = await sign_in(server, "ada@example.com")
    headers = {"Authorization": f"Bearer {token}"}
    async with editor_of(server, "q3-plan", ada, ack=True) as editor:
        await editor.synced.wait()
        editor.append("hello world")
        # The selection is made on the server's copy: it must hold the text first.
        await editor.wait_for(lambda: editor.acked == editor.sent_updates)
        async with httpx.AsyncClient(
            timeout=30, base_url=server.http_url, headers=headers
        ) as agent:
            body = {"status": "working", "selection": {"index": 6, "length": 5}}
            put = await agent.put("/api/rooms/q3-plan/presence", json=body)
            assert put.status_code == 200, put.text
            await editor.wait_for(lambda: len(_agents(editor)) == 1)
            (state,) = _agents(editor)
            assert state["user"]["name"] == "Scribe (for Ada)"
            assert state["user"]["status"] == "working"
            cursor = state["cursor"]
            anchor = StickyIndex.from_json(cursor["anchor"], editor.content)
            head = StickyIndex.from_json(cursor["head"], editor.content)
            assert (anchor.get_index(), head.get_index()) == (6, 11)
            gone = await agent.delete("/api/rooms/q3-plan/presence")
            assert gone.status_code == 204
            await editor.wait_for(lambda: not _agents(editor))
            short = {"status": "idle", "ttl_seconds": 1}
            assert (await agent.put("/api/rooms/q3-plan/presence", json=short)).status_code == 200
            await editor.wait_for(lambda: len(_agents(editor)) == 1)
            assert _agents(editor)[0]["user"]["status"] == "idle"
            await editor.wait_for(lambda: not _agents(editor), timeout=5)  # expired
    await ada.close()


async def test_only_an_agent_sets_presence_over_rest(make_server: ServerFactory, sqlite_url: str):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    await add_person(sqlite_url, "ada@example.com", "Ada")
    await add_person(sqlite_url, "grace@example.com", "Grace")
    await _team(server, "editor")
    ada = await sign_in(server, "ada@example.com")
    refused = await ada.http.put(
        "/api/rooms/q3-plan/presence", json={"status": "working"}, headers=ada.changes()
    )
    assert refused.status_code == 403
    await ada.close()


async def test_an_agent_set_on_one_process_shows_on_another(
    make_server: ServerFactory, postgres_url: str, redis_url: str, bus_prefix: str
):
    env = {"COLLAB_SECRET": SECRET, "COLLAB_REDIS_URL": redis_url, "COLLAB_BUS_PREFIX": bus_prefix}
    first = make_server(postgres_url, **env)
    await first.start()
    second = make_server(postgres_url, **env)
    await second.start()
    ada_id = (await add_person(postgres_url, "ada@example.com", "Ada")).id
    await add_person(postgres_url, "grace@example.com", "Grace")
    await _team(first, "editor")
    token, _ = _agent_token(ada_id, "Ada")
    ada = await sign_in(first, "ada@example.com")
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        editor_of(second, "q3-plan", ada) as editor,
        httpx.AsyncClient(timeout=30, base_url=first.http_url, headers=headers) as agent,
    ):
        await editor.synced.wait()
        put = await agent.put("/api/rooms/q3-plan/presence", json={"status": "working"})
        assert put.status_code == 200, put.text
        await editor.wait_for(lambda: len(_agents(editor)) == 1)
        assert _agents(editor)[0]["user"]["name"] == "Scribe (for Ada)"
        assert (await agent.delete("/api/rooms/q3-plan/presence")).status_code == 204
        await editor.wait_for(lambda: not _agents(editor))
    await ada.close()
