"""An idle server holds only what serving documents needs: the REST API with pydantic (the
first request for it), the PDF and DOCX writers, Pillow, the Markdown reader, the MCP SDK, httpx
(webhooks, OpenID Connect, MCP), PyJWT with cryptography (the first token), argon2 (the first
password) and Alembic (a database already at the newest revision) load with their first use,
not at start-up; answering the probes and /metrics loads none of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# What start-up must not load, by top-level package.
DEFERRED = [
    "alembic",
    "argon2",
    "authlib",
    "cryptography",
    "docx",
    "fontTools",
    "fpdf",
    "httpx",
    "jwt",
    "markdown_it",
    "mcp",
    "PIL",
    "pydantic",
]

_START = """
import asyncio, json, sys
from collab.app import create_app
from collab.config import Settings

async def get(app, path):
    # the status of a GET of path, through the ASGI interface itself
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"]

async def main():
    env = json.loads(sys.argv[3])
    app = create_app(Settings.from_env(env, database_url=sys.argv[1]))
    messages = [{"type": "lifespan.startup"}]
    said = []
    started = asyncio.Event()
    stop = asyncio.Event()

    async def receive():
        if messages:
            return messages.pop()
        await stop.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message):
        said.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            started.set()
        if message["type"] == "lifespan.startup.failed":
            raise SystemExit(message.get("message"))

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    running = asyncio.create_task(app(scope, receive, send))
    await started.wait()
    await asyncio.sleep(0)  # tasks the lifespan started get their first turn
    for path in ("/healthz", "/livez", "/readyz", "/metrics"):
        status = await get(app, path)
        # /metrics needs a token when there is a secret: its 401 is a problem document
        assert status == 200 or (path == "/metrics" and "COLLAB_SECRET" in env), (path, status)
    loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2])))
    if sys.argv[4] == "rest":  # and the first REST request loads the API
        assert await get(app, "/api/rooms") == 200
        assert "pydantic" in sys.modules
    stop.set()
    await running
    print(json.dumps(loaded))

asyncio.run(main())
"""


def _loaded_at_start(
    database_url: str, env: dict[str, str] | None = None, *, then: str = "nothing"
) -> list[str]:
    """Which of DEFERRED a server has loaded once started and asked for its probes and
    metrics (`then="rest"`: and then asked for a REST resource, which must load pydantic)."""
    args = [database_url, json.dumps(DEFERRED), json.dumps(env or {}), then]
    done = subprocess.run(
        [sys.executable, "-c", _START, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_an_idle_server_loads_none_of_the_optional_parts(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'idle.db'}"
    # The first start migrates an empty database: Alembic is needed then, and only then.
    assert _loaded_at_start(url) == ["alembic"]
    assert _loaded_at_start(url) == []
    assert _loaded_at_start(url, then="rest") == []


def test_a_server_with_a_secret_starts_without_the_token_or_password_libraries(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'idle.db'}"
    secret = {"COLLAB_SECRET": "s" * 40}
    assert _loaded_at_start(url, secret) == ["alembic"]
    assert _loaded_at_start(url, secret) == []
