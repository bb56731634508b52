"""GET /healthz: liveness plus a few gauges."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from collab.state import CollabState


async def health(request: Request) -> JSONResponse:
    """Rooms loaded, connections open and writes waiting for commit."""
    state: CollabState = request.app.state.collab
    return JSONResponse(
        {
            "status": "ok",
            "rooms": len(state.rooms.rooms),
            "room_loads": state.rooms.loads,
            "connections": len(state.connections),
            "pending_writes": state.writer.pending(),
            "awareness_dropped": sum(room.awareness_dropped for room in state.rooms.rooms.values()),
        }
    )


routes = [Route("/healthz", health)]
