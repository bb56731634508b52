"""Which link targets a document may carry into what the server makes of it (HTML, Markdown
imports): http(s) and mailto addresses, and relative ones. Anything else (javascript:, data:,
vbscript:, a scheme hidden behind whitespace or control characters) is dropped, the link's
text kept."""

from __future__ import annotations

import re

_ALLOWED = re.compile(r"^(https?:|mailto:|[^:]*$)", re.IGNORECASE)


def safe_href(href: str) -> bool:
    """Whether a link to `href` may be kept: no whitespace or unprintable character, and an
    http(s) or mailto scheme, or none (a relative address)."""
    return (
        bool(href)
        and not any(ch.isspace() or not ch.isprintable() for ch in href)
        and bool(_ALLOWED.match(href))
    )
