"""State-changing REST requests from other web pages are refused (development mode needs no
token, so a simple cross-site POST could otherwise write to a local server), and sockets that
never send a whole request head are closed."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import ServerFactory
from tests.server import ServerProcess

EVIL = {"Origin": "https://evil.example"}


async def test_cross_site_writes_are_refused_and_same_site_ones_work(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/victim")).status_code in (200, 201)
        form_like = {"Content-Type": "text/plain"}
        response = await http.post(
            "/victim/updates", content=b"\x00\x00", headers={**EVIL, **form_like}
        )
        assert response.status_code == 403 and "cross-site" in response.json()["detail"]
        # An old browser that sends no Origin: the form's media type gives it away.
        response = await http.post("/victim/versions", content=b'{"label":"x"}', headers=form_like)
        assert response.status_code == 415 and "application/json" in response.json()["detail"]
        response = await http.post("/victim/updates", content=b"\x00\x00")
        assert response.status_code == 415  # a Yjs update says so
        assert (await http.delete("/victim", headers=EVIL)).status_code == 403
        assert (
            await http.post("/victim/copy", json={"to": "stolen"}, headers=EVIL)
        ).status_code == 403
        assert (await http.get("/victim")).status_code == 200  # still there
        own = {"Origin": server.http_url}
        created = await http.post("/victim/versions", json={"label": "ok"}, headers=own)
        assert created.status_code in (200, 201), created.text
        assert (await http.get("/victim", headers=EVIL)).status_code == 200  # reads are fine


async def test_a_body_sent_after_100_continue_is_not_cut_off_by_the_header_timeout(
    make_server: ServerFactory, sqlite_url: str
):
    """The header timeout bounds request heads: a client that waits for "100 Continue" and
    then takes longer than the timeout to send its body still gets its answer."""
    server = make_server(sqlite_url, COLLAB_HEADER_TIMEOUT="1")
    await server.start()
    body = b'{"title": "Slow upload"}'
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        b"POST /api/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    await writer.drain()
    async with asyncio.timeout(15):
        assert b" 100 " in await reader.readuntil(b"\r\n\r\n")
    writer.write(body[:5])
    await writer.drain()
    await asyncio.sleep(2)  # two header timeouts with the body half sent
    writer.write(body[5:])
    await writer.drain()
    async with asyncio.timeout(15):
        head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201"), head
    writer.close()


async def test_sockets_that_send_no_request_head_are_closed(
    make_server: ServerFactory, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_HEADER_TIMEOUT="1")
    await server.start()
    sockets = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(40)]
    for _, writer in sockets[::2]:  # half trickle part of a request head, then stall
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        await writer.drain()
    async with asyncio.timeout(15):
        for reader, _ in sockets:
            assert await reader.read() == b""  # closed by the server
    for _, writer in sockets:
        writer.close()
    assert (await server.health())["status"] == "ok"
    # A keep-alive connection between requests gets the same bound.
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    assert b" 200 " in await reader.readuntil(b"\r\n\r\n")
    writer.write(b"GET /healthz HTTP/1.1\r\nHost")
    await writer.drain()
    async with asyncio.timeout(15):
        while await reader.read(65536):
            pass
    writer.close()
