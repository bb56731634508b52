"""GET /healthz: liveness plus a few gauges; /livez and /readyz for orchestrators' probes.

Loaded at start-up while the rest of the API is deferred (collab/api/deferred.py), so probes
never import pydantic: the bodies are made here as JSON, and the models that document them
(collab/api/models/health.py) are named by string, imported when the schema is made
(tests/api/test_light_bodies.py holds the answers to them; schemathesis checks them too)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collab.api.operations import Operation, Reply, resource
from collab.state import CollabState
from collab.store.sql import SqlStore

_MODELS = "collab.api.models.health:"

HEALTH = Operation(
    "health",
    "Liveness and gauges",
    {200: Reply("The server is up (status says whether it is degraded)", _MODELS + "Health")},
    authenticated=False,
)


@HEALTH.handles
async def health(request: Request) -> Response:
    """Rooms loaded, connections open and writes waiting for commit."""
    state: CollabState = request.app.state.collab
    writer = state.writer.status()
    cluster = state.rooms.cluster
    bus_up = cluster is None or cluster.bus.connected
    budget = state.send_budget
    gauges = {
        "status": "ok" if writer["state"] == "ok" and bus_up else "degraded",
        "writer": writer,
        "cluster": None if cluster is None else cluster.status(),
        "send_budget": {"used": budget.used, "limit": budget.limit, "dropped": budget.dropped},
        "rooms": len(state.rooms.rooms),
        "room_loads": state.rooms.loads,
        "connections": len(state.connections),
        "pending_writes": state.writer.pending(),
        "throttled": sum(connection.throttled for connection in state.connections),
        "awareness_dropped": sum(
            room.awareness_dropped + room.presence.dropped for room in state.rooms.rooms.values()
        ),
    }
    return JSONResponse(gauges)


LIVEZ = Operation(
    "livez",
    "200 while the process serves requests at all",
    {200: Reply("Alive", _MODELS + "Probe")},
    authenticated=False,
)


@LIVEZ.handles
async def livez(request: Request) -> Response:
    """200 while the process serves requests at all."""
    return JSONResponse({"status": "ok"})


READYZ = Operation(
    "readyz",
    "Whether new clients should come here",
    {200: Reply("Ready", _MODELS + "Probe"), 503: Reply("Not ready, and why", _MODELS + "Probe")},
    description="Not shutting down, the database answers a `SELECT 1` within `ready_timeout` "
    "seconds, and the writer keeps up.",
    authenticated=False,
)


@READYZ.handles
async def readyz(request: Request) -> Response:
    """200 when new clients should come here: not shutting down, the database answers a
    `SELECT 1` within `ready_timeout` seconds, and the writer keeps up; else 503 and why."""
    state: CollabState = request.app.state.collab
    reason = await _not_ready(state)
    if reason is not None:
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ok"})


async def _not_ready(state: CollabState) -> str | None:
    if not state.ready:
        return "shutting down"
    store = state.store
    if isinstance(store, SqlStore):
        try:
            async with asyncio.timeout(state.settings.ready_timeout):
                async with store.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except TimeoutError:
            return "the database did not answer in time"
        except Exception as error:
            return f"the database failed: {type(error).__name__}"
    if not state.ready:
        return "shutting down"
    writer = state.writer.status()
    if writer["state"] != "ok":
        return f"writes are delayed (last error: {writer.get('last_error')})"
    return None


routes = [
    resource("/healthz", get=health),
    resource("/livez", get=livez),
    resource("/readyz", get=readyz),
]
