"""The `collab` command and its settings: flags, environment variables, migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from collab.config import Settings
from tests.launcher import run_collab_text
from tests.server import ServerProcess, free_port


def test_settings_come_from_environment_and_flags_win():
    env = {"COLLAB_PORT": "9001", "COLLAB_UNLOAD_GRACE": "2.5", "COLLAB_AUTO_MIGRATE": "false"}
    settings = Settings.from_env(env, host="0.0.0.0", port=None)
    assert (settings.port, settings.host, settings.unload_grace) == (9001, "0.0.0.0", 2.5)
    assert settings.auto_migrate is False
    assert Settings.from_env({}, port=7000).port == 7000


def test_a_lease_renewed_no_sooner_than_it_expires_is_refused():
    Settings(lease_seconds=1.0, lease_renew_seconds=0.2).check()
    for renew in (1.0, 0.0):
        with pytest.raises(ValueError, match="lease_renew_seconds"):
            Settings(lease_seconds=1.0, lease_renew_seconds=renew).check()


def test_bad_environment_value_is_reported_by_name():
    with pytest.raises(ValueError, match="COLLAB_PORT='eighty' is not a valid int"):
        Settings.from_env({"COLLAB_PORT": "eighty"})


def test_db_upgrade_creates_the_schema(tmp_path: Path):
    db = tmp_path / "fresh.db"
    url = f"sqlite+aiosqlite:///{db}"
    result = run_collab_text(["db", "upgrade", "--database-url", url])
    assert result.returncode == 0, result.stderr
    assert "latest schema" in result.stdout
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert {"rooms", "updates", "alembic_version"} <= tables
    assert mode == "wal"


async def test_serve_reads_host_port_and_database_from_the_environment(tmp_path: Path):
    port = free_port()
    env = {
        **os.environ,
        "COLLAB_HOST": "127.0.0.1",
        "COLLAB_PORT": str(port),
        "COLLAB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'env.db'}",
    }
    process = subprocess.Popen([sys.executable, "-m", "collab", "serve"], env=env, cwd=tmp_path)
    try:
        server = ServerProcess("unused", tmp_path / "log")
        server.port = port
        server.process = process
        await server._wait_ready()
        async with httpx.AsyncClient(timeout=30) as client:
            assert (await client.get(f"http://127.0.0.1:{port}/healthz")).json()["status"] == "ok"
        assert (tmp_path / "env.db").exists()
    finally:
        process.kill()
        process.wait(10)


def test_default_database_is_a_sqlite_file_in_the_working_directory():
    assert Settings.from_env({}).database_url == "sqlite+aiosqlite:///./collab.db"


async def test_serve_says_in_one_line_that_it_migrated_and_nothing_of_alembic(tmp_path: Path):
    log_path = tmp_path / "log.txt"
    server = ServerProcess(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}", log_path)
    await server.start()
    await server.stop()
    first = log_path.read_text()
    assert f"serving http://127.0.0.1:{server.port}/" in first
    assert "database migrated to revision " in first and "(from an empty one)" in first
    assert "alembic" not in first.lower(), first
    await server.start()
    await server.stop()
    second = log_path.read_text()[len(first) :]
    assert "serving http://" in second and "migrated" not in second, second


def test_debug_logging_shows_alembic_lines(tmp_path: Path):
    def upgrade(name: str, level: str) -> str:
        url = f"sqlite+aiosqlite:///{tmp_path / name}"
        done = run_collab_text(
            ["db", "upgrade", "--database-url", url], env={**os.environ, "COLLAB_LOG_LEVEL": level}
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    quiet = upgrade("quiet.db", "info")
    assert "alembic" not in quiet.lower() and "migrated to revision" in quiet
    assert "alembic.runtime.migration: Running upgrade" in upgrade("loud.db", "debug")
