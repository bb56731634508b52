"""GET /healthz: liveness plus a few gauges."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from collab.state import CollabState


async def health(request: Request) -> JSONResponse:
    """Rooms loaded, connections open and writes waiting for commit."""
    state: CollabState = request.app.state.collab
    writer = state.writer.status()
    cluster = state.rooms.cluster
    bus_up = cluster is None or cluster.bus.connected
    return JSONResponse(
        {
            "status": "ok" if writer["state"] == "ok" and bus_up else "degraded",
            "writer": writer,
            "cluster": None if cluster is None else cluster.status(),
            "send_budget": {
                "used": state.send_budget.used,
                "limit": state.send_budget.limit,
                "dropped": state.send_budget.dropped,
            },
            "rooms": len(state.rooms.rooms),
            "room_loads": state.rooms.loads,
            "connections": len(state.connections),
            "pending_writes": state.writer.pending(),
            "throttled": sum(connection.throttled for connection in state.connections),
            "awareness_dropped": sum(
                room.awareness_dropped + room.presence.dropped
                for room in state.rooms.rooms.values()
            ),
        }
    )


routes = [Route("/healthz", health)]
