"""The WebSocket endpoint /ws/{room}: y-websocket protocol plus opt-in acknowledgements."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from collab.api.access import origin_allowed, websocket_token
from collab.auth import PROTOCOL, Role
from collab.connection import Connection, ConnectionLimits
from collab.errors import CollabError, Forbidden, InvalidRoomName, Overloaded, TokenExpired
from collab.state import CollabState
from collab.types import PeerOrigin, clean_name, is_valid_room_name

log = logging.getLogger(__name__)

# Where `collab serve` puts the connection's TransportControl: uvicorn keeps what was written to
# a socket whose peer stopped reading, and closing it waits for that to flush.
TRANSPORT_KEY = "collab.transport"

_CLOSE_GRACE = 5.0


async def room_socket(websocket: WebSocket) -> None:
    """Check Origin, accept, authenticate, join the room (loading it once), serve until either
    side closes, then leave. Nothing of the document is sent before the checks pass."""
    state: CollabState = websocket.app.state.collab
    if not origin_allowed(websocket, state.settings.allowed_origins):
        log.warning("refused WebSocket from origin %r", websocket.headers.get("origin"))
        await websocket.close(code=4403)  # before accept: the client sees HTTP 403
        return
    offered = websocket.scope.get("subprotocols") or []
    await websocket.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
    try:
        connection, room_name = _admit(websocket, state)
    except CollabError as error:
        log.info("refused WebSocket: %d %s", error.close_code, error.detail)
        await _close(websocket, error)
        return
    await _serve(state, connection, room_name)


def _admit(websocket: WebSocket, state: CollabState) -> tuple[Connection, str]:
    room = websocket.path_params["room"]
    if not is_valid_room_name(room):
        raise InvalidRoomName("room names are 1-128 characters of A-Z a-z 0-9 . _ ~ : @ + -")
    fallback = clean_name(websocket.query_params.get("name"))
    identity = state.auth.identify(websocket_token(websocket), fallback_name=fallback)
    role = identity.role_for(room)
    if role is None:
        raise Forbidden(f"no access to room {room!r}")
    if len(state.connections) >= state.settings.max_connections:
        raise Overloaded("this server is at its connection limit; retry later")
    principal = None if state.auth.development else identity.user_id
    origin = PeerOrigin(state.next_connection_id(), identity.display, principal)
    address = websocket.client.host if websocket.client else None
    shared = [state.state_work_by_address.get(address)]
    if principal is not None:
        shared.append(state.state_work_by_user.get(principal))
    connection = Connection(
        websocket,
        origin,
        wants_ack=_flag(websocket, "ack"),
        wants_events=_flag(websocket, "events"),
        # A token's name always wins; otherwise the name the person picks (awareness) does.
        live_name=state.auth.development or identity.name is None,
        can_write=role >= Role.EDITOR,
        limits=ConnectionLimits.from_settings(state.settings),
        budget=state.send_budget,
        shared_state_buckets=shared,
        transport=websocket.scope.get(TRANSPORT_KEY),
    )
    connection.expires_at = identity.expires_at
    return connection, room


def _flag(websocket: WebSocket, name: str) -> bool:
    return websocket.query_params.get(name) in {"1", "true"}


async def _serve(state: CollabState, connection: Connection, room_name: str) -> None:
    try:
        room = await state.rooms.acquire(room_name, create=connection.can_write)
    except CollabError as error:
        connection.fail(error)
        await connection.close()
        return
    expiry = _expiry_timer(connection)
    state.connections.add(connection)
    try:
        if len(room.peers) >= state.settings.max_connections_per_room:
            raise Overloaded(f"room {room_name!r} is full; retry later")
        room.add_peer(connection)
        await connection.serve(room)
    except CollabError as error:
        connection.fail(error)
        await connection.close()
    finally:
        if expiry is not None:
            expiry.cancel()
        state.connections.discard(connection)
        room.remove_peer(connection)
        state.rooms.release(room)


def _expiry_timer(connection: Connection) -> asyncio.TimerHandle | None:
    if connection.expires_at is None:
        return None
    delay = max(0.0, connection.expires_at - time.time())
    expired = TokenExpired("token expired; reconnect with a fresh token")
    return asyncio.get_running_loop().call_later(delay, connection.fail, expired)


async def _close(websocket: WebSocket, error: CollabError) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(error.close_code, error.close_reason)


async def close_all(state: CollabState, error: CollabError) -> None:
    """Close every open connection with `error` (used at shutdown): each one's own task sends
    what it has queued, then the close frame; stragglers after a few seconds are closed here."""
    connections = list(state.connections)
    for connection in connections:
        connection.fail(error)
    waiters = [asyncio.ensure_future(c.finished.wait()) for c in connections]
    if waiters:
        _, pending = await asyncio.wait(waiters, timeout=_CLOSE_GRACE)
        for waiter in pending:
            waiter.cancel()
    for connection in list(state.connections):
        with contextlib.suppress(Exception):
            await connection.close()


routes = [WebSocketRoute("/ws/{room}", room_socket)]
