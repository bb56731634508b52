"""GET /metrics: Prometheus text format; what is read at scrape time is collected here."""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from collab.api.access import bearer_token
from collab.auth import Role
from collab.errors import Forbidden
from collab.state import CollabState

_ROLES = ("viewer", "commenter", "editor", "admin")


async def metrics(request: Request) -> Response:
    """Every metric of this process (README "Metrics"). With a secret set: an admin token
    on every room, or the metrics token."""
    state: CollabState = request.app.state.collab
    _authorize(request, state)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _authorize(request: Request, state: CollabState) -> None:
    token = bearer_token(request)
    expected = state.settings.metrics_token
    if expected and token and hmac.compare_digest(token.encode(), expected.encode()):
        return
    if state.auth.development:
        return
    identity = state.auth.identify(token)  # 401 without a valid token
    if not any(g.pattern == "*" and g.role >= Role.ADMIN for g in identity.grants):
        raise Forbidden("/metrics needs an admin token on every room ('*') or the metrics token")


def register(state: CollabState) -> None:
    """Add what is read at scrape time to the app's registry (once, as the app starts)."""
    state.metrics.registry.register(_Live(state))


class _Live:
    """Gauges and counters read from the running parts when scraped."""

    def __init__(self, state: CollabState) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        state = self._state
        roles = Counter(connection.role for connection in state.connections)
        family = GaugeMetricFamily(
            "collab_connections", "Open WebSocket connections, by role", labels=["role"]
        )
        for role in _ROLES:
            family.add_metric([role], roles.get(role, 0))
        yield family
        rooms = list(state.rooms.rooms.values())
        yield GaugeMetricFamily("collab_rooms_loaded", "Rooms in memory", value=len(rooms))
        yield GaugeMetricFamily(
            "collab_writer_queue_depth", "Writes queued for commit", value=state.writer.pending()
        )
        yield GaugeMetricFamily(
            "collab_writer_delayed",
            "1 while commits fail or one waits on the database for over a second",
            value=0 if state.writer.status()["state"] == "ok" else 1,
        )
        yield GaugeMetricFamily(
            "collab_send_queue_bytes",
            "Bytes waiting in the send queues of all connections",
            value=sum(connection.queued_bytes for connection in state.connections),
        )
        yield GaugeMetricFamily(
            "collab_send_budget_used_bytes",
            "Bytes queued or buffered for sending, counted against the send budget",
            value=state.send_budget.used,
        )
        yield CounterMetricFamily(
            "collab_send_budget_drops",
            "Connections dropped because the process-wide send budget was full",
            value=state.send_budget.dropped,
        )
        yield GaugeMetricFamily(
            "collab_awareness_states",
            "Awareness (presence) states held by the loaded rooms",
            value=sum(len(room.presence) for room in rooms),
        )
        dropped = state.rooms.awareness_dropped_unloaded + sum(
            room.awareness_dropped + room.presence.dropped for room in rooms
        )
        yield CounterMetricFamily(
            "collab_awareness_dropped", "Awareness updates or entries dropped", value=dropped
        )
        yield CounterMetricFamily(
            "collab_compactions", "Room logs compacted", value=state.rooms.upkeep.compactions
        )
        yield from _cluster(state)

    def describe(self) -> Iterator[Metric]:
        return iter(())


def _cluster(state: CollabState) -> Iterator[Metric]:
    cluster = state.rooms.cluster
    if cluster is None:
        return
    status: dict[str, Any] = cluster.status()
    if not status["clustered"]:
        return
    yield GaugeMetricFamily(
        "collab_cluster_bus_connected", "1 while the Redis bus is connected",
        value=1 if status["bus_connected"] else 0,
    )  # fmt: skip
    for name, key, doc in (
        ("collab_cluster_bus_dropped", "bus_dropped", "Bus messages dropped"),
        ("collab_cluster_gaps", "gaps", "Gaps in a room's log seen over the bus"),
        ("collab_cluster_catch_ups", "catch_ups", "Rooms caught up from the database"),
        ("collab_cluster_decode_errors", "decode_errors", "Bus messages that did not decode"),
    ):
        yield CounterMetricFamily(name, doc, value=status[key])
    presence = status.get("presence")
    if isinstance(presence, dict):
        yield GaugeMetricFamily(
            "collab_cluster_presence_remote_entries",
            "Other processes' presence entries held here",
            value=presence["remote_entries"],
        )
        yield CounterMetricFamily(
            "collab_cluster_presence_nodes_dead",
            "Processes found dead (their presence dropped)",
            value=presence["nodes_dead"],
        )
        yield CounterMetricFamily(
            "collab_cluster_presence_expired",
            "Other processes' presence entries expired unrenewed",
            value=presence["expired"],
        )


routes = [Route("/metrics", metrics)]
