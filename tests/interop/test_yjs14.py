"""Interop: Yjs 14 (`@y/y` 14.0.0-rc.7) with `@y/websocket` 4.0.0-3 under Node, beside a Yjs 13
client and a pycrdt one, in one room: updates round-trip both ways through pycrdt and the
database, and with `?echo=1` every change it makes comes back once committed, which is how
`@y/websocket` 4 knows its changes are stored (docs/protocol.md, Echoes; docs/yjs14.md)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from pycrdt import XmlElement, XmlFragment, XmlText

from collab.protocol.encoding import write_var_bytes
from tests.interop.test_node_client import _require_node
from tests.server import ServerProcess
from tests.yclient import YClient

HERE = Path(__file__).parent
FINAL = "[13 while 14 was away] says hi. thirteen answers. [14 offline]"


async def _run(server: ServerProcess, room: str, *, echo: bool) -> dict[str, Any]:
    node = _require_node()
    assert (HERE / "node_modules" / "@y" / "websocket").is_dir(), "run `npm ci` in tests/interop"
    process = await asyncio.create_subprocess_exec(
        node,
        str(HERE / "node_yjs14.mjs"),
        server.ws_url,
        room,
        "1" if echo else "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 40)
    assert process.returncode == 0, stderr.decode()
    report: dict[str, Any] = json.loads(stdout)
    return report


async def test_yjs14_and_yjs13_clients_converge_through_pycrdt_and_echoes_confirm(
    server: ServerProcess,
) -> None:
    report = await _run(server, "fourteen", echo=True)
    assert report["text14"] == report["text13"] == FINAL
    # Yjs 14's formatting reached Yjs 13 as the same attribute.
    assert json.loads(report["steps"]["formatted13"]) == {
        "insert": "fourteen",
        "attributes": {"bold": True},
    }
    # Everything it wrote, deleted and wrote offline came back committed.
    assert report["unconfirmed"] == 0
    assert report["steps"]["presence"] is True
    # What the server stored is what both clients hold, for pycrdt and over REST.
    async with YClient(server.ws_url, "fourteen") as python:
        await python.wait_text(FINAL)
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        text = await http.get("/api/rooms/fourteen/snapshot", params={"format": "text"})
    assert text.status_code == 200 and text.text == FINAL


async def test_without_echo_a_yjs14_client_never_sees_its_changes_confirmed(
    server: ServerProcess,
) -> None:
    """The default stays y-websocket's: a sender's own updates are not sent back to it. By the
    time the Yjs 13 client's reply (committed after its change) arrives, nothing of its own
    change has come back, and its offline edit is still unconfirmed at the end."""
    report = await _run(server, "fourteen-quiet", echo=False)
    assert report["text14"] == report["text13"] == FINAL
    assert report["steps"]["unconfirmedAfterReply"] >= 1
    assert report["unconfirmed"] >= 1


async def test_yjs14_rich_text_is_kept_and_a_restore_that_would_lose_it_is_refused(
    server: ServerProcess,
) -> None:
    """Yjs 14 keeps a rich-text block's text directly in its element (no Y.XmlText). Such a
    document is stored and served byte for byte; pycrdt does not list that text among an
    element's children, so a restore (which copies the tree) would drop it: it is refused with
    409, and the document is left as it was."""
    node = _require_node()
    made = await asyncio.create_subprocess_exec(
        node, str(HERE / "node_yjs14_rich.mjs"), stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(made.communicate(), 20)
    update = bytes.fromhex(stdout.decode().strip())
    stored = '<heading level="2">Title</heading><paragraph>hello bold</paragraph>'
    async with YClient(server.ws_url, "rich14", ack=True) as writer:
        await writer.synced.wait()
        await writer.send_raw(b"\x00\x02" + write_var_bytes(update))
        await writer.wait_for(lambda: writer.acked == 1)
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        saved = await http.post("/rich14/versions", json={"label": "v14"})
        assert saved.status_code == 201, saved.text
        async with YClient(server.ws_url, "rich14", ack=True) as editor:
            await editor.synced.wait()
            tree = editor.doc.get("default", type=XmlFragment)
            tree.children.append(XmlElement("paragraph", None, [XmlText("later")]))
            await editor.wait_for(lambda: editor.acked == editor.sent_updates)
        stored += "<paragraph>later</paragraph>"
        restored = await http.post(f"/rich14/versions/{saved.json()['id']}/restore")
        assert restored.status_code == 409, restored.text
        assert "Yjs 14" in restored.json()["detail"]
        as_json = await http.get("/rich14/snapshot", params={"format": "json"})
    assert as_json.json() == {"default": stored}
    async with YClient(server.ws_url, "rich14") as reader:
        await reader.synced.wait()
        assert str(reader.doc.get("default", type=XmlFragment)) == stored
