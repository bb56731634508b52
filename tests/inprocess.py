"""A real uvicorn server in the test's own event loop, with collab's HTTP and WebSocket
protocols, for tests that need to reach into an app (its bus, its state) while clients use it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from collab.serving.http import http_protocol
from collab.serving.protocol import websocket_protocol
from tests.server import free_port


@contextlib.asynccontextmanager
async def running(app: Any) -> AsyncIterator[uvicorn.Server]:
    """Serve the ASGI `app` on a free 127.0.0.1 port (`server.config.port`) until the block
    ends; the running uvicorn server."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=free_port(),
        log_level="warning",
        http=http_protocol(10.0),
        ws=websocket_protocol(),
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:
                await asyncio.sleep(0.02)
        yield server
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def serving_on_port(app: Any) -> AsyncIterator[int]:
    """Serve the ASGI `app` on a free 127.0.0.1 port until the block ends; the port."""
    async with running(app) as server:
        yield server.config.port


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve a collab app; its WebSocket base URL."""
    async with serving_on_port(app) as port:
        yield f"ws://127.0.0.1:{port}/ws"
