"""The WebSocket endpoint /ws/{room}: y-websocket protocol plus opt-in acknowledgements."""

from __future__ import annotations

import contextlib

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from collab.connection import Connection
from collab.errors import CollabError, InvalidRoomName
from collab.state import CollabState
from collab.types import PeerOrigin, is_valid_room_name

_MAX_NAME = 64


async def room_socket(websocket: WebSocket) -> None:
    """Accept, join the room (loading it once), serve until either side closes, then leave."""
    state: CollabState = websocket.app.state.collab
    room_name = websocket.path_params["room"]
    await websocket.accept()
    connection = _connection_for(websocket, state)
    if not is_valid_room_name(room_name):
        connection.fail(
            InvalidRoomName("room names are 1-128 characters of A-Z a-z 0-9 . _ ~ : @ + -")
        )
        await connection.close()
        return
    try:
        room = await state.rooms.acquire(room_name)
    except CollabError as error:
        connection.fail(error)
        await connection.close()
        return
    state.connections.add(connection)
    try:
        room.add_peer(connection)
        await connection.serve(room)
    finally:
        state.connections.discard(connection)
        room.remove_peer(connection)
        state.rooms.release(room)


def _connection_for(websocket: WebSocket, state: CollabState) -> Connection:
    params = websocket.query_params
    name = params.get("name")
    origin = PeerOrigin(state.next_connection_id(), name[:_MAX_NAME] if name else None)
    return Connection(
        websocket,
        origin,
        wants_ack=params.get("ack") in {"1", "true"},
        send_queue_size=state.settings.send_queue_size,
        max_message_bytes=state.settings.max_message_bytes,
    )


async def close_all(state: CollabState, error: CollabError) -> None:
    """Close every open connection with `error` (used at shutdown)."""
    for connection in list(state.connections):
        connection.fail(error)
    for connection in list(state.connections):
        with contextlib.suppress(Exception):
            await connection.close()


routes = [WebSocketRoute("/ws/{room}", room_socket)]
