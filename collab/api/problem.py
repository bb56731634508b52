"""The body of every error: an RFC 9457 problem document, made without pydantic so that an
idle server answering errors does not load it (collab/api/models/problems.py describes the
same document for the OpenAPI schema and the Python client; a test holds the two together)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

PROBLEM_JSON = "application/problem+json"


def problem_document(status: int, detail: str, instance: str | None = None) -> dict[str, Any]:
    """The problem document for an HTTP status: `detail` says what went wrong, for people;
    `instance`, when given, is the path asked for."""
    document: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        document["instance"] = instance
    return document
