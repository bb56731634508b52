"""Checks `collab serve` makes before it starts, each failing with one line that names the cause
and the fix, and the exit codes the CLI documents:

- 2: usage (a flag or value the command does not take),
- 3: configuration (settings that cannot work: a URL collab cannot use, a short secret, a
  database file that cannot be opened),
- 4: unavailable (the port is taken, the database does not answer).
"""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

USAGE, CONFIGURATION, UNAVAILABLE = 2, 3, 4

_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}


class PreflightError(Exception):
    """Why the server cannot start, in one line, and the exit code that says which kind."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def check_database_url(url: str) -> None:
    """A URL collab can open: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise PreflightError(
            f"{url!r} is not a database URL; use sqlite+aiosqlite:///./collab.db "
            "or postgresql+asyncpg://user@host/db",
            CONFIGURATION,
        ) from None
    backend, _, driver = parsed.drivername.partition("+")  # without loading any dialect
    if backend in ("postgres", "postgresql") and driver != "asyncpg":
        fixed = parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=True)
        raise PreflightError(
            f"database URL {parsed.drivername}://... needs the async driver: write {fixed}",
            CONFIGURATION,
        )
    if _DRIVERS.get(backend) != driver:
        raise PreflightError(
            f"database URL scheme {parsed.drivername!r} is not supported; use "
            "sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db",
            CONFIGURATION,
        )
    if backend == "sqlite":
        _check_sqlite_file(parsed.database or "")


def _check_sqlite_file(database: str) -> None:
    if database in ("", ":memory:"):
        return
    path = Path(database)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise PreflightError(
            f"cannot create the database {database}: folder {folder} does not exist",
            CONFIGURATION,
        )
    target = path if path.exists() else folder
    if not os.access(target, os.R_OK | os.W_OK):
        raise PreflightError(
            f"cannot open the database {database}: no permission to read and write {target}",
            CONFIGURATION,
        )


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound and listening before anything else (migrations) runs.

    Listening at once closes the port to everyone else: with SO_REUSEADDR, a port that is bound
    but not listening can still be bound and listened on by another socket that sets it too, and
    the server's own listen, after the migrations, would then fail (uvloop closes the socket and
    the server dies with EBADF instead of saying the port is in use). uvicorn listens on it again
    with its own backlog; connections that arrive during the migrations wait in this one's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen()
    except OSError as error:
        sock.close()
        reason = "is in use" if error.errno in (98, 48) else f"cannot be bound ({error.strerror})"
        raise PreflightError(
            f"port {port} on {host} {reason}; choose another with --port (COLLAB_PORT)",
            UNAVAILABLE,
        ) from None
    return sock


def check_reachable(url: str, timeout: float = 5.0) -> None:
    """A PostgreSQL database that answers within `timeout` seconds (SQLite needs no check)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        asyncio.run(_select_one(dsn, timeout))
    except Exception as error:  # every failure to connect is reported the same way
        where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PreflightError(
            f"cannot reach the database at {where}: {reason}", UNAVAILABLE
        ) from None


async def _select_one(dsn: str, seconds: float) -> None:
    import asyncpg

    async with asyncio.timeout(seconds):
        conn = await asyncpg.connect(dsn)
        try:
            await conn.fetchval("SELECT 1")
        finally:
            await conn.close()
