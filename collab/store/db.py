"""The async engine: SQLite (WAL) by default, PostgreSQL through asyncpg."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def is_sqlite(url: str) -> bool:
    """True for sqlite URLs."""
    return make_url(url).get_backend_name() == "sqlite"


# PostgreSQL session settings: a statement waiting on a lock gives up (and the writer retries)
# rather than hang, and a session left idle inside a transaction (its process paused or stuck)
# is ended, so one process cannot hold a room's row lock for the whole cluster.
_POSTGRES_SESSION = {"lock_timeout": "10s", "idle_in_transaction_session_timeout": "30s"}


# What every SQLite connection is given (`create_engine`), by name: the one-trip append's own
# connection copies the values from the engine's connections (`sqlite_settings`).
SQLITE_PRAGMAS = ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")


def _sqlite_pragmas(synchronous: str) -> dict[str, str]:
    return dict(zip(SQLITE_PRAGMAS, ("WAL", synchronous, "10000", "ON"), strict=True))


async def sqlite_settings(engine: AsyncEngine) -> dict[str, object]:
    """The SQLITE_PRAGMAS of the engine's connections, as SQLite reports them."""
    async with engine.connect() as conn:
        return {name: await conn.scalar(text(f"PRAGMA {name}")) for name in SQLITE_PRAGMAS}


def _postgres_args(url: str) -> dict[str, Any]:
    if make_url(url).get_driver_name() != "asyncpg":
        return {}
    return {"server_settings": dict(_POSTGRES_SESSION)}


def create_engine(url: str, *, sqlite_synchronous: str = "NORMAL") -> AsyncEngine:
    """An AsyncEngine for `url`; SQLite connections get WAL, a busy timeout and foreign keys."""
    if not is_sqlite(url):
        return create_async_engine(url, pool_pre_ping=True, connect_args=_postgres_args(url))
    engine = create_async_engine(url)
    mode = sqlite_synchronous.upper()
    if mode not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"sqlite_synchronous must be NORMAL, FULL or EXTRA, not {mode!r}")

    @event.listens_for(engine.sync_engine, "connect")
    def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for name, value in _sqlite_pragmas(mode).items():
            cursor.execute(f"PRAGMA {name}={value}")
        cursor.close()

    return engine
