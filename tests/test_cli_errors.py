"""Every failure a newcomer can make when starting `collab serve` prints one line naming the
cause and the fix, with the documented exit code (2 usage, 3 configuration, 4 unavailable),
and nothing is migrated before the port is bound."""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
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


def test_the_port_is_listened_on_before_the_database_is_migrated(tmp_path: Path):
    """While the migrations run, the port is already listened on, so no other socket can take
    it. (Bound but not listening, another socket setting SO_REUSEADDR could bind and listen on it
    meanwhile, and the server's own listen afterwards failed: it died at start with EBADF.)"""
    database = tmp_path / "collab.db"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # the server's migrations wait for this lock
    port = free_port()
    argv = ["serve", "--port", str(port), "--database-url", f"sqlite+aiosqlite:///{database}"]
    log = tmp_path / "log.txt"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "collab", *argv], cwd=tmp_path, stderr=output
        )
    try:
        # The port is bound before uvicorn starts the app (and with it the migrations).
        for _ in range(2400):  # bounded only to fail
            assert server.poll() is None, log.read_text()
            if "Waiting for application startup." in log.read_text():
                break
            time.sleep(0.025)
        server.send_signal(signal.SIGSTOP)  # held in the migrations, whatever the machine's pace
        listening = [
            conn
            for conn in psutil.Process(server.pid).net_connections(kind="tcp")
            if conn.laddr.port == port and conn.status == psutil.CONN_LISTEN
        ]
        assert listening, f"port {port} is not listened on during the migrations"
        with socket.socket() as other:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with pytest.raises(OSError) as taken:
                other.bind(("127.0.0.1", port))
                other.listen()
            assert taken.value.errno == errno.EADDRINUSE
        holder.rollback()
        server.send_signal(signal.SIGCONT)
        for _ in range(600):  # bounded only to fail: the server starts once the lock is gone
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200:
                    break
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
            time.sleep(0.05)
        else:
            raise AssertionError(log.read_text())
    finally:
        holder.close()
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(timeout=30)
