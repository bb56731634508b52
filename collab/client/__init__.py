"""A Python client for collab: the REST API (`CollabClient`) and live sync (`LiveDocument`)."""

from collab.client.comments import mention
from collab.client.live import Backoff, LiveClosed, LiveDocument, websocket_base
from collab.client.rest import CollabClient, Room, RoomPage
from collab.client.wire import CollabAPIError

__all__ = [
    "Backoff",
    "CollabAPIError",
    "CollabClient",
    "LiveClosed",
    "LiveDocument",
    "Room",
    "RoomPage",
    "mention",
    "websocket_base",
]
