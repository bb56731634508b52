"""DNS rebinding: a page on a name its owner pointed at this server's address sends that name
in Host (and in Origin), and is refused before any route runs; the names the server answers
to (localhost, IP addresses, the public URL's host, COLLAB_ALLOWED_HOSTS) still work."""

from __future__ import annotations

import socket

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from collab.api.hosts import AllowedHosts
from collab.config import Settings
from tests.conftest import ServerFactory
from tests.server import ServerProcess


def _as(name: str, server: ServerProcess) -> dict[str, str]:
    """The headers a browser sends from a page at http://NAME:PORT."""
    return {"Host": f"{name}:{server.port}", "Origin": f"http://{name}:{server.port}"}


async def _handshake(server: ServerProcess, name: str) -> int:
    """Open a WebSocket to the server's port as `ws://NAME:PORT` (the name resolved to the
    server's address, as a rebinding does); the handshake's status."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    url = f"ws://{name}:{server.port}/ws/doc"
    try:
        async with connect(url, sock=sock, origin=Origin(f"http://{name}:{server.port}")) as ws:
            assert ws.response is not None
            return ws.response.status_code
    except InvalidStatus as refused:
        return refused.response.status_code


@pytest.fixture
async def named(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(
        sqlite_url,
        COLLAB_ALLOWED_HOSTS="docs.example, .example.org",
        COLLAB_PUBLIC_URL="https://public.example",
    )
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        assert (await http.put("/api/rooms/doc")).status_code == 201
        assert (await http.patch("/api/rooms/doc/text", json={"text": "mine"})).status_code == 200
    return server


async def test_a_rebound_name_can_neither_read_nor_write(server: ServerProcess):
    evil = _as("rebind.evil", server)
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        assert (await http.put("/api/rooms/doc")).status_code == 201
        read = await http.get("/api/rooms/doc/snapshot", params={"format": "text"}, headers=evil)
        assert read.status_code == 421, read.text
        assert read.headers["content-type"] == "application/problem+json"
        assert "COLLAB_ALLOWED_HOSTS" in read.json()["detail"]
        write = await http.patch("/api/rooms/doc/text", json={"text": "owned"}, headers=evil)
        assert write.status_code == 421, write.text
        page = await http.get("/", headers={**evil, "Accept": "text/html"})
        assert page.status_code == 421 and "COLLAB_ALLOWED_HOSTS" in page.text
        text = await http.get("/api/rooms/doc/snapshot", params={"format": "text"})
        assert text.text == ""
    assert await _handshake(server, "rebind.evil") == 403
    assert "refused websocket for host 'rebind.evil:" in server.log_text()


async def test_loopback_names_and_addresses_are_answered(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        for name in ("localhost", "127.0.0.1", "[::1]", "LOCALHOST."):
            answer = await http.put("/api/rooms/doc", headers=_as(name, server))
            assert answer.status_code in (200, 201), (name, answer.text)
        assert (await http.get("/api/rooms/doc", headers={"Host": "localhost"})).status_code == 200
    assert await _handshake(server, "localhost") == 101


async def test_the_public_url_and_the_listed_names_are_answered(named: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=named.http_url) as http:
        for name in ("docs.example", "public.example", "example.org", "a.b.example.org"):
            answer = await http.patch(
                "/api/rooms/doc/text", json={"text": "mine"}, headers=_as(name, named)
            )
            assert answer.status_code == 200, (name, answer.text)
        for name in ("rebind.evil", "docs.example.evil", "notexample.org", "evil-public.example"):
            answer = await http.get("/api/rooms/doc", headers=_as(name, named))
            assert answer.status_code == 421, name
    assert await _handshake(named, "docs.example") == 101
    assert await _handshake(named, "docs.example.evil") == 403


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        (None, True),  # HTTP/1.0 without Host: no browser
        ("localhost:8000", True),
        ("10.1.2.3:8000", True),  # an address cannot be re-pointed
        ("[fe80::1]", True),
        ("team.local:8000", True),
        ("TEAM.LOCAL.", True),
        ("rebind.evil:8000", False),
        ("localhost.evil", False),
        ("team.local.evil", False),
        ("", False),
        ("[::1", False),
    ],
)
def test_allowed_hosts_take_names_without_ports_and_every_address(host: str | None, allowed: bool):
    hosts = AllowedHosts.of(Settings(allowed_hosts="team.local"))
    assert hosts.allows(host) is allowed


def test_a_listed_host_with_a_scheme_or_a_port_is_refused_at_start():
    for wrong in ("http://docs.example", "docs.example:8000", "docs.example/path"):
        with pytest.raises(ValueError, match="COLLAB_ALLOWED_HOSTS"):
            Settings(allowed_hosts=wrong).check()
    assert AllowedHosts.of(Settings(allowed_hosts="*")).allows("anything.at.all")
