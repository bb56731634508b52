"""Interop: the npm packages yjs + y-websocket under Node edit a room with a pycrdt client."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.yclient import YClient

HERE = Path(__file__).parent
SCRIPT = HERE / "node_client.mjs"


def _require_node() -> str:
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed"
    elif not (HERE / "node_modules" / "y-websocket").is_dir():
        missing = "tests/interop/node_modules is missing"
    if missing is None:
        assert node is not None
        return node
    reason = f"{missing}: install Node.js 18+ and run `npm ci` in tests/interop/"
    if os.environ.get("COLLAB_REQUIRE_NODE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


async def test_node_yjs_client_and_pycrdt_client_converge(server: ServerProcess):
    node = _require_node()
    words = 25
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        server.ws_url,
        "interop",
        "N",
        "P",
        str(words),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with YClient(server.ws_url, "interop") as python:
        await python.synced.wait()
        await python.wait_for(lambda: _has_node_presence(python), timeout=20)
        for i in range(words):
            python.insert(len(python.text) // 2 if i % 2 else 0, "P")
            await asyncio.sleep(0.005)
        await python.wait_for(lambda: python.text.count("N") == words, timeout=30)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 40)
        assert process.returncode == 0, stderr.decode()
        node_text = json.loads(stdout)["text"]
        await python.wait_text(node_text)
        assert node_text.count("P") == words and node_text.count("N") == words
        await python.wait_for(lambda: not _has_node_presence(python))


def _has_node_presence(client: YClient) -> bool:
    return any(
        json.loads(state).get("user", {}).get("name") == "node-client"
        for state in client.awareness.values()
    )


async def test_node_client_receives_a_document_written_before_it_connected(server: ServerProcess):
    node = _require_node()
    async with YClient(server.ws_url, "prewritten", ack=True) as python:
        python.append("P" * 3)
        await python.wait_for(lambda: python.acked == 2)
    await server.restart()
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        server.ws_url,
        "prewritten",
        "N",
        "P",
        "3",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 40)
    assert process.returncode == 0, stderr.decode()
    assert json.loads(stdout)["text"].count("P") == 3


async def _burst(server: ServerProcess, room: str, count: int) -> dict[str, object]:
    node = _require_node()
    process = await asyncio.create_subprocess_exec(
        node,
        str(HERE / "node_burst.mjs"),
        server.ws_url,
        server.http_url,
        room,
        str(count),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()
    result: dict[str, object] = json.loads(stdout)
    return result


@pytest.mark.slow
async def test_a_stock_client_writing_2000_quick_edits_loses_none(
    make_server: ServerFactory, sqlite_url: str
):
    """Over its message rate (5,000/s by default; 300/s here) a y-websocket client is throttled,
    not closed with a 44xx code it would never recover from: every one of its edits is stored."""
    server = make_server(
        sqlite_url, COLLAB_RATE_MESSAGES_PER_SECOND="300", COLLAB_RATE_MESSAGE_BURST="300"
    )
    await server.start()
    result = await _burst(server, "burst", 2000)  # far past the 300-message burst
    expected = "".join(f"{i}," for i in range(2000))
    assert result["text"] == expected
    assert result["connects"] == 1 and result["closeCodes"] == []
    async with YClient(server.ws_url, "burst") as reader:
        await reader.wait_text(expected)


async def test_a_stock_client_closed_for_a_persistent_flood_reconnects_and_loses_nothing(
    make_server: ServerFactory, sqlite_url: str
):
    """Even the close for a flood that persists uses a code y-websocket retries (1013): the
    client reconnects, resends what the server lacks, and every edit is stored."""
    server = make_server(
        sqlite_url,
        COLLAB_RATE_MESSAGES_PER_SECOND="40",
        COLLAB_RATE_MESSAGE_BURST="5",
        COLLAB_RATE_CLOSE_AFTER="0.3",
    )
    await server.start()
    result = await _burst(server, "persistent", 600)
    assert result["text"] == "".join(f"{i}," for i in range(600))
    assert 1013 in result["closeCodes"]  # type: ignore[operator]
    assert int(result["connects"]) > 1, result  # type: ignore[call-overload]


async def test_a_stock_client_back_with_its_id_is_seen_though_the_others_echoed_its_leave(
    server: ServerProcess,
):
    """y-websocket clients echo every removal they receive, after the server has forgotten
    the leaver's id; the leaver comes back with the same id (a provider's reconnect), and a
    third client sees its new state (the echo used to take the id, and the server refused
    the returning client's presence while the echoer stayed)."""
    node = _require_node()
    process = await asyncio.create_subprocess_exec(
        node,
        str(HERE / "node_presence_return.mjs"),
        server.ws_url,
        "presence-return",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 40)
    assert process.returncode == 0, stderr.decode()
    assert json.loads(stdout) == {"seen": True}
