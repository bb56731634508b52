"""The one place errors become responses: RFC 9457 problem documents."""

from __future__ import annotations

import logging
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collab.api.models.problems import PROBLEM_JSON, Problem
from collab.errors import CollabError

log = logging.getLogger(__name__)

# What a 503 (database slow or down, server busy) tells clients to wait before retrying.
RETRY_AFTER_SECONDS = 5


def problem(status: int, detail: str, *, instance: str | None = None) -> JSONResponse:
    """An `application/problem+json` response."""
    body = Problem.of(status, detail, instance or None).model_dump(mode="json", exclude_none=True)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def collab_error(request: Request, exc: Exception) -> Response:
    """CollabError -> its HTTP status with the error's detail."""
    assert isinstance(exc, CollabError)
    response = problem(exc.http_status, exc.detail, instance=request.url.path)
    if exc.http_status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405/... as problem documents too."""
    assert isinstance(exc, HTTPException)
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    messages = {404: f"no endpoint at {request.url.path}", 405: f"{request.method} not allowed"}
    response = problem(
        exc.status_code,
        detail or messages.get(exc.status_code, HTTPStatus(exc.status_code).description),
        instance=request.url.path,
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """Anything else: log it, answer 500 without internals."""
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(500, "internal server error", instance=request.url.path)


handlers = {CollabError: collab_error, HTTPException: http_error, Exception: unexpected_error}
