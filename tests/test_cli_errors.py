"""Every failure a newcomer can make when starting `collab serve` prints one line naming the
cause and the fix, with the documented exit code (2 usage, 3 configuration, 4 unavailable),
and nothing is migrated before the port is bound."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.launcher import run_collab_text
from tests.server import ServerProcess, free_port


def serve(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    argv = ["serve", "--port", str(free_port()), *args]
    return run_collab_text(argv, env={**os.environ, **env}, cwd=cwd)


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://me@db/app", "write postgresql+asyncpg://me@db/app"),
        ("postgresql://me@db/app", "write postgresql+asyncpg://me@db/app"),
        ("mysql+aiomysql://me@db/app", "is not supported"),
        ("not a url", "is not a database URL"),
        ("sqlite+aiosqlite:///no/such/folder/x.db", "folder no/such/folder does not exist"),
    ],
)
def test_a_database_url_collab_cannot_use_is_one_line_and_exit_3(
    tmp_path: Path, url: str, expected: str
):
    done = serve("--database-url", url, cwd=tmp_path)
    assert done.returncode == 3
    assert expected in one_line(done)


def test_an_unreachable_database_is_one_line_and_exit_4(tmp_path: Path):
    url = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing"
    done = serve("--database-url", url, cwd=tmp_path)
    assert done.returncode == 4
    assert "cannot reach the database at 127.0.0.1" in one_line(done)


def test_a_busy_port_is_one_line_exit_4_and_nothing_is_migrated(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_collab_text(["serve", "--port", str(port)], cwd=tmp_path)
    assert done.returncode == 4
    assert f"port {port} on 127.0.0.1 is in use; choose another with --port" in one_line(done)
    assert not (tmp_path / "collab.db").exists(), "migrated before binding"


def test_a_mistyped_flag_and_version(tmp_path: Path):
    done = serve("--prot", "1", cwd=tmp_path)
    assert done.returncode == 2 and "unrecognized arguments: --prot" in done.stderr
    version = run_collab_text(["--version"], timeout=30)
    assert version.returncode == 0 and version.stdout.startswith("collab 0.")


def test_a_mistyped_serve_option_shows_the_usage_of_serve_and_one_error_line(tmp_path: Path):
    done = serve("--prot", "1", cwd=tmp_path)
    assert done.returncode == 2
    usage, error = done.stderr.splitlines()
    assert usage.startswith("usage: collab serve [OPTION ...]"), done.stderr
    assert error == "collab serve: error: unrecognized arguments: --prot 1 (did you mean --port?)"
    nested = run_collab_text(["db", "upgrade", "--databse-url", "x"], timeout=30)
    assert nested.returncode == 2
    assert nested.stderr.startswith("usage: collab db upgrade")
    assert "(did you mean --database-url?)" in nested.stderr
    before = run_collab_text(["--prot", "serve"], timeout=30)
    assert before.returncode == 2 and before.stderr.startswith("usage: collab [-h]")
    assert not (tmp_path / "collab.db").exists()


async def test_start_up_says_what_is_served_where(tmp_path: Path):
    server = ServerProcess(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path / "log.txt")
    await server.start()
    try:
        # The line follows the count of documents, which may finish after /healthz answers.
        async with asyncio.timeout(30):
            while "documents: " not in (log := server.log_text()):
                await asyncio.sleep(0.05)
        assert f"serving http://127.0.0.1:{server.port}/ (database: sqlite+aiosqlite:///" in log
        assert "documents: 0)" in log
    finally:
        await server.stop()
