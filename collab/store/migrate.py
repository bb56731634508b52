"""Run the Alembic migrations: migrations/ in a checkout, collab/_migrations when installed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:  # Alembic loads only when there is something to migrate
    from alembic.config import Config

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def migrations_dir() -> Path:
    """Where the Alembic scripts live for this installation."""
    for candidate in (_PACKAGE_DIR / "_migrations", _PACKAGE_DIR.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("collab's Alembic migrations are missing from this installation")


def head_revision() -> str:
    """The newest revision. The migrations are one chain of numbered scripts (0001_name.py,
    whose revision is "0001"), so it is the highest number; tests/store/test_migrations.py
    checks that against Alembic's own reading of the scripts."""
    versions = migrations_dir() / "versions"
    return max(path.name.split("_", 1)[0] for path in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))


def alembic_config(database_url: str) -> Config:
    """An Alembic Config pointing at our scripts and `database_url`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Migrate the database behind `engine` to the latest revision, saying so in one line when
    that changed anything (Alembic's own lines are INFO records of the `alembic` logger). A
    database already at the newest revision is only read: Alembic (with Mako and its
    dialect modules, some 10 MiB) is not loaded for it."""
    async with engine.connect() as connection:
        current = await connection.run_sync(current_revision)
    if current == head_revision():
        return
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    async with engine.begin() as connection:
        before, after = await connection.run_sync(_upgrade_on, config)
    if before != after:
        log.info("database migrated to revision %s (from %s)", after, before or "an empty one")


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, read without Alembic; None for an empty database."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade_on(connection: Connection, config: Config) -> tuple[str | None, str | None]:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    before = MigrationContext.configure(connection).get_current_revision()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return before, MigrationContext.configure(connection).get_current_revision()
