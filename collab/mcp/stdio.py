"""`collab mcp`: the MCP tools over stdio for an agent on this machine, acting through a
running server's REST API with one token, so its edits reach open editors live."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from mcp.server.mcpserver import Context

from collab.client import CollabClient
from collab.mcp.tools import build_server


async def serve(server_url: str, token: str | None) -> None:
    """Answer MCP over stdin/stdout until the agent closes them. Then, with an agent's token,
    end its session in each document it edited (DELETE .../presence: agent.session.ended)."""
    async with CollabClient(server_url, token=token) as client:

        @contextlib.asynccontextmanager
        async def same_client(ctx: Context) -> AsyncIterator[CollabClient]:
            yield client

        edited: set[str] = set()
        try:
            # Warnings only on stderr: the SDK's INFO would log every REST request of every call.
            await build_server(same_client, "WARNING", edited).run_stdio_async()
        finally:
            for room in sorted(edited):
                with contextlib.suppress(Exception):  # the server may be gone: nothing to end
                    await client.clear_agent_presence(room)
