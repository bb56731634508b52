"""How often the WebSocket fast paths were taken, for /metrics: plain integers on the hot path,
read into Prometheus families when scraped (a fast path that silently turns itself off shows
as a counter that stops moving)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric


class FastPathCounts:
    """Frames written and read, by path, and echoes screened, in this process."""

    __slots__ = (
        "echoes_screened",
        "read_collab",
        "read_websockets",
        "written_asgi",
        "written_direct",
    )

    def __init__(self) -> None:
        # Data frames the app's sends became: written directly (corked, framed once per
        # broadcast) or through an ASGI `websocket.send` and websockets.
        self.written_direct = 0
        self.written_asgi = 0
        # Data frames read by collab's reader (serving.frames) or by websockets' parser.
        self.read_collab = 0
        self.read_websockets = 0
        # Binary messages the connection dropped as echoes before they were queued for the app.
        self.echoes_screened = 0

    def collect(self) -> Iterator[Metric]:
        """The counts as Prometheus counters (a collector for a CollectorRegistry)."""
        written = CounterMetricFamily(
            "collab_ws_frames_written",
            "WebSocket data frames written, by path: direct (corked writes) or asgi "
            "(websocket.send)",
            labels=["path"],
        )
        written.add_metric(["direct"], self.written_direct)
        written.add_metric(["asgi"], self.written_asgi)
        read = CounterMetricFamily(
            "collab_ws_frames_read",
            "WebSocket data frames read, by reader: collab (its frame reader) or websockets",
            labels=["reader"],
        )
        read.add_metric(["collab"], self.read_collab)
        read.add_metric(["websockets"], self.read_websockets)
        screened = CounterMetricFamily(
            "collab_ws_echoes_screened",
            "Awareness echoes dropped as they were read, before the app's queue",
        )
        screened.add_metric([], self.echoes_screened)
        yield from (written, read, screened)
