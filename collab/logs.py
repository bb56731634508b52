"""Keep tokens out of logs: uvicorn prints WebSocket paths with their query strings."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

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


def redact_tokens_in_server_logs() -> None:
    """Install the filter on uvicorn's loggers (its access and WebSocket handshake lines)."""
    for name in ("uvicorn.error", "uvicorn.access", "uvicorn"):
        logging.getLogger(name).addFilter(RedactTokens())
