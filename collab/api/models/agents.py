"""Bodies and answers of agents' REST operations (api/agents.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from collab.api.models.common import Body, Timestamp


class Selection(Body):
    """A selection in the document's text: code points from `index`."""

    index: int = Field(ge=0)
    length: int = Field(default=0, ge=0)


class AgentPresenceBody(Body):
    """PUT /api/rooms/{room}/presence: what the agent is doing, where, and for how long."""

    status: Literal["working", "idle"]
    selection: Selection | None = None
    ttl_seconds: int = Field(default=30, ge=1, le=300)


class AgentPresenceState(BaseModel):
    """The presence the server holds for the agent now."""

    name: str
    status: str
    client_id: int
    expires_in: int


class AgentSessionOut(BaseModel):
    """An agent session's work in the document: what "Revert this agent's work" undoes."""

    session: str = Field(description="the session's id (POST .../agent-sessions/{session}/revert)")
    agent: str = Field(description='who its edits are credited to: "AGENT (for PERSON)"')
    edits: int = Field(description="its updates in the document's log")
    first_at: Timestamp
    last_at: Timestamp
    reverted: bool = Field(description="a revert of it was made")
    revertible: bool = Field(
        description="it can be reverted now (not reverted yet, and none of its edits compacted)"
    )


class AgentSessionPage(BaseModel):
    """A document's agent sessions whose edits its log holds, most recently active first."""

    items: list[AgentSessionOut]


class Reverted(BaseModel):
    """What reverting an agent session did."""

    session: str
    changed: bool


AgentRole = Literal["viewer", "commenter", "editor", "admin"]


class NewAgentToken(Body):
    """POST /api/agent-tokens: an agent acting for the person signed in."""

    agent: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    rooms: list[Annotated[str, StringConstraints(min_length=1, max_length=128)]] = Field(
        min_length=1, max_length=50
    )
    role: AgentRole = "editor"
    ttl_seconds: int = Field(default=3600, ge=60, le=30 * 86400)


class AgentToken(BaseModel):
    """An agent's token, its session id (what a revert names) and when it expires."""

    token: str
    session: str
    agent: str
    expires_in: int
