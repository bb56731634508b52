"""Interop: a Yjs client editing between the two UTF-16 halves of an emoji (issue 10 item 5).

Yjs shows U+FFFD for each half; yrs on its own kept the emoji whole, so after "X" went in at
UTF-16 index 2 of "a😀b" the server's snapshot said "a😀bX" and a client joining later, given
yrs' encoding, "a\ufffdbX\ufffd". Whatever the server stores and re-encodes (compaction, a
restart), everyone must hold the text the connected clients hold.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServerFactory
from tests.interop.test_node_client import _require_node
from tests.server import ServerProcess
from tests.yclient import YClient

SCRIPT = Path(__file__).parent / "node_surrogates.mjs"
# What Yjs makes of "a😀b" after each edit at UTF-16 index 2 (node_surrogates.mjs).
EXPECTED = {"insert": "a\ufffdX\ufffdb", "delete": "a\ufffdb", "format": "a\ufffd\ufffdb"}


async def _node(
    node: str, server: ServerProcess, room: str, *args: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        server.ws_url,
        room,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _line(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 25)
    if not line:
        assert process.stderr is not None
        raise AssertionError((await process.stderr.read()).decode())
    found: dict[str, Any] = json.loads(line)
    return found


async def _join(node: str, server: ServerProcess, room: str) -> dict[str, Any]:
    """What a Yjs client joining now holds: {text, delta}."""
    process = await _node(node, server, room, "join")
    shown = await _line(process)
    await asyncio.wait_for(process.wait(), 10)
    return shown


async def _snapshot(server: ServerProcess, room: str) -> tuple[str, Any]:
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        text = await http.get(f"/api/rooms/{room}/snapshot", params={"format": "text"})
        as_json = await http.get(f"/api/rooms/{room}/snapshot", params={"format": "json"})
    assert text.status_code == as_json.status_code == 200, text.text
    return text.text, as_json.json()


async def _compacted(server: ServerProcess, room: str) -> None:
    """Wait until the server has folded the room's log into its stored state."""
    async with asyncio.timeout(10):
        while f"room {room}: compacted" not in server.log_text():
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("edit", list(EXPECTED))
async def test_an_edit_inside_an_emoji_leaves_everyone_the_connected_clients_text(
    make_server: ServerFactory, sqlite_url: str, edit: str
):
    node = _require_node()
    server = make_server(sqlite_url, COLLAB_COMPACT_MAX_UPDATES="2")
    await server.start()
    editors = await _node(node, server, "emoji", edit)
    connected = await _line(editors)
    shown = connected["a"]
    assert connected["b"] == shown
    assert shown["text"] == EXPECTED[edit]

    assert await _join(node, server, "emoji") == shown
    text, as_json = await _snapshot(server, "emoji")
    assert text == EXPECTED[edit]
    assert as_json["content"] == EXPECTED[edit]

    assert editors.stdin is not None
    editors.stdin.close()
    assert await _line(editors) == connected, "the server changed what the connected clients show"
    assert await asyncio.wait_for(editors.wait(), 10) == 0

    await _compacted(server, "emoji")
    await server.restart()
    assert await _join(node, server, "emoji") == shown
    assert (await _snapshot(server, "emoji"))[0] == EXPECTED[edit]


async def test_a_yjs_insert_inside_an_emoji_the_server_wrote_is_repaired_too(
    server: ServerProcess,
):
    """The emoji comes from a REST edit (a server-side edit; pycrdt counts UTF-8 bytes, the
    server converts code points) after the room has seen a client's update: the room notes the
    pairs its own edits write, not only those clients send."""
    node = _require_node()
    async with YClient(server.ws_url, "written", ack=True) as python:
        python.append("b")
        await python.wait_for(lambda: python.acked == python.sent_updates)
        async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
            insert = {"op": "insert", "index": 0, "text": "a😀"}
            response = await http.patch("/written/text", json={"ops": [insert]})
            assert response.status_code == 200, response.text
        await python.wait_text("a😀b")
    editors = await _node(node, server, "written", "insert", "written")
    connected = await _line(editors)
    assert connected["a"] == connected["b"]
    assert connected["a"]["text"] == EXPECTED["insert"]
    assert await _join(node, server, "written") == connected["a"]
    assert (await _snapshot(server, "written"))[0] == EXPECTED["insert"]
    assert editors.stdin is not None
    editors.stdin.close()
    assert await asyncio.wait_for(editors.wait(), 10) == 0
