"""Run the Alembic migrations: migrations/ in a checkout, collab/_migrations when installed."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def migrations_dir() -> Path:
    """Where the Alembic scripts live for this installation."""
    for candidate in (_PACKAGE_DIR / "_migrations", _PACKAGE_DIR.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("collab's Alembic migrations are missing from this installation")


def alembic_config(database_url: str) -> Config:
    """An Alembic Config pointing at our scripts and `database_url`."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Migrate the database behind `engine` to the latest revision, saying so in one line when
    that changed anything (Alembic's own lines are INFO records of the `alembic` logger)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    async with engine.begin() as connection:
        before, after = await connection.run_sync(_upgrade_on, config)
    if before != after:
        log.info("database migrated to revision %s (from %s)", after, before or "an empty one")


def _upgrade_on(connection: Connection, config: Config) -> tuple[str | None, str | None]:
    before = MigrationContext.configure(connection).get_current_revision()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return before, MigrationContext.configure(connection).get_current_revision()
