"""Prometheus instruments of one app: a registry per app (two apps never share counters).

What the parts record as it happens lives here; what can be read when scraped (rooms loaded,
queue depths, cluster figures) is read then, by collab.api.metrics. Message counts are plain
integers indexed by message kind, so the hot path costs an index and two additions.
"""

from __future__ import annotations

import asyncio
import platform
import time
from collections.abc import Iterator
from importlib import metadata

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric

# Kinds of y-websocket messages, by index.
KINDS = (
    "sync_step1",
    "sync_step2",
    "update",
    "awareness",
    "auth",
    "query_awareness",
    "ack",
    "event",
    "other",
)
_OTHER = len(KINDS) - 1
_BY_TYPE = {1: 3, 2: 4, 3: 5, 100: 6, 101: 7}
_SYNC = {0: 0, 1: 1, 2: 2}

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LAG = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
_BATCH = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
# The paths of `Store.append` counted by `collab_store_appends` (collab/store/sql.py).
APPEND_PATHS = ("event_loop", "one_trip", "one_statement", "sqlalchemy")
# How often the event loop's lag is sampled.
LAG_INTERVAL = 0.5


def kind_of(frame: bytes) -> int:
    """The index in KINDS of an encoded message (its first bytes are single-byte varints)."""
    if not frame:
        return _OTHER
    if frame[0] == 0:
        return _SYNC.get(frame[1], _OTHER) if len(frame) > 1 else _OTHER
    return _BY_TYPE.get(frame[0], _OTHER)


class Metrics:
    """The instruments; `registry` is what /metrics exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages_in = [0] * len(KINDS)
        self.bytes_in = [0] * len(KINDS)
        self.messages_out = [0] * len(KINDS)
        self.bytes_out = [0] * len(KINDS)
        r.register(_Traffic(self))
        self.closes = Counter(
            "collab_connection_closes", "WebSocket connections closed, by close code", ["code"],
            registry=r,
        )  # fmt: skip
        self.room_loads = Counter(
            "collab_room_loads", "Rooms loaded from storage, by result", ["result"], registry=r
        )
        self.room_load_seconds = Histogram(
            "collab_room_load_seconds", "Time to load a room from storage", buckets=_LATENCY,
            registry=r,
        )  # fmt: skip
        self.commit_seconds = Histogram(
            "collab_commit_seconds", "Time of one committed write transaction (group commit)",
            buckets=_LATENCY, registry=r,
        )  # fmt: skip
        self.commit_batch = Histogram(
            "collab_commit_batch_size", "Writes in one committed transaction", buckets=_BATCH,
            registry=r,
        )  # fmt: skip
        self.commit_retries = Counter(
            "collab_commit_retries", "Commits that failed and were retried", registry=r
        )
        self.commit_refusals = Counter(
            "collab_commit_refusals", "Writes the database refused for good", registry=r
        )
        self.ack_seconds = Histogram(
            "collab_ack_seconds", "Time from an update reaching the writer to its commit being "
            "acknowledged", buckets=_LATENCY, registry=r,
        )  # fmt: skip
        self.store_appends = store_appends(r)
        self.versions = Counter(
            "collab_versions", "Versions recorded, by kind", ["kind"], registry=r
        )
        self.slow_consumer_drops = Counter(
            "collab_slow_consumer_drops", "Connections dropped for falling behind", registry=r
        )
        self.rate_limited = Counter(
            "collab_rate_limited_connections",
            "Connections throttled (not read for a while) at least once",
            registry=r,
        )
        self.throttle_pauses = Counter(
            "collab_throttle_pauses", "Pauses of throttled connections", registry=r
        )
        self.loop_lag = Histogram(
            "collab_event_loop_lag_seconds", "How late the event loop ran a timer",
            buckets=_LAG, registry=r,
        )  # fmt: skip
        self.loop_lag_last = Gauge(
            "collab_event_loop_lag_last_seconds", "The last sampled event loop lag", registry=r
        )
        Info("collab_build", "Version of the server and its runtime", registry=r).info(
            {
                "version": _version("collab"),
                "pycrdt": _version("pycrdt"),
                "python": platform.python_version(),
            }
        )
        self.ok_load = self.room_loads.labels("ok")
        self.failed_load = self.room_loads.labels("error")
        self.quarantined_load = self.room_loads.labels("quarantined")
        self._closes: dict[int, Counter] = {}

    def received(self, frame: bytes) -> None:
        """Count one incoming message."""
        kind = kind_of(frame)
        self.messages_in[kind] += 1
        self.bytes_in[kind] += len(frame)

    def sent(self, frame: bytes) -> None:
        """Count one message queued or written to a peer."""
        kind = kind_of(frame)
        self.messages_out[kind] += 1
        self.bytes_out[kind] += len(frame)

    def closed(self, code: int) -> None:
        """Count one WebSocket close."""
        child = self._closes.get(code)
        if child is None:
            child = self._closes[code] = self.closes.labels(str(code))
        child.inc()

    async def watch_loop(self, interval: float = LAG_INTERVAL) -> None:
        """Sample how late a sleep wakes up, until cancelled."""
        while True:
            started = time.monotonic()
            await asyncio.sleep(interval)
            lag = max(0.0, time.monotonic() - started - interval)
            self.loop_lag.observe(lag)
            self.loop_lag_last.set(lag)


def store_appends(registry: CollectorRegistry | None = None) -> Counter:
    """The counter of batches appended to the store, by path (`APPEND_PATHS`); one of its own,
    registered nowhere, when `registry` is None."""
    counter = Counter(
        "collab_store_appends",
        "Batches appended to the store, by path: event_loop (a SQLite file not synced at each "
        "commit, its write lock free: committed on the event loop's thread), one_trip (a "
        "SQLite file: one trip to collab's own SQLite thread), one_statement (PostgreSQL: one "
        "statement, one round trip) or sqlalchemy (the rest)",
        ["path"],
        registry=registry,
    )
    for path in APPEND_PATHS:
        counter.labels(path)  # every path shown from the start, at 0
    return counter


class _Traffic:
    """Messages and bytes in and out, by kind, from the plain counters."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self._metrics
        for name, doc, values in (
            ("collab_messages_received", "WebSocket messages received", m.messages_in),
            ("collab_received_bytes", "Bytes of WebSocket messages received", m.bytes_in),
            ("collab_messages_sent", "WebSocket messages sent", m.messages_out),
            ("collab_sent_bytes", "Bytes of WebSocket messages sent", m.bytes_out),
        ):
            family = CounterMetricFamily(name, f"{doc}, by message type", labels=["type"])
            for kind, value in zip(KINDS, values, strict=True):
                family.add_metric([kind], value)
            yield family


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
