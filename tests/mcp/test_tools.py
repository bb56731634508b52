"""The MCP tools end to end, the same scenario over both transports: `collab mcp` as a
subprocess over stdio (the SDK's stdio_client) and /mcp on the server (the SDK's streamable
HTTP client), each driven by the SDK's ClientSession against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import httpx2
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from collab.client import CollabClient
from tests.mcp.conftest import TEXT, call, token, tool_error
from tests.server import ServerProcess
from tests.yclient import YClient

TOOLS = {
    "list_documents",
    "read_document",
    "edit_document",
    "comment",
    "suggest_edit",
    "list_versions",
}


@asynccontextmanager
async def over_stdio(server: ServerProcess, role: str) -> AsyncIterator[ClientSession]:
    """`collab mcp --server-url ... --token ...` as a child process."""
    argv = ["-m", "collab", "mcp", "--server-url", server.http_url, "--token", token(role)]
    env = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else None
    params = StdioServerParameters(command=sys.executable, args=argv, env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


@asynccontextmanager
async def over_http(server: ServerProcess, role: str) -> AsyncIterator[ClientSession]:
    """The server's own /mcp endpoint, with the token as a bearer."""
    headers = {"Authorization": f"Bearer {token(role)}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=10) as http,
        streamable_http_client(f"{server.http_url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


TRANSPORTS = {"stdio": over_stdio, "http": over_http}


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_an_agent_lists_reads_edits_comments_and_lists_versions(
    secured: ServerProcess, rest: CollabClient, transport: str
):
    async with (
        YClient(secured.ws_url, "plan", token=token("viewer")) as watcher,
        TRANSPORTS[transport](secured, "editor") as session,
    ):
        await watcher.wait_text(TEXT)
        listed = await session.list_tools()
        assert {tool.name for tool in listed.tools} == TOOLS
        for tool in listed.tools:
            assert tool.description and tool.input_schema["type"] == "object"
        edit = next(tool for tool in listed.tools if tool.name == "edit_document")
        assert set(edit.input_schema["required"]) == {"room", "new_text"}

        found = await call(session, "list_documents", search="PLA")
        assert [doc["name"] for doc in found["documents"]] == ["plan"]
        everything = await call(session, "list_documents")
        assert {doc["name"] for doc in everything["documents"]} == {"plan", "notes"}
        assert (await call(session, "read_document", room="plan", format="text")) == {
            "result": TEXT
        }

        edited = await call(
            session, "edit_document", room="plan", old_text="late", new_text="on time"
        )
        assert edited == {"room": "plan", "replaced": "passage"}
        expected = "Hello world. The plan is on time."
        await watcher.wait_text(expected)  # live, in an open editor
        assert await rest.snapshot_text("plan") == expected

        thread = await call(session, "comment", room="plan", quote="plan", body="Whose?")
        assert thread["quote"] == "plan" and thread["index"] == expected.index("plan")
        threads = await rest.threads("plan")
        assert [(t.id, t.comments[0].body) for t in threads] == [(thread["thread"], "Whose?")]

        await call(session, "edit_document", room="plan", new_text="All new.")
        await watcher.wait_text("All new.")
        markdown = await call(session, "read_document", room="plan")
        assert markdown == {"result": await rest.snapshot_markdown("plan")}
        assert "All new." in markdown["result"]

        saved = await rest.save_version("plan", "Before review")
        versions = await call(session, "list_versions", room="plan")
        assert versions["versions"][0]["id"] == saved.id
        assert versions["versions"][0]["label"] == "Before review"


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_api_errors_become_tool_errors_with_the_problems_message(
    secured: ServerProcess, rest: CollabClient, transport: str
):
    async with TRANSPORTS[transport](secured, "viewer") as viewer:
        refused = await tool_error(viewer, "edit_document", room="plan", new_text="Mine now")
        assert "403" in refused and "edit_document" in refused
        assert await rest.snapshot_text("plan") == TEXT
        missing = await tool_error(viewer, "read_document", room="nowhere")
        assert "404" in missing and "does not exist" in missing
    async with TRANSPORTS[transport](secured, "editor") as editor:
        rich = await tool_error(
            editor, "edit_document", room="notes", old_text="nowhere", new_text="x"
        )
        assert "old_text not found" in rich
        absent = await tool_error(
            editor, "edit_document", room="plan", old_text="nowhere", new_text="x"
        )
        assert "old_text not found" in absent


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_an_agent_edits_a_rich_document_as_markdown(
    secured: ServerProcess, rest: CollabClient, transport: str
):
    async with TRANSPORTS[transport](secured, "editor") as session:
        whole = "# Notes\n\nFirst *point*.\n\nSecond point.\n"
        edited = await call(session, "edit_document", room="notes", new_text=whole)
        assert edited == {"room": "notes", "replaced": "text"}
        assert await call(session, "read_document", room="notes") == {"result": whole}
        thread = await rest.comment_on_text("notes", "First", "Sure?")
        passage = await call(
            session,
            "edit_document",
            room="notes",
            old_text="Second point.",
            new_text="Second point, **done**.",
        )
        assert passage == {"room": "notes", "replaced": "passage"}
        expected = "# Notes\n\nFirst *point*.\n\nSecond point, **done**.\n"
        assert (await rest.read_content("notes")).markdown == expected
        # The paragraph the edit left alone keeps its comment where it was.
        kept = next(t for t in await rest.threads("notes") if t.id == thread.id)
        assert kept.range is not None and kept.range.text == "First"


async def test_a_server_that_does_not_answer_is_a_tool_error(secured: ServerProcess):
    gone = ServerProcess(secured.database_url, secured.log_path)  # a free port, never started
    async with over_stdio(gone, "editor") as session:
        message = await tool_error(session, "list_documents")
    assert "the collab server did not answer" in message and "ConnectError" in message


def test_neither_the_server_nor_the_cli_imports_the_sdk_until_asked():
    code = (
        "import sys, collab.app, collab.cli; "
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


async def test_the_http_endpoint_needs_a_valid_token(secured: ServerProcess):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(timeout=30, base_url=secured.http_url) as http:
        anonymous = await http.post("/mcp", json=body, headers=headers)
        forged = await http.post(
            "/mcp", json=body, headers={**headers, "Authorization": "Bearer not-a-token"}
        )
    for response in (anonymous, forged):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
