"""The WebSocket endpoint /ws/{room}: y-websocket protocol plus opt-in acknowledgements."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from collab import logs
from collab.api.access import origin_allowed, request_info, websocket_token
from collab.api.membership import enter, expiry_timer, leave, peer_origin
from collab.auth import PROTOCOL, Role
from collab.connection import Connection, ConnectionLimits
from collab.errors import CollabError, InvalidRoomName, Overloaded
from collab.limits import TokenBucket
from collab.recheck import Watched
from collab.state import CollabState
from collab.types import clean_name, is_valid_room_name

log = logging.getLogger(__name__)

# Where `collab serve` puts the connection's TransportControl: uvicorn keeps what was written to
# a socket whose peer stopped reading, and closing it waits for that to flush.
TRANSPORT_KEY = "collab.transport"
# Where `collab serve` offers to run the rest of a connection in a task of its own, so that the
# middleware and routing frames the app was called through are let go while it is open (with
# the connection's Event, about 8 KB a connection); other ASGI servers offer nothing and the
# session runs in the app's call.
HAND_OFF_KEY = "collab.hand_off"
HandOff = Callable[[Coroutine[Any, Any, None]], None]

_CLOSE_GRACE = 5.0


async def room_socket(websocket: WebSocket) -> None:
    """Check Origin, accept, authenticate, join the room (loading it once), serve until either
    side closes, then leave. Nothing of the document is sent before the checks pass."""
    state: CollabState = websocket.app.state.collab
    logs.room_id.set(websocket.path_params["room"])
    if not origin_allowed(websocket, state.settings.allowed_origins):
        log.warning("refused WebSocket from origin %r", websocket.headers.get("origin"))
        state.metrics.closed(4403)
        await websocket.close(code=4403)  # before accept: the client sees HTTP 403
        return
    offered = websocket.scope.get("subprotocols") or []
    await websocket.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
    try:
        connection, watched = await _admit(websocket, state)
    except CollabError as error:
        log.info("refused WebSocket: %d %s", error.close_code, error.detail)
        state.metrics.closed(error.close_code)
        await _close(websocket, error)
        return
    await run_session(websocket, _serve(state, connection, watched))


async def run_session(websocket: WebSocket, session: Coroutine[Any, Any, None]) -> None:
    """Serve an accepted connection: handed to the server when it offers (`HAND_OFF_KEY`),
    else here."""
    hand_off: HandOff | None = websocket.scope.get(HAND_OFF_KEY)
    if hand_off is None:
        await session
    else:
        hand_off(session)


async def _admit(websocket: WebSocket, state: CollabState) -> tuple[Connection, Watched]:
    room = websocket.path_params["room"]
    if not is_valid_room_name(room):
        raise InvalidRoomName("room names are 1-128 characters of A-Z a-z 0-9 . _ ~ : @ + -")
    info = request_info(websocket, "websocket")
    fallback = clean_name(websocket.query_params.get("name"))
    admitted = await state.admission.admit(
        info, websocket_token(websocket), room, Role.VIEWER, fallback_name=fallback
    )
    identity, role = admitted.identity, admitted.role
    if len(state.connections) >= state.settings.max_connections:
        raise Overloaded("this server is at its connection limit; retry later")
    origin, live_name = peer_origin(state, admitted)
    address = websocket.client.host if websocket.client else None
    connection = Connection(
        websocket,
        origin,
        wants_ack=_flag(websocket, "ack"),
        wants_events=_flag(websocket, "events"),
        wants_echo=_flag(websocket, "echo"),
        live_name=live_name,
        can_write=role >= Role.EDITOR,
        limits=ConnectionLimits.from_settings(state.settings),
        budget=state.send_budget,
        shared_state_buckets=shared_state_buckets(state, address, origin.principal),
        transport=websocket.scope.get(TRANSPORT_KEY),
        metrics=state.metrics,
    )
    connection.expires_at = identity.expires_at
    connection.role = role.name.lower()
    logs.connection_id.set(origin.connection_id)
    return connection, Watched(identity, room, role, connection.fail)


def shared_state_buckets(
    state: CollabState, address: str | None, principal: str | None
) -> list[TokenBucket]:
    """The full-state allowances a connection shares with every other of its address and,
    when it is someone's, of its user."""
    shared = [state.state_work_by_address.get(address)]
    if principal is not None:
        shared.append(state.state_work_by_user.get(principal))
    return shared


def _flag(websocket: WebSocket, name: str) -> bool:
    return websocket.query_params.get(name) in {"1", "true"}


async def _serve(state: CollabState, connection: Connection, watched: Watched) -> None:
    try:
        room = await enter(state, connection, watched, create=connection.can_write)
    except CollabError as error:
        connection.fail(error)
        await connection.close()
        state.metrics.closed(error.close_code)
        return
    expiry = expiry_timer(connection.expires_at, watched.identity, connection.fail)
    state.connections.add(connection)
    try:
        await connection.serve(room)
    except CollabError as error:
        connection.fail(error)
        await connection.close()
    finally:
        if expiry is not None:
            expiry.cancel()
        state.connections.discard(connection)
        failure = connection.failure
        code = failure.close_code if failure is not None else 1000
        leave(state, room, connection, watched, code)
        state.metrics.closed(code)


async def _close(websocket: WebSocket, error: CollabError) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(error.close_code, error.close_reason)


async def close_all(state: CollabState, error: CollabError) -> None:
    """Close every open connection with `error` (used at shutdown): each one's own task sends
    what it has queued, then the close frame; stragglers after a few seconds are closed here."""
    connections = list(state.connections)
    for connection in connections:
        connection.fail(error)
    waiters = [asyncio.ensure_future(c.wait_finished()) for c in connections]
    if waiters:
        _, pending = await asyncio.wait(waiters, timeout=_CLOSE_GRACE)
        for waiter in pending:
            waiter.cancel()
    for connection in list(state.connections):
        with contextlib.suppress(Exception):
            await connection.close()


routes = [WebSocketRoute("/ws/{room}", room_socket)]
