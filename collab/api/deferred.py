"""Routes imported with the first request that needs them, not at start-up.

The REST API (its handlers, the pydantic models they parse and answer with, the OpenAPI
schema) is about 12 MiB of an idle server's memory and a quarter of a second of imports that a
server serving only WebSocket clients and probes never uses. `DeferredRoutes` stands in the
app's route list where those routes go. The first request that reaches it (one no earlier
route took) waits while a worker thread imports them (the event loop, and every open
connection, goes on meanwhile); that request is then routed again from the top, now with the
routes in place, so it gets exactly the answer it would have had with every route loaded from
the start: a match, a 405 listing the methods, or the app's own 404 or trailing-slash
redirect. From then on the group matches as its routes would, in their order.

Built on Starlette's public routing interface (`BaseRoute.matches`, `handle`,
`url_path_for`; `scope["app"]` is the application, as `Request.app` reads it)."""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

log = logging.getLogger(__name__)

# Where `matches` leaves the inner route that matched, for `handle`.
_MATCHED = "collab.deferred_route"

# One deferred import at a time in this process. Two threads importing graphs that overlap
# (the REST API and the MCP SDK both import pydantic, httpx, anyio) can each wait for a module
# the other is initialising, and CPython then fails one of the imports ("deadlock detected",
# or a name missing from a partially initialised module): the first REST request and the first
# /mcp request arriving together would do that.
IMPORTS = threading.RLock()


def import_deferred(name: str) -> ModuleType:
    """Import module `name` (in the calling thread), no other deferred import running."""
    with IMPORTS:
        return importlib.import_module(name)


class DeferredRoutes(BaseRoute):
    """A group of routes made by `load` (called once, in a worker thread, when the first
    request reaches the group); `name` says what it is in the line logged then."""

    def __init__(self, name: str, load: Callable[[], Sequence[BaseRoute]]) -> None:
        self.name = name
        self._load = load
        self._routes: tuple[BaseRoute, ...] | None = None
        self._loading: asyncio.Future[tuple[BaseRoute, ...]] | None = None

    @property
    def routes(self) -> tuple[BaseRoute, ...]:
        """The group's routes, loaded here (in the calling thread) if not yet."""
        return self.load()

    def load(self) -> tuple[BaseRoute, ...]:
        """Import and make the routes now, in the calling thread, unless done already."""
        routes = self._routes
        if routes is None:
            with IMPORTS:
                if self._routes is None:
                    began = time.perf_counter()
                    self._routes = tuple(self._load())
                    took = time.perf_counter() - began
                    log.info("loaded %s (%.2f s)", self.name, took)
                routes = self._routes
        return routes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        routes = self._routes
        if routes is None:  # claim the request; handle() loads the routes, then re-routes it
            return Match.FULL, {}
        partial: tuple[Match, Scope] | None = None
        for route in routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return Match.FULL, {**child_scope, _MATCHED: route}
            if match is Match.PARTIAL and partial is None:
                partial = (Match.PARTIAL, {**child_scope, _MATCHED: route})
        return partial or (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute | None = scope.pop(_MATCHED, None)
        if route is not None:
            scope["route"] = route  # as Starlette's router sets it, for tracing middleware
            await route.handle(scope, receive, send)
            return
        if self._routes is None:
            await self._load_once()
        # Route the request again from the top, as if the group had been loaded all along.
        # (The group sits in the route list of collab's own app, which scope["app"] is.)
        await scope["app"].router.app(scope, receive, send)

    async def _load_once(self) -> None:
        """Load in one worker thread, however many requests wait for it (a failure is
        raised to each of them, and the next request tries again)."""
        if self._loading is None:
            self._loading = asyncio.ensure_future(asyncio.to_thread(self.load))
            self._loading.add_done_callback(self._loaded)
        await asyncio.shield(self._loading)

    def _loaded(self, loading: asyncio.Future[tuple[BaseRoute, ...]]) -> None:
        self._loading = None
        if not loading.cancelled():
            loading.exception()  # retrieved here: each waiter is raised it

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        # Loads the group in the calling thread if it is not yet (nothing of collab's asks a
        # URL of a route by name; a page's name is found after the whole group is loaded).
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)


def every_route(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """`routes` with each deferred group replaced by its routes (loaded if not yet)."""
    flat: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, DeferredRoutes):
            flat.extend(every_route(route.routes))
        else:
            flat.append(route)
    return flat
