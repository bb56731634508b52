"""Bodies of the probes: /healthz (gauges), /livez and /readyz."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SendBudget(BaseModel):
    """Bytes queued for sending across all sockets, against the process's budget."""

    used: int
    limit: int
    dropped: int


class Health(BaseModel):
    """Liveness and gauges."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "writer": {"state": "ok", "pending": 0},
                    "cluster": None,
                    "send_budget": {"used": 0, "limit": 268435456, "dropped": 0},
                    "rooms": 3,
                    "room_loads": 5,
                    "connections": 4,
                    "pending_writes": 0,
                    "throttled": 0,
                    "awareness_dropped": 0,
                }
            ]
        }
    )

    status: Literal["ok", "degraded"] = Field(
        description="degraded: commits are delayed, or the cluster's bus is down"
    )
    writer: dict[str, Any] = Field(description='"state": "ok" or "delayed", with details')
    cluster: dict[str, Any] | None = Field(description="null: a single process")
    send_budget: SendBudget
    rooms: int = Field(description="rooms loaded")
    room_loads: int = Field(description="rooms loaded since start")
    connections: int = Field(description="open WebSocket connections")
    pending_writes: int = Field(description="updates waiting to commit")
    throttled: int = Field(description="connections being slowed down")
    awareness_dropped: int = Field(
        description="awareness messages over the rate limit, in loaded rooms"
    )


class Probe(BaseModel):
    """A probe's answer: ok, or unavailable and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok", "unavailable"]
    reason: str | None = Field(None, description="why not ready")
