"""REST endpoints of agents: an agent (a token made by `collab token --agent`) shows others
what it is doing as a presence state the server holds for it (rooms/agent_presence.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collab.api.access import identify
from collab.api.http import state_of
from collab.api.models.agents import (
    AgentPresenceBody,
    AgentPresenceState,
    AgentSessionOut,
    AgentSessionPage,
    AgentToken,
    NewAgentToken,
    Reverted,
)
from collab.api.operations import JsonBody, Operation, Reply, RoomCall, reply, resource
from collab.auth import Identity, Role, issue_agent_token
from collab.content import crdt
from collab.content.export import RICH
from collab.content.revert import revert
from collab.content.rich_revert import revert_rich
from collab.errors import (
    AgentSessionCompacted,
    AgentSessionNotFound,
    AgentSessionReverted,
    Forbidden,
    SignInUnavailable,
)
from collab.rooms.agent_presence import AGENT_COLOR, AgentPresence, client_id_of
from collab.state import CollabState
from collab.store.agent_sessions import reverted_mark
from collab.types import LocalOrigin

_COMPACTED = "the session's edits were folded into the document's state: they cannot be reverted"
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
    description="Also ends the agent's session in the document (webhook agent.session.ended, "
    "reason cleared), whether it showed its presence or only edited.",
    role=Role.VIEWER,
)

LIST_SESSIONS = Operation(
    "listAgentSessions",
    'The agent sessions that edited the document, for "Revert this agent\'s work"',
    {200: Reply("The sessions, most recently active first", AgentSessionPage)},
    description="Those whose edits the document's log still holds (compaction keeps them "
    "COLLAB_AGENT_REVERT_HOURS after a session's last edit): each with whom its edits are "
    "credited to, how many, when, and whether it can be reverted.",
    role=Role.EDITOR,
)


@LIST_SESSIONS.on_room
async def list_sessions(call: RoomCall[None, None]) -> Response:
    """GET /api/rooms/{room}/agent-sessions."""
    await call.state.documents.info(call.room)
    found = await call.state.store.agent_sessions.sessions(call.room)
    items = [
        AgentSessionOut(
            session=s.session,
            agent=s.author,
            edits=s.edits,
            first_at=s.first_at,
            last_at=s.last_at,
            reverted=s.reverted,
            revertible=not s.reverted and not s.compacted,
        )
        for s in found
    ]
    return reply(AgentSessionPage(items=items))


REVERT = Operation(
    "revertAgentSession",
    "Undo an agent session's edits as a new edit, keeping everyone else's",
    {200: Reply("Reverted (changed false: nothing of the session was left to undo)", Reverted)},
    description="Deletes the text the session inserted that still stands and puts back the "
    "text it deleted, where it was. In rich text, the document is replayed without the "
    "session and edited towards that with the smallest edit: its text, blocks, marks and "
    "attributes go, what it deleted comes back, others' edits stay (except what they typed "
    "inside the session's own text). Only while the session's updates are still rows of the "
    "log: compaction keeps them COLLAB_AGENT_REVERT_HOURS (24) after its last edit (409 when "
    "some were folded away since, 404 when all were).",
    role=Role.EDITOR,
    problems={409: "Reverted already, or the session's edits were compacted"},
)

_NEW_TOKEN = JsonBody(NewAgentToken)
MINT = Operation(
    "createAgentToken",
    "Make a token for an agent acting for you: its role is capped by yours on each document",
    {201: Reply("The agent's token and session", AgentToken)},
    description="Only for a person signed in (not an agent or a plain token). The agent's "
    'edits are credited "AGENT (for YOU)" and recorded under the new session, which '
    "POST /api/rooms/{room}/agent-sessions/{session}/revert undoes.",
    body=_NEW_TOKEN,
    problems={409: "This server has no people (development mode)"},
)


@MINT.handles
async def create_agent_token(request: Request) -> Response:
    """POST /api/agent-tokens."""
    state = state_of(request)
    identity = await identify(request)
    if state.settings.secret is None or state.people is None:
        raise SignInUnavailable("this server has no people (development mode)")
    if identity.person is None or identity.agent is not None:
        raise Forbidden("only a person signed in makes agents' tokens")
    body = await _NEW_TOKEN.read(request)
    grants = {room: str(body.role) for room in body.rooms}
    token, session = issue_agent_token(
        state.settings.secret,
        agent=body.agent,
        person=identity.person,
        person_name=identity.name or "someone",
        grants=grants,
        ttl_seconds=body.ttl_seconds,
    )
    made = AgentToken(token=token, session=session, agent=body.agent, expires_in=body.ttl_seconds)
    return reply(made, 201)


def _presence(state: CollabState) -> AgentPresence:
    if state.agent_presence is None:

        def ended(room: str, session: str, agent: str, reason: str) -> None:
            for observer in state.agent_ended_observers:
                observer(room, session, agent, reason)

        state.agent_presence = AgentPresence(state.rooms, ended)
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
    for observer in call.state.agent_active_observers:
        observer(call.room, session, identity.display, "presence", ttl)
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
    """DELETE /api/rooms/{room}/presence (whoever is not an agent holds none). It ends the
    agent's session in the room (agent.session.ended, "cleared"), whether it showed its
    presence or only edited: an agent that never shows itself ends its session here."""
    session = call.identity.agent_session
    if session is not None:
        state = call.state
        if not _presence(state).remove(call.room, session, call.identity.user_id):
            for observer in state.agent_ended_observers:
                observer(call.room, session, call.identity.display, "cleared")
    return Response(status_code=204)


@REVERT.on_room
async def revert_session(call: RoomCall[None, None]) -> Response:
    """POST /api/rooms/{room}/agent-sessions/{session}/revert."""
    state, room = call.state, call.room
    session = call.request.path_params["session"]
    log = await state.store.agent_sessions.session_log(room, session)
    if log is None:
        raise AgentSessionNotFound(
            f"room {room!r} has no edits of agent session {session!r} in its log: it made none "
            "there, or they were compacted (COLLAB_AGENT_REVERT_HOURS after its last edit)"
        )
    if log.reverted:
        raise AgentSessionReverted(f"agent session {session!r} was reverted already")
    if log.compacted:
        raise AgentSessionCompacted(_COMPACTED)
    if await state.documents.kind(room) == RICH:
        update = revert_rich(log.before, log.others, log.after)
    else:
        current = await state.documents.current(room)
        update = revert(crdt.doc_from_parts(log.before), current, log.updates)
    if update is not None:
        origin = LocalOrigin("revert", call.identity.display, reverted_mark(session))
        await state.documents.apply_update(room, update, origin)
        for observer in state.reverted_observers:
            observer(room, session, call.identity.display)
    return reply(Reverted(session=session, changed=update is not None))


routes = [
    resource("/api/agent-tokens", post=create_agent_token),
    resource("/api/rooms/{room}/presence", put=set_presence, delete=clear_presence),
    resource("/api/rooms/{room}/agent-sessions", get=list_sessions),
    resource("/api/rooms/{room}/agent-sessions/{session}/revert", post=revert_session),
]
