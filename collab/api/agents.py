"""REST endpoints of agents: an agent (a token made by `collab token --agent`) shows others
what it is doing as a presence state the server holds for it (rooms/agent_presence.py)."""

from __future__ import annotations

from starlette.responses import Response

from collab.api.models.agents import AgentPresenceBody, AgentPresenceState
from collab.api.operations import JsonBody, Operation, Reply, RoomCall, reply, resource
from collab.auth import Identity, Role
from collab.errors import Forbidden
from collab.rooms.agent_presence import AGENT_COLOR, AgentPresence, client_id_of
from collab.state import CollabState

_ONLY_AGENTS = "only an agent's token has presence set over REST (collab token --agent)"

SET_PRESENCE = Operation(
    "setAgentPresence",
    "Show the calling agent in the document's presence: working or idle, and where",
    {200: Reply("The presence held for the agent", AgentPresenceState)},
    description="Editors list the agent by name, marked as an agent, with its status and "
    "selection (plain text). It disappears after ttl_seconds (default 30, at most 300) "
    "unless set again.",
    role=Role.VIEWER,
    body=JsonBody(AgentPresenceBody),
)
CLEAR_PRESENCE = Operation(
    "clearAgentPresence",
    "Remove the calling agent from the document's presence",
    {204: Reply("Removed (also when there was none)")},
    role=Role.VIEWER,
)


def _presence(state: CollabState) -> AgentPresence:
    if state.agent_presence is None:
        state.agent_presence = AgentPresence(state.rooms)
    return state.agent_presence


def _session(identity: Identity) -> str:
    if identity.agent is None or identity.agent_session is None:
        raise Forbidden(_ONLY_AGENTS)
    return identity.agent_session


@SET_PRESENCE.on_room
async def set_presence(call: RoomCall[None, AgentPresenceBody]) -> Response:
    """PUT /api/rooms/{room}/presence."""
    identity, body = call.identity, call.body
    session = _session(identity)
    user = {"name": identity.display, "color": AGENT_COLOR, "agent": True, "status": body.status}
    selection = (body.selection.index, body.selection.length) if body.selection else None
    presence = _presence(call.state)
    ttl = body.ttl_seconds
    await presence.set(call.room, session, identity.user_id, user, selection, ttl)
    return reply(
        AgentPresenceState(
            name=identity.display,
            status=body.status,
            client_id=client_id_of(session),
            expires_in=ttl,
        )
    )


@CLEAR_PRESENCE.on_room
async def clear_presence(call: RoomCall[None, None]) -> Response:
    """DELETE /api/rooms/{room}/presence."""
    session = _session(call.identity)
    _presence(call.state).remove(call.room, session, call.identity.user_id)
    return Response(status_code=204)


routes = [resource("/api/rooms/{room}/presence", put=set_presence, delete=clear_presence)]
