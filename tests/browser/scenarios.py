"""Running the browser scenarios: real Chromium pages (playwright-core from web/node_modules)
against a real collab server. Each test runs one scenario of a script (`editor_e2e.mjs`,
`rich_e2e.mjs`, `history_e2e.mjs`).
The script prints `@@control stop|start` when it needs the server stopped or started and
waits for `ok` on its stdin. Screenshots go to test-output/browser/.
"""

import asyncio
import inspect
import json
import os
import selectors
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("editor_e2e.mjs")
PLAYWRIGHT = ROOT / "web" / "node_modules" / "playwright-core"
CHROMIUM = Path(os.environ.get("COLLAB_CHROMIUM", "/usr/bin/chromium"))
OUTPUT = ROOT / "test-output" / "browser"
# A whole scenario's limit: the longest took 55 s under the whole suite's load on two cores.
SCENARIO_TIMEOUT = 150
BROWSER_SERVER = Path(__file__).with_name("browser_server.mjs")
# The scenarios connect to the Chromium at this WebSocket endpoint (common.mjs).
ENDPOINT_ENV = "COLLAB_BROWSER_ENDPOINT"


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not PLAYWRIGHT.is_dir():
        return "web/node_modules/playwright-core is missing"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing"
    return None


def require_browser() -> None:
    missing = _missing()
    if missing is None:
        return
    reason = (
        f"{missing}: run `npm ci` in web/ and install Debian chromium (apt-get install chromium)"
    )
    if os.environ.get("COLLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


class SharedBrowser:
    """One Chromium (browser_server.mjs) for the scenarios of this process: launching one per
    scenario cost a second or two each. Started again if it died."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._endpoint = ""

    def endpoint(self) -> str:
        """The running Chromium's WebSocket endpoint."""
        if self._process is None or self._process.poll() is not None:
            self._start()
        return self._endpoint

    def _start(self) -> None:
        self._process = subprocess.Popen(
            ["node", str(BROWSER_SERVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        line = _first_line(self._process, timeout=60)
        if not line.startswith("@@endpoint "):
            self.close()
            raise RuntimeError(f"browser_server.mjs did not start Chromium: {line!r}")
        self._endpoint = line.split(" ", 1)[1].strip()

    def close(self) -> None:
        """Close Chromium (its stdin closing tells it to)."""
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        finally:
            assert process.stdout is not None
            process.stdout.close()


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The process's first line of output ("" if it exits or says nothing within `timeout`)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not selector.select(max(0.0, deadline - time.monotonic())):
            if time.monotonic() >= deadline or process.poll() is not None:
                return ""
    return process.stdout.readline()


async def _call(method: Any) -> None:
    """Call a fixture method that may be sync or async."""
    result = method()
    if inspect.isawaitable(result):
        await result


# Exclusive locks held on a server's SQLite file (the database "stops committing").
_LOCKS: dict[int, sqlite3.Connection] = {}


# A scenario's own control commands: name -> what the test does when the script asks for it.
Controls = dict[str, Callable[[], Awaitable[None]]]


async def _control(server: Any, command: str, controls: Controls) -> None:
    if command in controls:
        await controls[command]()
    elif command == "stop":
        await _call(server.stop)
    elif command == "start":
        await _call(server.start)
    elif command == "lock-db":
        lock = sqlite3.connect(server.database_url.split("///", 1)[1], isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        _LOCKS[id(server)] = lock
    elif command == "unlock-db":
        lock = _LOCKS.pop(id(server))
        lock.execute("ROLLBACK")
        lock.close()
    else:
        raise AssertionError(f"unknown control command {command!r}")


async def _drive(
    proc: asyncio.subprocess.Process, server: Any, controls: Controls, lines: list[str]
) -> None:
    """Relay the script's output into `lines` and answer its control requests."""
    assert proc.stdout is not None and proc.stdin is not None
    async for raw in proc.stdout:
        line = raw.decode(errors="replace").rstrip("\n")
        lines.append(line)
        print(line, file=sys.stderr)
        if line.startswith("@@control "):
            await _control(server, line.split(" ", 1)[1].strip(), controls)
            proc.stdin.write(b"ok\n")
            await proc.stdin.drain()
    await proc.wait()


async def run_scenario(
    server: Any,
    scenario: str,
    tokens: dict[str, str] | None = None,
    script: Path = SCRIPT,
    controls: Controls | None = None,
) -> None:
    """Run one scenario of `script` (editor_e2e.mjs) against `server`; fail with its output.

    `tokens` (name -> JWT) reach the script as JSON in COLLAB_E2E_TOKENS; `controls` are the
    test's own answers to the script's `@@control NAME` requests (besides stop, start, ...)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COLLAB_E2E_TOKENS": json.dumps(tokens or {})}
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(script),
        scenario,
        server.http_url,
        str(OUTPUT),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    lines: list[str] = []
    try:
        async with asyncio.timeout(SCENARIO_TIMEOUT):
            await _drive(proc, server, controls or {}, lines)
    except TimeoutError:
        output = "\n".join(lines[-40:])
        raise AssertionError(
            f"{scenario} still running after {SCENARIO_TIMEOUT} s:\n{output}"
        ) from None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    output = "\n".join(lines)
    assert proc.returncode == 0 and f"PASS {scenario}" in lines, output
