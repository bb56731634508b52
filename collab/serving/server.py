"""`collab serve` on uvicorn, given collab's protocols through uvicorn's documented `http` and
`ws` options, with what uvicorn lacks:

- A header-read timeout (serving.http): a connection that has not sent a whole request head
  within `header_timeout` seconds of connecting, or of the server's last write, is closed.
- collab's WebSocket protocol (serving.protocol): the app sees its transport (a
  `TransportControl` under `collab.api.ws.TRANSPORT_KEY`) and writes its frames directly.
- A drain before shutdown: SIGTERM first fails /readyz for `drain_delay` seconds while
  everything else is served, then uvicorn stops listening and closes WebSockets with 1012.
- One startup line saying what is served where, and garbage collector thresholds for a
  server holding many connections.
- SIGUSR1 writes every thread's and task's stack to standard error (serving.stacks).
- uvicorn's log lines in collab's format (JSON when asked), with tokens redacted.

uvicorn.Server is subclassed for `handle_exit` (its signal handler) and `startup`: the test
tests/serving/test_contracts.py fails by name if either changes shape.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from types import FrameType
from typing import Any

import uvicorn
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from uvicorn.config import LOGGING_CONFIG

from collab.app import start_draining
from collab.config import Settings
from collab.config import package_version as version
from collab.logs import RedactTokens
from collab.serving.counters import FastPathCounts
from collab.serving.http import http_protocol
from collab.serving.protocol import websocket_protocol
from collab.serving.stacks import dump_on_signal

log = logging.getLogger("collab")

# CPython collects its youngest generation every 700 net allocations, and the older ones after
# 10 and 10 more of those. A server holding thousands of connections holds hundreds of thousands
# of long-lived objects, and a burst of connections allocates fast: a reconnect storm of 1,000
# clients spent 320 ms of its 1.8 s in the collector (200 ms in one full collection), 65-70 ms
# with these thresholds. Garbage cycles still go, later. Only under `collab serve`: an app that
# embeds collab keeps its own settings.
_GC_THRESHOLDS = (20_000, 20, 10)


def serve(app: Starlette, settings: Settings, sock: socket.socket) -> None:
    """Serve `app` on the bound socket `sock` until SIGTERM (drained) or SIGINT."""
    counts = FastPathCounts()
    _redact_tokens_in_uvicorn_logs()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        ws_max_size=settings.max_message_bytes,
        ws_per_message_deflate=settings.ws_compression,
        ws_ping_interval=settings.ping_interval,
        ws_ping_timeout=settings.ping_timeout,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_timeout)),
        http=http_protocol(settings.header_timeout),
        ws=websocket_protocol(counts),
        log_config=_log_config(settings.log_format),
    )
    DrainingServer(config, app, settings.drain_delay, counts).run(sockets=[sock])


def _log_config(log_format: str) -> dict[str, Any]:
    """uvicorn's loggers through the root handler (and so collab's format) for JSON; uvicorn's
    own config for text."""
    if log_format != "json":
        return LOGGING_CONFIG
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "loggers": {name: {"handlers": [], "propagate": True} for name in names},
    }


def _redact_tokens_in_uvicorn_logs() -> None:
    """uvicorn's access lines and the WebSocket lines written on its logger carry query
    strings: their tokens are redacted."""
    for name in ("uvicorn.error", "uvicorn.access", "uvicorn"):
        logging.getLogger(name).addFilter(RedactTokens())


class DrainingServer(uvicorn.Server):
    """uvicorn's server, failing /readyz `drain_delay` seconds before it shuts down on SIGTERM
    (a second signal, or SIGINT, shuts down at once)."""

    def __init__(
        self,
        config: uvicorn.Config,
        app: Starlette,
        drain_delay: float,
        counts: FastPathCounts | None = None,
    ) -> None:
        super().__init__(config)
        self._app = app
        self._drain_delay = drain_delay
        self._counts = counts
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """uvicorn's signal handler: the first SIGTERM starts the drain, and uvicorn's own
        handling (`should_exit`) follows when it is over."""
        start_draining(self._app)
        loop = self._loop
        if sig != signal.SIGTERM or self._drain_delay <= 0 or self._draining or loop is None:
            super().handle_exit(sig, frame)
            return
        self._draining = True
        # A signal handler may only hand work to the loop, as another thread would.
        exit_now = super().handle_exit
        loop.call_soon_threadsafe(loop.call_later, self._drain_delay, exit_now, sig, None)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start, then say in one line what is served where."""
        self._loop = asyncio.get_running_loop()
        dump_on_signal(self._loop)
        gc.set_threshold(*_GC_THRESHOLDS)
        await super().startup(sockets)
        gc.freeze()  # what exists once started (modules, the app) is never scanned again
        if not self.started:
            return
        state = self._app.state.collab
        if self._counts is not None:
            state.metrics.registry.register(self._counts)
        host, port = self.config.host, self.config.port
        if sockets:
            host, port = sockets[0].getsockname()[:2]
        database = make_url(state.settings.database_url).render_as_string(hide_password=True)
        try:
            documents = str(await state.store.count_rooms())
        except Exception:  # the database just went away: say so, serve all the same
            documents = "unknown"
        log.info(
            "collab %s serving http://%s:%s/ (database: %s, documents: %s)",
            version(),
            host,
            port,
            database,
            documents,
        )
