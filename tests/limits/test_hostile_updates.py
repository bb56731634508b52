"""Updates that would crash yrs (values or shared types nested thousands deep) are refused
before pycrdt decodes them, on every way in, and the server and the room carry on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from collab.protocol.messages import encode_update
from tests.launcher import run_collab
from tests.protocol.yupdates import deep_any_update, deep_format_update, deep_map_chain, map_in
from tests.server import ServerProcess
from tests.yclient import YClient


async def _attack(server: ServerProcess, room: str, update: bytes) -> tuple[int | None, str]:
    attacker = YClient(server.ws_url, room)
    await attacker.connect()
    await attacker.synced.wait()
    await attacker.send_raw(encode_update(update))
    return await attacker.wait_closed()


async def test_deep_values_and_types_over_websocket_close_1007_and_spare_the_room(
    server: ServerProcess,
):
    async with (
        YClient(server.ws_url, "target", ack=True) as alice,
        YClient(server.ws_url, "target") as bob,
    ):
        alice.append("safe")
        await bob.wait_text("safe")
        for update in (
            deep_any_update(25_000),
            deep_any_update(65),
            deep_map_chain(100_000, delete_first=True),
            deep_format_update(20_000),
        ):
            code, reason = await _attack(server, "target", update)
            assert code == 1007 and "nested deeper" in reason, reason
        alice.append("!")
        await bob.wait_text("safe!")
    assert (await server.health())["status"] == "ok"
    await server.restart()  # nothing of the attacks was stored
    async with YClient(server.ws_url, "target") as reader:
        await reader.wait_text("safe!")
        assert set(reader.doc.keys()) == {"content"}


async def test_nesting_at_the_limit_is_accepted_and_one_more_level_is_refused(
    server: ServerProcess,
):
    async with YClient(server.ws_url, "levels", ack=True) as writer:
        await writer.synced.wait()
        await writer.send_raw(encode_update(deep_any_update(64, root="ok", client=5)))
        await writer.send_raw(encode_update(deep_map_chain(64, client=6)))
        await writer.wait_for(lambda: writer.acked == 3)
    # The chain grows one map per update, each under the last: the 65th level is refused
    # although every update on its own is one small map.
    code, reason = await _attack(server, "levels", map_in(6, 63, 7, 0))
    assert code == 1007 and "shared types nested deeper than 64" in reason
    async with YClient(server.ws_url, "levels") as reader:
        await reader.synced.wait()
        assert len(reader.doc.get_update()) > 100


async def test_rest_updates_and_imports_are_checked_too(server: ServerProcess, tmp_path: Path):
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api") as http:
        assert (await http.put("/rooms/rest")).status_code in (200, 201)
        for update in (deep_any_update(25_000), deep_map_chain(100_000, delete_first=True)):
            response = await http.post(
                "/rooms/rest/updates",
                content=update,
                headers={"content-type": "application/octet-stream"},
            )
            assert response.status_code == 422, response.text
            assert "nested deeper" in response.json()["detail"]
    poison = tmp_path / "poison.yjs"
    poison.write_bytes(deep_any_update(25_000))
    result = run_collab(["import", "imported", str(poison), "--database-url", server.database_url])
    assert result.returncode == 1 and b"nested deeper" in result.stderr
    assert (await server.health())["status"] == "ok"


async def test_rest_and_import_updates_may_build_on_types_the_room_has(
    server: ServerProcess, tmp_path: Path
):
    """The nesting check runs against the room's document: an update that puts a map inside
    a map the room already holds is not 'hung off items the document lacks'."""
    from pycrdt import Doc, Map

    doc: Doc[Any] = Doc()
    outer = doc.get("m", type=Map)
    outer["inner"] = Map({"a": 1})
    headers = {"content-type": "application/octet-stream"}
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/built")).status_code in (200, 201)
        first = await http.post("/built/updates", content=doc.get_update(), headers=headers)
        assert first.is_success
        base = doc.get_state()
        outer["inner"]["child"] = Map({"b": 2})
        response = await http.post("/built/updates", content=doc.get_update(base), headers=headers)
        assert response.status_code == 200, response.text
        base = doc.get_state()
        outer["inner"]["child"]["grandchild"] = Map({"c": 3})
        delta = tmp_path / "delta.yjs"
        delta.write_bytes(doc.get_update(base))
        result = run_collab(["import", "built", str(delta), "--database-url", server.database_url])
        assert result.returncode == 0, result.stderr
    await server.restart()  # the import shows when the room next loads
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        snapshot = (await http.get("/built/snapshot", params={"format": "json"})).json()
    assert snapshot["m"] == {"inner": {"a": 1, "child": {"b": 2, "grandchild": {"c": 3}}}}
