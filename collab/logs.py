"""Logs: tokens kept out (uvicorn prints WebSocket paths with their query strings), and JSON
lines on request, carrying the connection, room and request ids of the context that logged."""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

# Set by the WebSocket endpoint (room, connection) and RequestIds (request) for what they run.
room_id: ContextVar[str | None] = ContextVar("collab_room", default=None)
connection_id: ContextVar[int | None] = ContextVar("collab_connection", default=None)
request_id: ContextVar[str | None] = ContextVar("collab_request", default=None)

# A query parameter: its name and value as they appear, percent-encoded or not.
_PARAM = re.compile(r"([?&;])([^=&;\s\"'#]+)=([^&;\s\"'#]*)")


def redact(text: str) -> str:
    """`text` with the value of every query parameter whose decoded name is `token` replaced:
    the server decodes `%74oken` as `token` too, so matching the literal name is not enough."""

    def replace(match: re.Match[str]) -> str:
        if unquote_plus(match.group(2)).strip().lower() != "token":
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}=[redacted]"

    return _PARAM.sub(replace, text)


class RedactTokens(logging.Filter):
    """Redact the value of any `token` query parameter in a log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ids known, and the
    traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (("room", room_id), ("connection", connection_id), ("request", request_id)):
            value = var.get()
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, log_format: str) -> None:
    """Root logging for `collab`: text lines, or JSON lines (`log_format` "json")."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic says five INFO lines per start, migrating or not: shown only when debugging.
    quiet = logging.DEBUG if level.lower() == "debug" else logging.WARNING
    logging.getLogger("alembic").setLevel(quiet)
    # websockets' "connection open" and "connection closed", two lines per connection that say
    # less than uvicorn's "[accepted]" line (collab/serving/protocol.py).
    logging.getLogger("collab.websockets").setLevel(quiet)


class RequestIds:
    """ASGI middleware: a request id for each HTTP request and WebSocket (the client's
    X-Request-ID when it sends a short one, else a new one), for the logs of what it runs."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        ok = 0 < len(given) <= 64 and given.isprintable()
        token = request_id.set(given if ok else uuid.uuid4().hex[:16])
        try:
            await self.app(scope, receive, send)
        finally:
            request_id.reset(token)
