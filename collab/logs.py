"""Keep tokens out of logs: uvicorn prints WebSocket paths with their query strings."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"((?:^|[?&])token=)[^&\s\"']+")


class RedactTokens(logging.Filter):
    """Replace the value of any `token` query parameter in a log record with [redacted]."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN.sub(r"\1[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _TOKEN.sub(r"\1[redacted]", record.msg)
        return True


def redact_tokens_in_server_logs() -> None:
    """Install the filter on uvicorn's loggers (its access and WebSocket handshake lines)."""
    for name in ("uvicorn.error", "uvicorn.access", "uvicorn"):
        logging.getLogger(name).addFilter(RedactTokens())
