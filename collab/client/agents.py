"""The agents half of the REST client: a person's token for their agent, an agent's presence,
and reverting an agent session (mixed into CollabClient)."""

from __future__ import annotations

from typing import Any, Literal, Protocol
from urllib.parse import quote

import httpx

from collab.api.models import agents as shapes
from collab.client.wire import parse


class _Transport(Protocol):
    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response: ...


def _room_path(room: str, *rest: str) -> str:
    return "/".join(["/api/rooms", quote(room, safe=""), *rest])


class AgentCalls:
    """Agents; needs the client's `_request`."""

    async def create_agent_token(
        self: _Transport,
        agent: str,
        rooms: list[str],
        *,
        role: str = "editor",
        ttl_seconds: int = 3600,
    ) -> shapes.AgentToken:
        """A token for `agent` acting for the person signed in (its role capped by theirs)."""
        body = {"agent": agent, "rooms": rooms, "role": role, "ttl_seconds": ttl_seconds}
        return parse(shapes.AgentToken, await self._request("POST", "/api/agent-tokens", json=body))

    async def set_agent_presence(
        self: _Transport,
        room: str,
        status: Literal["working", "idle"],
        *,
        selection: tuple[int, int] | None = None,
        ttl_seconds: int = 30,
    ) -> shapes.AgentPresenceState:
        """Show this agent (the client's token is an agent's) in `room`'s presence."""
        body: dict[str, Any] = {"status": status, "ttl_seconds": ttl_seconds}
        if selection is not None:
            body["selection"] = {"index": selection[0], "length": selection[1]}
        response = await self._request("PUT", _room_path(room, "presence"), json=body)
        return parse(shapes.AgentPresenceState, response)

    async def clear_agent_presence(self: _Transport, room: str) -> None:
        """Remove this agent from `room`'s presence."""
        await self._request("DELETE", _room_path(room, "presence"))

    async def agent_sessions(self: _Transport, room: str) -> list[shapes.AgentSessionOut]:
        """The agent sessions whose edits `room`'s log holds, most recently active first."""
        response = await self._request("GET", _room_path(room, "agent-sessions"))
        return parse(shapes.AgentSessionPage, response).items

    async def revert_agent_session(self: _Transport, room: str, session: str) -> bool:
        """Undo `session`'s edits in `room` as a new edit; whether anything changed."""
        path = _room_path(room, "agent-sessions", quote(session, safe=""), "revert")
        return parse(shapes.Reverted, await self._request("POST", path)).changed
