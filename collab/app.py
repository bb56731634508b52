"""create_app(settings, store=, bus=): the Starlette app, and the one lifetime of its parts.

The composition root: the parts are made here (or passed in) and owned by the lifespan, which
starts them in order and stops them in reverse: store, bus and cluster, writer, rooms. Nothing
runs outside it (state lives on `app.state.collab`, never in globals).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from collab.api import errors, health, hocuspocus, ws
from collab.api import metrics as api_metrics
from collab.api.deferred import DeferredRoutes
from collab.api.hosts import AllowedHosts, HostCheck
from collab.api.pages import Pages, web_dist
from collab.auth import Authenticator
from collab.config import Settings
from collab.content import roots
from collab.documents.agent_authors import AgentAuthors
from collab.documents.service import Documents
from collab.documents.trash import Trash
from collab.documents.versions import Versions
from collab.errors import ServerShuttingDown
from collab.hooks import HookRunner, Hooks
from collab.limits import SendBudget, SharedBuckets
from collab.logs import RequestIds
from collab.mcp.http import McpEndpoint
from collab.metrics import Metrics
from collab.people.access import PersonAccess
from collab.people.sessions import Sessions
from collab.pubsub.base import Bus
from collab.pubsub.local import LocalBus
from collab.recheck import AccessWatch
from collab.rooms.cluster.remote_presence import PresenceTimings
from collab.rooms.cluster.replication import Cluster
from collab.rooms.hooked import CommitHooks
from collab.rooms.manager import RoomManager
from collab.rooms.room import RoomLimits
from collab.rooms.upkeep.autoversions import VersionPolicy
from collab.rooms.upkeep.leases import MAINTENANCE
from collab.rooms.writer import UpdateWriter
from collab.state import CollabState
from collab.store import migrate
from collab.store.base import Lease, RetentionPolicy, RevertHold, Store
from collab.store.db import create_engine
from collab.store.sql import SqlStore

if TYPE_CHECKING:
    from collab.webhooks.service import Webhooks

log = logging.getLogger(__name__)

# How long shutdown waits for queued writes to commit before giving up.
_DRAIN_TIMEOUT = 30.0


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    bus: Bus | None = None,
    hooks: Hooks | None = None,
) -> Starlette:
    """Build the ASGI app. A host app that mounts it must run `app.router.lifespan_context`.

    `store`: where documents live (default: SqlStore on `settings.database_url`, migrated when
    `auto_migrate`); a store passed in is the caller's to close. `bus`: how this process reaches
    the others of its cluster (default: Redis at `settings.redis_url` when set, else nobody:
    one process). `hooks`: the host's part in authentication, access and the document
    lifecycle (collab.hooks, README "Hooks"). ValueError if the settings cannot work together
    (see Settings.check)."""
    settings = settings or Settings.from_env()
    settings.check()
    roots.prefer(name.strip() for name in settings.content_root.split(","))

    mcp_endpoint = McpEndpoint()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runner = HookRunner(hooks, settings.hook_timeout)
        async with _running(settings, store, bus, runner) as state, mcp_endpoint.running():
            app.state.collab = state
            yield

    pages = Pages(web_dist())
    rest = DeferredRoutes("the REST API", lambda: _rest_routes(settings))
    if settings.oidc_issuer:  # its settings are checked, and warned about, at start
        rest.load()
    routes = [
        *ws.routes,
        *hocuspocus.routes,
        *health.routes,
        *api_metrics.routes,
        rest,
        *mcp_endpoint.routes,
        *pages.routes(),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=errors.handlers,
        middleware=[Middleware(RequestIds), Middleware(HostCheck, AllowedHosts.of(settings))],
    )


def _rest_routes(settings: Settings) -> list[BaseRoute]:
    """The REST API, imported with the first request that reaches it (api/deferred.py): an
    idle server, or one serving only WebSocket clients and probes, never holds it."""
    from collab.api import rest

    return rest.routes(settings)


@contextlib.asynccontextmanager
async def _running(
    settings: Settings, given_store: Store | None, given_bus: Bus | None, hooks: HookRunner
) -> AsyncIterator[CollabState]:
    async with contextlib.AsyncExitStack() as stack:
        metrics = Metrics()
        store = given_store or await _sql_store(settings, metrics)
        if given_store is None:
            stack.push_async_callback(store.close)
        clustered = given_bus is not None or settings.redis_url is not None
        node_id = uuid.uuid4().hex
        cluster = Cluster(
            given_bus or _bus(settings, node_id),
            store,
            node_id=node_id,
            check_interval=settings.cluster_check_interval if clustered else None,
            presence=PresenceTimings.from_settings(settings) if clustered else None,
        )
        # This process's claim on once-per-room work; automatic versions commit fenced by it.
        lease = Lease(MAINTENANCE, node_id)
        writer = UpdateWriter(store, batch_max=settings.write_batch_max, metrics=metrics)
        writer.observers.append(cluster.committed)
        agent_authors = AgentAuthors(store.agent_sessions)
        writer.observers.append(agent_authors)
        stack.push_async_callback(agent_authors.close)  # after the last commits
        rooms = _room_manager(settings, store, writer, cluster, lease, metrics)
        webhooks = _webhooks(settings, store, rooms)
        if webhooks is not None:  # closed after the last commits, announcing them
            writer.observers.append(webhooks.committed)
            store.comments.observers.append(webhooks.comment_changed)
            await webhooks.start()
            stack.push_async_callback(webhooks.close)
        rooms.hooks = hooks
        writer.observers.append(CommitHooks(hooks, rooms.rooms))
        stack.push_async_callback(hooks.close)  # after the last commits and disconnects
        stack.push_async_callback(rooms.close)
        await cluster.start()
        stack.push_async_callback(cluster.close)
        writer_task = asyncio.create_task(writer.run(), name="collab writer")
        stack.push_async_callback(_stop, writer_task)
        lag_task = asyncio.create_task(metrics.watch_loop(), name="collab loop lag")
        stack.push_async_callback(_stop, lag_task)
        state = _state(settings, store, writer, rooms, metrics)
        api_metrics.register(state)
        if webhooks is not None:
            state.documents.deleted_observers.append(webhooks.deleted)
            state.trash.restored_observers.append(webhooks.restored)
            state.reverted_observers.append(webhooks.agent_session_reverted)
            state.agent_active_observers.append(webhooks.agent_session_active)
            state.agent_ended_observers.append(webhooks.agent_session_ended)
            state.trash.purged_observers.append(webhooks.purged)
        await state.trash.purge_once()  # before serving: what fell due while it was down
        purge_task = asyncio.create_task(state.trash.run(), name="collab trash purge")
        stack.push_async_callback(_stop, purge_task)
        state.hooks = hooks
        if settings.secret is not None:
            state.sessions = Sessions(store.people, settings.secret, settings.session_ttl)
            state.people = PersonAccess(store.access, store.people)
        state.access = AccessWatch(
            hooks,
            settings.authorize_recheck,
            store.links,
            settings.link_recheck,
            people=state.people,
            sessions=store.people if state.people is not None else None,
        )
        watch = state.access
        cluster.on_access_changed = lambda room, user: watch.recheck(room=room, user_id=user)
        recheck_task = asyncio.create_task(state.access.run(), name="collab access recheck")
        stack.push_async_callback(_stop, recheck_task)
        stack.push_async_callback(_drain, state)
        yield state


async def _sql_store(settings: Settings, metrics: Metrics) -> SqlStore:
    engine = create_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    if settings.auto_migrate:
        await migrate.upgrade(engine)
    return SqlStore(engine, metrics=metrics)


def _bus(settings: Settings, node_id: str) -> Bus:
    if settings.redis_url is None:
        return LocalBus()
    from collab.pubsub.redis import RedisBus

    return RedisBus(settings.redis_url, settings.bus_prefix, node_id=node_id)


def _webhooks(settings: Settings, store: Store, rooms: RoomManager) -> Webhooks | None:
    if not settings.webhook_url_list():
        return None
    if not isinstance(store, SqlStore):
        raise ValueError(
            "webhooks (COLLAB_WEBHOOK_URLS) keep their outbox in collab's SQL database: "
            "they need the default store (SqlStore)"
        )

    def state_vector(room: str) -> bytes | None:
        live = rooms.rooms.get(room)
        return live.doc.get_state() if live is not None else None

    # Loaded only when webhooks are configured (it brings httpx), as the Redis bus is.
    from collab.webhooks.service import Webhooks

    return Webhooks(settings, store.engine, state_vector)


def _room_manager(
    settings: Settings,
    store: Store,
    writer: UpdateWriter,
    cluster: Cluster,
    lease: Lease,
    metrics: Metrics,
) -> RoomManager:
    return RoomManager(
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
        cluster=cluster,
        lease=lease,
        lease_seconds=settings.lease_seconds,
        lease_renew_seconds=settings.lease_renew_seconds,
        revert_hold=_revert_hold(settings),
        stop_compact_seconds=settings.stop_compact_seconds,
        metrics=metrics,
    )


def _revert_hold(settings: Settings) -> RevertHold | None:
    """What compaction keeps for agent sessions to be reverted (COLLAB_AGENT_REVERT_HOURS)."""
    if settings.agent_revert_hours <= 0:
        return None
    window = timedelta(hours=settings.agent_revert_hours)
    return RevertHold(window, 20 * settings.compact_max_updates)


def _state(
    settings: Settings, store: Store, writer: UpdateWriter, rooms: RoomManager, metrics: Metrics
) -> CollabState:
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
        store,
        writer,
        rooms,
        documents,
        Versions(documents),
        Trash(documents, settings.trash_days, settings.trash_purge_interval),
        auth,
        SendBudget(settings.send_budget_bytes),
        SharedBuckets(settings.state_bytes_per_second * 2, settings.state_byte_burst * 2),
        SharedBuckets(settings.state_bytes_per_second * 4, settings.state_byte_burst * 4),
        metrics=metrics,
    )
    per_minute = float(settings.comments_per_minute)
    state.comment_rate = SharedBuckets(per_minute / 60, per_minute)
    return state


async def _drain(state: CollabState) -> None:
    """Shutdown, first step: close every socket, record versions of edited rooms, commit
    what is queued. /readyz fails from the start (`collab serve` fails it `drain_delay`
    seconds before uvicorn closes the sockets, see start_draining)."""
    state.ready = False
    await ws.close_all(state, ServerShuttingDown("server restarting; reconnect"))
    if state.agent_presence is not None:  # agents' states go with the connections
        state.agent_presence.clear()
    try:
        async with asyncio.timeout(_DRAIN_TIMEOUT):
            await state.rooms.record_dirty_versions()
    except TimeoutError:
        log.error("shutdown: versions of edited rooms could not all be recorded")
    try:
        async with asyncio.timeout(_DRAIN_TIMEOUT):
            await state.writer.drain()
    except TimeoutError:
        log.error("shutdown: %d writes could not be committed", state.writer.pending())


def start_draining(app: Starlette) -> None:
    """Shutdown is coming: /readyz answers 503 from now on (a load balancer stops sending
    new clients) while everything else is still served."""
    state: CollabState | None = getattr(app.state, "collab", None)
    if state is not None:
        state.ready = False
        log.info("draining: /readyz now answers 503")


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _public_key(value: str | None) -> str | None:
    """A PEM key given inline, or the path of a PEM file."""
    if value is None or value.lstrip().startswith("-----BEGIN"):
        return value
    return Path(value).read_text()
