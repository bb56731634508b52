"""Browser end-to-end tests: real Chromium pages against a real collab server.

Each test runs one scenario of `editor_e2e.mjs` (playwright-core from web/node_modules).
The script prints `@@control stop|start` when it needs the server stopped or started and
waits for `ok` on its stdin. Screenshots go to test-output/browser/.
"""

import asyncio
import inspect
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("editor_e2e.mjs")
PLAYWRIGHT = ROOT / "web" / "node_modules" / "playwright-core"
CHROMIUM = Path(os.environ.get("COLLAB_CHROMIUM", "/usr/bin/chromium"))
OUTPUT = ROOT / "test-output" / "browser"
SCENARIO_TIMEOUT = 90


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not PLAYWRIGHT.is_dir():
        return "web/node_modules/playwright-core is missing"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing"
    return None


def _require_browser() -> None:
    missing = _missing()
    if missing is None:
        return
    reason = (
        f"{missing}: run `npm ci` in web/ and install Debian chromium (apt-get install chromium)"
    )
    if os.environ.get("COLLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


async def _call(method: Any) -> None:
    """Call a fixture method that may be sync or async."""
    result = method()
    if inspect.isawaitable(result):
        await result


async def _control(server: Any, command: str) -> None:
    if command == "stop":
        await _call(server.stop)
    elif command == "start":
        await _call(server.start)
    else:
        raise AssertionError(f"unknown control command {command!r}")


async def _drive(proc: asyncio.subprocess.Process, server: Any) -> list[str]:
    """Relay the script's output and answer its control requests; returns its output lines."""
    assert proc.stdout is not None and proc.stdin is not None
    lines: list[str] = []
    async for raw in proc.stdout:
        line = raw.decode(errors="replace").rstrip("\n")
        lines.append(line)
        print(line, file=sys.stderr)
        if line.startswith("@@control "):
            await _control(server, line.split(" ", 1)[1].strip())
            proc.stdin.write(b"ok\n")
            await proc.stdin.drain()
    await proc.wait()
    return lines


@pytest.fixture(autouse=True)
def _browser_available() -> None:
    """Skip (or fail) before the server fixture starts when the browser tooling is absent."""
    _require_browser()


async def run_scenario(server: Any, scenario: str) -> None:
    """Run one scenario of editor_e2e.mjs against `server`; fail with its output."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(SCRIPT),
        scenario,
        server.http_url,
        str(OUTPUT),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(SCENARIO_TIMEOUT):
            lines = await _drive(proc, server)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    output = "\n".join(lines)
    assert proc.returncode == 0 and f"PASS {scenario}" in lines, output


pytestmark = pytest.mark.timeout(SCENARIO_TIMEOUT + 30)


async def test_two_people_typing_at_once_converge(collab_server: Any) -> None:
    await run_scenario(collab_server, "concurrent")


async def test_remote_cursor_shows_chosen_name(collab_server: Any) -> None:
    await run_scenario(collab_server, "cursor")


async def test_text_survives_reload_and_server_restart(collab_server: Any) -> None:
    await run_scenario(collab_server, "reload")


async def test_offline_edits_merge_on_reconnect(collab_server: Any) -> None:
    await run_scenario(collab_server, "offline")


async def test_status_follows_server_down_and_up(collab_server: Any) -> None:
    await run_scenario(collab_server, "server-down")


async def test_saved_indicator_follows_server_acks(collab_server: Any) -> None:
    await run_scenario(collab_server, "saved")


async def test_undo_only_undoes_own_changes(collab_server: Any) -> None:
    await run_scenario(collab_server, "undo")


async def test_history_save_preview_restore(collab_server: Any) -> None:
    await run_scenario(collab_server, "history")
