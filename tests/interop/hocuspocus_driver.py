"""Drives stock `@hocuspocus/provider` instances under Node (node_hocuspocus.mjs) from a test:
commands go to the Node process as JSON lines, every provider event comes back as one."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
SCRIPT = HERE / "node_hocuspocus.mjs"
MAJORS = ("2", "3", "4")

Event = dict[str, Any]


def require_node() -> str:
    """The node binary, once the providers are installed; else skip (fail under
    COLLAB_REQUIRE_NODE=1)."""
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed"
    elif not all((HERE / "node_modules" / f"hocuspocus-provider-{m}").is_dir() for m in MAJORS):
        missing = "the Hocuspocus providers are missing from tests/interop/node_modules"
    if missing is None:
        assert node is not None
        return node
    reason = f"{missing}: install Node.js 20+ and run `npm ci` in tests/interop/"
    if os.environ.get("COLLAB_REQUIRE_NODE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


class Providers:
    """One Node process holding providers of one major version, and their events."""

    def __init__(self, major: str) -> None:
        self.major = major
        self.events: list[Event] = []
        self._process: asyncio.subprocess.Process | None = None
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Providers:
        node = require_node()
        self._process = await asyncio.create_subprocess_exec(
            node,
            str(SCRIPT),
            self.major,
            cwd=HERE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=1 << 22,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._process is not None and self._reader is not None
        if self._process.returncode is None:
            self._command({"cmd": "exit"})
            try:
                await asyncio.wait_for(self._process.wait(), 10)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        self._reader.cancel()
        uncaught = [e for e in self.events if e["event"] in ("uncaught", "error")]
        assert not uncaught, f"provider {self.major} failed: {uncaught}"

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        while line := await self._process.stdout.readline():
            self.events.append(json.loads(line))
            self._changed.set()
        self._changed.set()

    def _command(self, command: Event) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(json.dumps(command).encode() + b"\n")

    async def run(self, cmd: str, **fields: Any) -> None:
        """Send a command and wait until the Node side has carried it out."""
        start = len(self.events)
        self._command({"cmd": cmd, **fields})
        key = fields.get("id", fields.get("socket"))
        await self.wait(lambda e: e["event"] == "done" and e["id"] == key, since=start)

    def socket(self, name: str, url: str) -> Any:
        """Open a HocuspocusProviderWebsocket."""
        return self.run("socket", socket=name, url=url)

    def open(self, provider: str, socket: str, document: str, token: str | None) -> Any:
        """Attach a provider for `document` to `socket`."""
        return self.run("open", id=provider, socket=socket, name=document, token=token)

    async def wait(
        self, predicate: Callable[[Event], bool], *, since: int = 0, timeout: float = 30
    ) -> Event:
        """The first event (from index `since`) matching `predicate`, waiting for it."""
        position = since
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events[position:]:
                    if predicate(event):
                        return event
                    if event["event"] in ("uncaught", "error"):
                        raise AssertionError(f"provider {self.major} failed: {event}")
                position = len(self.events)
                if self._process is not None and self._process.returncode is not None:
                    stderr = b""
                    if self._process.stderr is not None:
                        stderr = await self._process.stderr.read()
                    raise AssertionError(f"node exited: {stderr.decode()}")
                self._changed.clear()
                await self._changed.wait()

    def wait_event(self, name: str, provider: str, *, since: int = 0, **match: Any) -> Any:
        """The first `name` event of `provider` whose fields match `match`."""
        return self.wait(
            lambda e: (
                e["event"] == name
                and e.get("id") == provider
                and all(e.get(k) == v for k, v in match.items())
            ),
            since=since,
        )

    def wait_text(self, provider: str, text: str, *, since: int = 0) -> Any:
        """Until `provider`'s document reads `text`."""
        return self.wait(lambda e: e.get("id") == provider and e.get("text") == text, since=since)

    async def wait_saved(self, provider: str, text: str, *, since: int = 0) -> Event:
        """Until `provider`, admitted, reads `text` with no unsynced change left (all
        acknowledged). Before the server admits a document its provider has sent nothing, and
        counts no unsynced change: only what it reports after that counts."""
        admitted = await self.wait_event("authenticated", provider)
        start = max(since, self.events.index(admitted))
        return await self.wait(
            lambda e: (
                e.get("id") == provider
                and e.get("text") == text
                and e.get("unsynced") == 0
                and e["event"] in ("unsynced", "synced", "text")
            ),
            since=start,
        )

    def seen(self, name: str, provider: str) -> list[Event]:
        """Every `name` event of `provider` so far."""
        return [e for e in self.events if e["event"] == name and e.get("id") == provider]
