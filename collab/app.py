"""create_app(settings): the Starlette app; its lifespan owns the engine, writer and rooms."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette

from collab.api import errors, health, history, openapi, rooms, ws
from collab.api.pages import Pages, web_dist
from collab.auth import Authenticator
from collab.config import Settings
from collab.errors import ServerShuttingDown
from collab.limits import SendBudget, SharedBuckets
from collab.rooms.documents import Documents
from collab.rooms.history import VersionPolicy
from collab.rooms.manager import RoomManager
from collab.rooms.room import RoomLimits
from collab.rooms.versions import Versions
from collab.rooms.writer import UpdateWriter
from collab.state import CollabState
from collab.store import migrate
from collab.store.base import RetentionPolicy
from collab.store.db import create_engine
from collab.store.sql import SqlStore

log = logging.getLogger(__name__)

# How long shutdown waits for queued writes to commit before giving up.
_DRAIN_TIMEOUT = 30.0


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the ASGI app. A host app that mounts it must run `app.router.lifespan_context`."""
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with _running(settings) as state:
            app.state.collab = state
            yield

    pages = Pages(web_dist())
    routes = [
        *ws.routes,
        *health.routes,
        *rooms.routes,
        *history.routes,
        *openapi.routes,
        *pages.routes(),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers=errors.handlers)


@contextlib.asynccontextmanager
async def _running(settings: Settings) -> AsyncIterator[CollabState]:
    engine = create_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    if settings.auto_migrate:
        await migrate.upgrade(engine)
    store = SqlStore(engine)
    writer = UpdateWriter(store, batch_max=settings.write_batch_max)
    rooms = RoomManager(
        store,
        writer,
        unload_grace=settings.unload_grace,
        compact_max_updates=settings.compact_max_updates,
        compact_max_bytes=settings.compact_max_bytes,
        limits=RoomLimits.from_settings(settings),
        max_rooms=settings.max_rooms,
        versions=VersionPolicy(settings.version_settle, settings.version_max_interval),
        retention=RetentionPolicy(
            keep_all=timedelta(hours=settings.version_keep_all_hours),
            hourly_until=timedelta(days=settings.version_hourly_days),
        ),
    )
    documents = Documents(store, rooms, commit_wait=settings.commit_wait)
    auth = Authenticator(settings.secret, _public_key(settings.public_key))
    if auth.development:
        log.warning(
            "DEVELOPMENT MODE: no secret or public key is configured, so anyone can read, "
            "edit and delete every document. Set COLLAB_SECRET (or --secret) before exposing "
            "this server."
        )
    state = CollabState(
        settings,
        engine,
        store,
        writer,
        rooms,
        documents,
        Versions(documents),
        auth,
        SendBudget(settings.send_budget_bytes),
        SharedBuckets(settings.state_bytes_per_second * 2, settings.state_byte_burst * 2),
        SharedBuckets(settings.state_bytes_per_second * 4, settings.state_byte_burst * 4),
    )
    writer_task = asyncio.create_task(writer.run(), name="collab writer")
    try:
        yield state
    finally:
        await ws.close_all(state, ServerShuttingDown("server restarting; reconnect"))
        try:
            async with asyncio.timeout(_DRAIN_TIMEOUT):
                await rooms.record_dirty_versions()
        except TimeoutError:
            log.error("shutdown: versions of edited rooms could not all be recorded")
        try:
            async with asyncio.timeout(_DRAIN_TIMEOUT):
                await writer.drain()
        except TimeoutError:
            log.error("shutdown: %d writes could not be committed", writer.pending())
        writer_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer_task
        await rooms.close()
        await store.close()


def _public_key(value: str | None) -> str | None:
    """A PEM key given inline, or the path of a PEM file."""
    if value is None or value.lstrip().startswith("-----BEGIN"):
        return value
    return Path(value).read_text()
