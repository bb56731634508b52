"""Joining a room and leaving it, for every kind of WebSocket peer: a /ws connection, or one
document of a multiplexed Hocuspocus socket (api/hocuspocus.py). The checks, the access
re-check, the expiry timer and the on_connect/on_disconnect hooks are the same for both."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from collab.admission import Admitted
from collab.auth import Identity
from collab.errors import TOKEN_EXPIRED, CollabError, LinkExpired, Overloaded, TokenExpired
from collab.hooks import Connect, Disconnect
from collab.recheck import Watched, session_expired
from collab.rooms.peer import Peer
from collab.rooms.room import Room
from collab.state import CollabState
from collab.types import PeerOrigin


def peer_origin(state: CollabState, admitted: Admitted) -> tuple[PeerOrigin, bool]:
    """A new connection id and attribution for an admitted peer, and whether its name may
    follow its awareness state (nobody named it: a token's name always wins)."""
    identity = admitted.identity
    anonymous = state.auth.development and not admitted.by_hook
    principal = None if anonymous else identity.user_id
    origin = PeerOrigin(
        state.next_connection_id(), identity.display, principal, identity.agent_session
    )
    return origin, anonymous or identity.name is None


async def enter(state: CollabState, peer: Peer, watched: Watched, *, create: bool) -> Room:
    """Load the room (once per process), add `peer` to it (our SyncStep1, then everyone's
    presence), start re-checking its access and tell the on_connect hook. Raises a
    CollabError (nothing held) when the room cannot be opened or is full."""
    room = await state.rooms.acquire(watched.room, create=create)
    try:
        if len(room.peers) >= state.settings.max_connections_per_room:
            raise Overloaded(f"room {watched.room!r} is full; retry later")
        room.add_peer(peer)
    except BaseException:
        state.rooms.release(room)
        raise
    state.access.watch(watched)
    if state.hooks.overrides("on_connect"):
        event = Connect(watched.room, watched.identity, watched.role, peer.origin.connection_id)
        state.hooks.spawn("on_connect", state.hooks.hooks.on_connect(event))
    return room


def leave(state: CollabState, room: Room, peer: Peer, watched: Watched, close_code: int) -> None:
    """Take `peer` out of the room it entered (call once per `enter`), stop re-checking it and
    tell the on_disconnect hook."""
    joined = peer in room.peers
    room.remove_peer(peer)
    state.rooms.release(room)
    if not joined:
        return
    state.access.unwatch(watched)
    if state.hooks.overrides("on_disconnect"):
        connection_id = peer.origin.connection_id
        event = Disconnect(watched.room, watched.identity, connection_id, close_code)
        state.hooks.spawn("on_disconnect", state.hooks.hooks.on_disconnect(event))


def expiry_timer(
    expires_at: float | None, identity: Identity, fail: Callable[[CollabError], None]
) -> asyncio.TimerHandle | None:
    """Close the peer (`fail`) when its token, link or session runs out."""
    if expires_at is None:
        return None
    delay = max(0.0, expires_at - time.time())
    expired: CollabError
    if identity.session is not None:  # a person's session: the page offers to sign in again
        expired = session_expired()
    elif identity.link is not None:
        expired = LinkExpired()
    else:
        expired = TokenExpired(TOKEN_EXPIRED)
    return asyncio.get_running_loop().call_later(delay, fail, expired)
