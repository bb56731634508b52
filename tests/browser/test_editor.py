"""Browser end-to-end tests: real Chromium pages against a real collab server.

Each test runs one scenario of `editor_e2e.mjs` (playwright-core from web/node_modules).
The script prints `@@control stop|start` when it needs the server stopped or started and
waits for `ok` on its stdin. Screenshots go to test-output/browser/.
"""

import asyncio
import inspect
import json
import os
import shutil
import sqlite3
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


# Exclusive locks held on a server's SQLite file (the database "stops committing").
_LOCKS: dict[int, sqlite3.Connection] = {}


async def _control(server: Any, command: str) -> None:
    if command == "stop":
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


async def run_scenario(
    server: Any, scenario: str, tokens: dict[str, str] | None = None, script: Path = SCRIPT
) -> None:
    """Run one scenario of `script` (editor_e2e.mjs) against `server`; fail with its output.

    `tokens` (name -> JWT) reach the script as JSON in COLLAB_E2E_TOKENS."""
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


async def test_saved_indicator_says_when_saving_is_delayed(collab_server: Any) -> None:
    await run_scenario(collab_server, "delayed")


async def test_undo_only_undoes_own_changes(collab_server: Any) -> None:
    await run_scenario(collab_server, "undo")


async def test_history_save_preview_restore(collab_server: Any) -> None:
    await run_scenario(collab_server, "history")


# ---------- auth (COLLAB_SECRET set): tokens from share links, roles, close codes ----------

SECRET = "test-secret-for-the-browser-tests-0123456789"  # >= 32 bytes for HS256


def _token(user: str, grants: dict[str, str], *, name: str | None = None, ttl: float = 3600) -> str:
    from collab.auth import issue_token

    return issue_token(SECRET, user=user, name=name, grants=grants, ttl_seconds=ttl)


async def _auth_server(make_server: Any, sqlite_url: str) -> Any:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    return server


def _assert_tokens_not_logged(server: Any, tokens: dict[str, str]) -> None:
    log = server.log_text()
    for key, token in tokens.items():
        signature = token.rsplit(".", 1)[-1]
        assert token not in log and signature not in log, f"token {key} appears in the server log"


async def test_auth_share_link_editor(make_server: Any, sqlite_url: str) -> None:
    server = await _auth_server(make_server, sqlite_url)
    tokens = {
        "alice": _token("u-alice", {"auth-room": "editor"}, name="Alice Link"),
        "bob": _token("u-bob", {"auth-*": "editor"}, name="Bob Link"),
    }
    await run_scenario(server, "auth-link", tokens)
    _assert_tokens_not_logged(server, tokens)


async def test_auth_viewer_is_read_only(make_server: Any, sqlite_url: str) -> None:
    server = await _auth_server(make_server, sqlite_url)
    tokens = {
        "viewer": _token("u-vera", {"view-room": "viewer"}, name="Vera Viewer"),
        "editor": _token("u-eddie", {"view-room": "editor"}, name="Eddie Editor"),
        "admin": _token("u-ada", {"*": "admin"}, name="Ada Admin"),
    }
    await run_scenario(server, "auth-viewer", tokens)
    _assert_tokens_not_logged(server, tokens)


async def test_auth_final_close_codes_do_not_retry(make_server: Any, sqlite_url: str) -> None:
    server = await _auth_server(make_server, sqlite_url)
    tokens = {
        "editor": _token("u-erin", {"final-room": "editor"}, name="Erin"),
        "expired": _token("u-erin", {"final-room": "editor"}, name="Erin", ttl=-60),
        "wrongRoom": _token("u-walt", {"some-other-room": "admin"}, name="Walt"),
        "badSignature": _token("u-mallory", {"final-room": "admin"}, name="Mallory")[:-4] + "AAAA",
    }
    await run_scenario(server, "auth-final", tokens)
    _assert_tokens_not_logged(server, tokens)


async def test_auth_reconnects_with_backoff_after_restart(
    make_server: Any, sqlite_url: str
) -> None:
    server = await _auth_server(make_server, sqlite_url)
    tokens = {"editor": _token("u-rita", {"retry-room": "editor"}, name="Rita")}
    await run_scenario(server, "auth-retry", tokens)
    _assert_tokens_not_logged(server, tokens)
