"""The REST API loads with the first request that reaches it (collab/api/deferred.py), and
that request, and any arriving with it, get the answers of an app loaded from the start."""

from __future__ import annotations

import asyncio

import httpx

from tests.server import ServerProcess

LOADED = "loaded the REST API"

# (method, path): requests whose answers cover each way routing can end.
REQUESTS = [
    ("GET", "/api/rooms"),  # a REST route
    ("PUT", "/api/rooms"),  # its path, a method it lacks: 405 listing the methods
    ("GET", "/api/rooms/"),  # a trailing slash: the router's redirect
    ("GET", "/api/nothing/here"),  # nothing at all: the app's 404 problem document
    ("GET", "/api/openapi.json"),  # the schema, made from every route
    ("GET", "/"),  # a page, after the REST routes
    ("GET", "/healthz"),  # a probe, before them
]


Answer = tuple[int, str | None, str | None, str]


def _answer(response: httpx.Response) -> Answer:
    kind = response.headers.get("content-type", "")
    body = response.text if kind.startswith(("application/", "text/plain")) else kind
    return (
        response.status_code,
        response.headers.get("allow"),
        response.headers.get("location"),
        body,
    )


async def _ask_all(server: ServerProcess, client: httpx.AsyncClient) -> list[Answer]:
    responses = await asyncio.gather(
        *(client.request(method, server.http_url + path) for method, path in REQUESTS)
    )
    return [_answer(response) for response in responses]


async def test_the_first_requests_load_the_api_once_and_get_a_loaded_apps_answers(
    server: ServerProcess,
):
    assert LOADED not in server.log_text()  # started and answered /healthz without it
    async with httpx.AsyncClient(timeout=60, follow_redirects=False) as client:
        first = await _ask_all(server, client)  # all at once, while the API loads
        again = await _ask_all(server, client)
    assert server.log_text().count(LOADED) == 1
    assert [status for status, *_ in first] == [200, 405, 307, 404, 200, 200, 200]
    assert first[1][1] is not None and "GET" in first[1][1] and "POST" in first[1][1]
    assert first[2][2] is not None and first[2][2].endswith("/api/rooms")
    assert '"status":404' in first[3][3] and "/api/nothing/here" in first[3][3]
    # /healthz's gauges move; every other answer is the same once the API is in place
    assert first[:6] == again[:6]
