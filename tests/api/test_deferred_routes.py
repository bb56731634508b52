"""The REST API loads with the first request that reaches it (collab/api/deferred.py), and
that request, and any arriving with it, get the answers of an app loaded from the start."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from collab.api.deferred import IMPORTS, DeferredRoutes, import_deferred
from tests.conftest import ServerFactory
from tests.inprocess import serving_on_port
from tests.launcher import FORK_ENV
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
    make_server: ServerFactory, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
):
    # `python -m collab`, not forked from the launcher (which has imported the API already):
    # the requests below really wait for the import in the worker thread.
    monkeypatch.setenv(FORK_ENV, "0")
    server = make_server(sqlite_url)
    await server.start()
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


def _small_app(loads: list[int], fail_first: bool) -> tuple[Starlette, list[str | None]]:
    """A Starlette app whose /a/{id} route is deferred; it records each request's
    scope["route"] path template, as tracing middleware reads it."""
    seen: list[str | None] = []

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(request.path_params["id"])

    def load() -> list[BaseRoute]:
        loads.append(1)
        if fail_first and len(loads) == 1:
            raise RuntimeError("the first load fails")
        return [Route("/a/{id}", endpoint)]

    class Record:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await self.app(scope, receive, send)
            if scope["type"] == "http":
                seen.append(getattr(scope.get("route"), "path_format", None))

    app = Starlette(routes=[DeferredRoutes("a", load)], middleware=[Middleware(Record)])
    return app, seen


async def test_a_deferred_route_is_the_scopes_route_and_a_failed_load_is_tried_again():
    loads: list[int] = []
    app, seen = _small_app(loads, fail_first=True)
    async with serving_on_port(app) as port, httpx.AsyncClient(timeout=30) as client:
        url = f"http://127.0.0.1:{port}/a/7"
        assert (await client.get(url)).status_code == 500  # the load failed: uvicorn logs it
        answers = await asyncio.gather(*(client.get(url) for _ in range(5)))
        assert [(a.status_code, a.text) for a in answers] == [(200, "7")] * 5
        assert (await client.get(url)).text == "7"
    assert len(loads) == 2  # the failed load, then one for all five requests at once
    assert seen[-6:] == ["/a/{id}"] * 6


def _another_thread_could_start_a_deferred_import() -> bool:
    """Whether a thread other than this one could take the deferred-import lock right now."""
    taken: list[bool] = []

    def attempt() -> None:
        got = IMPORTS.acquire(blocking=False)
        if got:
            IMPORTS.release()
        taken.append(got)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return taken[0]


def test_deferred_imports_run_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The REST API's routes and the MCP SDK load in worker threads with their first requests;
    two imports of overlapping modules at once can fail one of them, so while one deferred
    load or import runs no other thread starts one."""
    seen: list[bool] = []

    def load() -> list[BaseRoute]:
        seen.append(_another_thread_could_start_a_deferred_import())
        return []

    assert _another_thread_could_start_a_deferred_import()  # nothing is loading now
    DeferredRoutes("the test's routes", load).load()
    module = tmp_path / "collab_deferred_probe.py"
    module.write_text(
        "from tests.api.test_deferred_routes import _another_thread_could_start_a_deferred_import\n"
        "OPEN = _another_thread_could_start_a_deferred_import()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    probe = import_deferred("collab_deferred_probe")
    assert seen == [False]
    assert probe.OPEN is False
