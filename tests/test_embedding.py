"""A host Starlette app mounts collab and runs its lifespan; state lives on the app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

import collab
from tests.server import free_port
from tests.yclient import YClient


async def test_mounted_app_serves_sync_under_a_prefix(tmp_path: Path):
    settings = collab.Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'host.db'}")
    inner = collab.create_app(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with inner.router.lifespan_context(inner):
            yield

    host = Starlette(routes=[Mount("/collab", inner)], lifespan=lifespan)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(host, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.02)
        base = f"ws://127.0.0.1:{port}/collab/ws"
        async with YClient(base, "embedded") as alice, YClient(base, "embedded") as bob:
            alice.append("from the host app")
            await bob.wait_text("from the host app")
        assert inner.state.collab.settings is settings
    finally:
        server.should_exit = True
        await serving
