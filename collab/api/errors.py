"""The one place errors become responses: RFC 9457 problem documents for API clients, and a
styled HTML page for browsers (a request that accepts text/html, outside /api)."""

from __future__ import annotations

import logging
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collab.api.pages import error_page
from collab.api.problem import PROBLEM_JSON, problem_document
from collab.errors import CollabError, SignInThrottled, StoreUnavailable

log = logging.getLogger(__name__)

# What a 503 (database slow or down, server busy) tells clients to wait before retrying.
RETRY_AFTER_SECONDS = 5


def problem(status: int, detail: str, *, instance: str | None = None) -> JSONResponse:
    """An `application/problem+json` response."""
    body = problem_document(status, detail, instance)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def wants_html(request: Request) -> bool:
    """A browser asking for a page: never under /api, and only when HTML is acceptable and
    preferred over JSON."""
    if request.url.path.startswith("/api/") or request.url.path == "/api":
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split("text/html")[0]


def _page_message(status: int, request: Request) -> str:
    if status == 404:
        path = request.url.path
        return f"There is nothing at {path}. The address may be mistyped, or the page moved."
    if status >= 500:
        return "Try again in a moment. If it keeps happening, tell whoever runs this server."
    return HTTPStatus(status).description


async def collab_error(request: Request, exc: Exception) -> Response:
    """CollabError -> its HTTP status with the error's detail."""
    assert isinstance(exc, CollabError)
    if isinstance(exc, StoreUnavailable):  # one line, no traceback: an outage is not a bug
        log.warning("%s %s: %s (%s)", request.method, request.url.path, exc.detail, exc.cause)
    response: Response
    if wants_html(request):
        response = error_page(exc.http_status, exc.detail)
    else:
        response = problem(exc.http_status, exc.detail, instance=request.url.path)
    if exc.http_status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if isinstance(exc, SignInThrottled):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405/... as problem documents too."""
    assert isinstance(exc, HTTPException)
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    messages = {404: f"no endpoint at {request.url.path}", 405: f"{request.method} not allowed"}
    response: Response
    if wants_html(request):
        response = error_page(exc.status_code, _page_message(exc.status_code, request))
    else:
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
    if wants_html(request):
        return error_page(500, _page_message(500, request))
    return problem(500, "internal server error", instance=request.url.path)


handlers = {CollabError: collab_error, HTTPException: http_error, Exception: unexpected_error}
