"""Which Host headers this server answers to: the defence against DNS rebinding.

A page on `rebind.evil` whose name its owner points at 127.0.0.1 is, to the browser, one origin
with itself: its requests carry `Origin` and `Host` both `rebind.evil:PORT`, so an Origin check
lets them through, and in development mode nothing else stands in the way. Only the Host header
tells: a request is served when it names this server, that is `localhost`, an IP address (an
address cannot be pointed elsewhere, so no other page can reach the server under one), the host
of COLLAB_PUBLIC_URL, the host it binds, or a name in COLLAB_ALLOWED_HOSTS. Anything else is
refused before any route runs: HTTP 421, and a WebSocket before its handshake completes (403).
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from collab.api.errors import collab_error
from collab.config import Settings
from collab.errors import MisdirectedRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AllowedHosts:
    """The host names a server answers to, besides `localhost` and IP addresses."""

    names: frozenset[str]
    suffixes: tuple[str, ...] = ()  # ".example.com": the name and its subdomains
    anything: bool = False

    @classmethod
    def of(cls, settings: Settings) -> AllowedHosts:
        """The names `settings` give: the public URL's host, the bound host, the listed names."""
        listed = [name.rstrip(".") for name in settings.allowed_host_list()]
        own = [_name_of(settings.public_url) if settings.public_url else None, settings.host]
        names = {name for name in [*listed, *own, "localhost"] if name and name[0] != "."}
        suffixes = tuple(name for name in listed if name.startswith("."))
        return cls(frozenset(names), suffixes, "*" in listed)

    def allows(self, host: str | None) -> bool:
        """True if a request with this Host header (None: none sent) names this server."""
        if host is None or self.anything:
            return True
        name = _name_of(f"//{host}")
        if name is None:
            return False
        listed = name in self.names or name.endswith(self.suffixes) or f".{name}" in self.suffixes
        return listed or _is_address(name)


def _name_of(url: str) -> str | None:
    """The host name of a URL, lowercased, without a port or a final dot (None if unreadable)."""
    try:
        name = urlsplit(url).hostname
    except ValueError:
        return None
    return name.rstrip(".") if name else None


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostCheck:
    """ASGI middleware: HTTP requests and WebSockets whose Host names another server are
    refused (MisdirectedRequest), with one log line."""

    def __init__(self, app: ASGIApp, allowed: AllowedHosts) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        host = _header(scope, b"host")
        if kind not in ("http", "websocket") or self.allowed.allows(host):
            await self.app(scope, receive, send)
            return
        log.warning("refused %s for host %r: not one this server answers to", kind, host)
        error = MisdirectedRequest(
            f"this server does not answer to the host {host!r}; if that is one of its names, "
            "add it to COLLAB_ALLOWED_HOSTS"
        )
        if kind == "websocket":
            await WebSocket(scope, receive, send).close(code=error.close_code)  # before accept
            return
        response = await collab_error(Request(scope, receive), error)
        await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None
