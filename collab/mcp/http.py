"""/mcp on the server: the MCP tools over the SDK's streamable HTTP transport, for a caller
with a bearer token as the REST API takes it. Each tool call goes through the REST API of the
same app in process (httpx's ASGI transport, the caller's token and address): one set of
permission checks, problems and live edit paths for REST and MCP alike.

The SDK (and httpx, which the tools' client uses) costs about 0.7 s and 20 MiB to import, which
a server nobody reaches over MCP should not pay: the first /mcp request imports it in a thread
(one deferred import at a time, with the REST API's: api/deferred.py) and starts its session
manager, and the requests meanwhile wait for it."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from collab.api.access import bearer_token, identify
from collab.api.deferred import import_deferred

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    from collab.client import CollabClient

PATH = "/mcp"
# How long a request waits for the SDK to be imported and running (it takes under a second).
_START_TIMEOUT = 30.0


class McpEndpoint:
    """The /mcp route and the lifespan part that runs the SDK's session manager."""

    def __init__(self) -> None:
        self._manager: StreamableHTTPSessionManager | None = None
        self._ready = asyncio.Event()
        self._start: Callable[[], None] | None = None  # while the app runs, until started

    @property
    def routes(self) -> list[Route]:
        """The route to add to the app (every method: POST, GET and DELETE of the transport)."""
        return [Route(PATH, self, methods=["GET", "POST", "DELETE"])]

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """While the app runs, the first request may start the SDK in a task of its own."""
        stop = asyncio.Event()
        async with asyncio.TaskGroup() as tasks:

            def start() -> None:
                self._start = None
                tasks.create_task(self._serve(stop))

            self._start = start
            try:
                yield
            finally:
                self._start = None
                stop.set()

    async def _serve(self, stop: asyncio.Event) -> None:
        tools = await asyncio.to_thread(import_deferred, "collab.mcp.tools")
        server = tools.build_server(_client_for_request)
        security = importlib.import_module("mcp.server.transport_security")
        # Stateless: any process of a cluster answers any request; JSON answers, no streams.
        # Host checks are the app's own (HostCheck), so the SDK's DNS-rebinding check is off.
        server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            transport_security=security.TransportSecuritySettings(
                enable_dns_rebinding_protection=False
            ),
        )
        manager: StreamableHTTPSessionManager = server.session_manager
        async with manager.run():
            self._manager = manager
            self._ready.set()
            await stop.wait()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Admit the caller as REST does (401 problems), then hand over to the transport."""
        await identify(Request(scope, receive))
        if self._start is not None:
            self._start()
        async with asyncio.timeout(_START_TIMEOUT):
            await self._ready.wait()
        if self._manager is not None:  # always, once ready
            await self._manager.handle_request(scope, receive, send)


@contextlib.asynccontextmanager
async def _client_for_request(ctx: Context) -> AsyncIterator[CollabClient]:
    """A REST client into this very app, acting with the caller's token from their address."""
    import httpx

    from collab.client import CollabClient

    request: Any = ctx.request_context.request
    if not isinstance(request, Request):
        raise TypeError("the /mcp tools run only within an HTTP request")
    peer = request.client
    transport = httpx.ASGITransport(
        app=request.app,
        raise_app_exceptions=False,
        client=(peer.host, peer.port) if peer is not None else ("127.0.0.1", 0),
    )
    # Scheme and host only: the app's own routes start at its root whatever mounts it.
    base_url = str(request.url.replace(path="", query="", fragment="")).rstrip("/")
    async with (
        httpx.AsyncClient(transport=transport) as http,
        CollabClient(base_url, token=bearer_token(request), http=http) as client,
    ):
        yield client
