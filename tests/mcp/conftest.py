"""Fixtures for the MCP tests: a server that requires tokens, tokens of each role, a document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import ClientSession

from collab.auth import issue_token
from collab.client import CollabClient
from tests.conftest import ServerFactory
from tests.server import ServerProcess

SECRET = "mcp-tests-secret-with-enough-entropy-0123456789"
TEXT = "Hello world. The plan is late."


def token(role: str, rooms: str = "*") -> str:
    """A token of `role` on every room."""
    return issue_token(SECRET, user=f"{role}-1", name=role, grants={rooms: role}, ttl_seconds=600)


@pytest.fixture
async def secured(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    """A running server that needs a token for everything."""
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    return server


@pytest.fixture
async def rest(secured: ServerProcess) -> AsyncIterator[CollabClient]:
    """An admin's REST client, with a plain-text "plan" and a rich-text "notes" document."""
    async with CollabClient(secured.http_url, token=token("admin")) as client:
        await client.create_room("plan")
        await client.replace_text("plan", TEXT)
        await client.create_room("notes", kind="rich")
        yield client


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    """A tool's structured result; fails the test on a tool error."""
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    content: dict[str, Any] | None = result.structured_content
    assert content is not None
    return content


async def tool_error(session: ClientSession, tool: str, **arguments: Any) -> str:
    """The message of a tool error; fails the test if the call succeeds."""
    result = await session.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return " ".join(getattr(part, "text", "") for part in result.content)
