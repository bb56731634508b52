"""The signature a webhook request carries: HMAC-SHA256 over "{timestamp}.{body}"."""

from __future__ import annotations

import hashlib
import hmac


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Collab-Signature` header value: "sha256=" and the hex HMAC of timestamp.body."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: int, body: bytes, header: str) -> bool:
    """Whether `header` is the signature of this body at this timestamp (constant time)."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)
