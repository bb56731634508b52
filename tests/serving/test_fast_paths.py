"""The WebSocket fast paths are taken under real traffic, and /metrics says so: frames read by
collab's reader, written straight to the socket, and echoes screened before the app. A fast
path that stops being taken makes these fail (the counters stop moving)."""

from __future__ import annotations

from typing import Any

import websockets
from pycrdt import Doc, Text

from collab.protocol.messages import encode_update
from tests.conftest import ServerFactory
from tests.server import ServerProcess
from tests.test_metrics import scrape
from tests.yclient import YClient

READ = "collab_ws_frames_read_total"
WRITTEN = "collab_ws_frames_written_total"
SCREENED = ("collab_ws_echoes_screened_total", "")


def _moved(before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]):
    """How far each fast-path counter moved between two scrapes."""
    keys = [
        (READ, "reader=collab"),
        (READ, "reader=websockets"),
        (WRITTEN, "path=direct"),
        (WRITTEN, "path=asgi"),
        SCREENED,
    ]
    moved = {}
    for name, label in keys:
        moved[f"{name}{{{label}}}"] = after[(name, label)] - before[(name, label)]
    return moved


def _edit(text: str) -> bytes:
    doc: Doc[Any] = Doc()
    doc.get("content", type=Text).insert(0, text)
    return doc.get_update()


async def test_every_fast_path_is_taken_under_real_traffic(server: ServerProcess):
    before = await scrape(server)
    async with YClient(server.ws_url, "fast") as ada, YClient(server.ws_url, "fast") as bo:
        await ada.synced.wait()
        await bo.synced.wait()
        ada.append("hello")
        await bo.wait_text("hello")
        state = {"user": {"name": "Ada"}}
        mine = ada.set_awareness(1, state)
        await ada.send_raw(mine)
        await bo.wait_for(lambda: ada.doc.client_id in bo.awareness)
        for _ in range(5):  # what a stock client does with every awareness change it gets
            await bo.send_raw(mine)
        await bo.send_raw(bo.set_awareness(1, {"user": {"name": "Bo"}}))
        await ada.wait_for(lambda: bo.doc.client_id in ada.awareness)  # read after the echoes
        moved = _moved(before, await scrape(server))
    # Each client sent SyncStep1, SyncStep2 and its awareness; Ada an update, Bo five echoes.
    assert moved[f"{READ}{{reader=collab}}"] >= 11, moved
    assert moved[f"{READ}{{reader=websockets}}"] == 0, moved
    assert moved["collab_ws_echoes_screened_total{}"] == 5, moved
    # Each got the other's SyncStep1 answers, the update or its echo, and awareness.
    assert moved[f"{WRITTEN}{{path=direct}}"] >= 6, moved
    assert moved[f"{WRITTEN}{{path=asgi}}"] == 0, moved


async def test_frames_websockets_reads_are_counted_apart(server: ServerProcess):
    """A fragmented message is websockets' to put together; the reader counts say so."""
    update = encode_update(_edit("in pieces"))
    before = await scrape(server)
    async with YClient(server.ws_url, "pieces") as watcher:
        async with websockets.connect(f"{server.ws_url}/pieces") as ws:
            await ws.send([update[:3], update[3:]])
            await watcher.wait_text("in pieces")
    moved = _moved(before, await scrape(server))
    # Two pieces, and the empty final frame websockets' client ends a fragmented message with.
    assert moved[f"{READ}{{reader=websockets}}"] == 3, moved


async def test_with_compression_every_frame_takes_websockets_path(
    make_server: ServerFactory, sqlite_url: str
):
    """permessage-deflate changes frames' bytes: websockets reads and writes them all, and the
    documents still converge."""
    server = make_server(sqlite_url, COLLAB_WS_COMPRESSION="true")
    await server.start()
    before = await scrape(server)
    async with YClient(server.ws_url, "packed") as ada, YClient(server.ws_url, "packed") as bo:
        await ada.synced.wait()
        ada.append("squeezed " * 100)
        await bo.wait_text("squeezed " * 100)
    moved = _moved(before, await scrape(server))
    assert moved[f"{READ}{{reader=collab}}"] == 0, moved
    assert moved[f"{READ}{{reader=websockets}}"] >= 5, moved
    assert moved[f"{WRITTEN}{{path=direct}}"] == 0, moved
    assert moved[f"{WRITTEN}{{path=asgi}}"] >= 3, moved
