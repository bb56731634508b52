"""What each REST operation takes and answers, declared once: its handler parses its query and
body through these declarations, and collab/api/openapi.py documents the same ones."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from collab.api.access import authorize
from collab.api.http import read_body, read_json, refuse_cross_site, room_param, state_of
from collab.auth import Identity, Role
from collab.errors import InvalidRequest, UnsupportedData
from collab.state import CollabState

if TYPE_CHECKING:
    from pydantic import BaseModel

# This module is imported at start-up (the probes, collab/api/health.py, are operations), so
# it names pydantic only in annotations: the models come with the REST API, which is deferred
# (collab/api/deferred.py), and validation imports them with the first body it reads.
Handler = Callable[[Request], Awaitable[Response]]
YJS = "application/octet-stream"
M = TypeVar("M", bound="BaseModel")
Q = TypeVar("Q")
B = TypeVar("B")


def _validate(model: type[M], data: Any) -> M:
    from collab.api.models.common import validate

    return validate(model, data)


@dataclass(frozen=True)
class JsonBody(Generic[M]):
    """A JSON request body, parsed into `model` (422 naming the first thing wrong)."""

    model: type[M]
    required: bool = True

    async def read(self, request: Request) -> M:
        """The body as a `model`."""
        limit = state_of(request).settings.max_request_bytes
        return _validate(self.model, await read_json(request, limit))

    async def read_optional(self, request: Request) -> M | None:
        """The body as a `model`, or None when there is no body at all."""
        if "content-type" not in request.headers:
            return None
        limit = state_of(request).settings.max_request_bytes
        body = await read_json(request, limit, optional=True)
        return None if body is None else _validate(self.model, body)


@dataclass(frozen=True)
class BinaryBody:
    """A binary request body of one media type, non-empty (`also`: other media types a
    subclass's `read` takes as well, documented alongside)."""

    media: str
    description: str
    also: tuple[str, ...] = ()

    async def read(self, request: Request) -> bytes:
        """The body's bytes: 415 for another Content-Type, 422 when empty."""
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != self.media:
            raise UnsupportedData(
                f"send the body as {self.media}, not {media or 'no Content-Type'}"
            )
        body = await read_body(request, state_of(request).settings.max_request_bytes)
        if not body:
            raise InvalidRequest(f"the body must be {self.description}")
        return body


@dataclass(frozen=True)
class Query(Generic[M]):
    """Query parameters, parsed into `model`."""

    model: type[M]

    def parse(self, request: Request) -> M:
        """The request's query as a `model`."""
        return _validate(self.model, dict(request.query_params))


@dataclass(frozen=True)
class Header:
    """A request header an operation reads."""

    name: str
    description: str

    def read(self, request: Request) -> str | None:
        """The header's value in `request`, if sent."""
        return request.headers.get(self.name)


@dataclass(frozen=True)
class Reply:
    """A successful answer: a JSON `model`, or other media types (`content`: media -> schema).
    `model` may name its class as "module:Class", imported only when the schema is made: the
    probes' replies do, so that start-up does not import pydantic."""

    description: str
    model: type[BaseModel] | str | None = None
    content: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def model_class(self) -> type[BaseModel] | None:
        """The JSON model's class (imported here when named by a string)."""
        if not isinstance(self.model, str):
            return self.model
        module, _, name = self.model.partition(":")
        found: type[BaseModel] = getattr(importlib.import_module(module), name)
        return found


@dataclass(frozen=True)
class Operation:
    """One method of one path: its documentation and the declarations its handler parses with.
    `role`: the role it needs on the room in the path; `problems`: error statuses particular
    to it (the common ones, 401, 403, 404, 410, 413, 415, 422, 503, follow from the rest);
    `in_trash`: it works on a room in the trash, so it never answers 410 for being there."""

    id: str
    summary: str
    replies: Mapping[int, Reply]
    description: str = ""
    role: Role | None = None
    authenticated: bool = True
    query: Query[Any] | None = None
    body: JsonBody[Any] | BinaryBody | None = None
    headers: tuple[Header, ...] = ()
    problems: Mapping[int, str] = field(default_factory=dict)
    in_trash: bool = False

    @property
    def room_role(self) -> Role:
        """The role needed on the room (declared for every operation on a room)."""
        if self.role is None:
            raise TypeError(f"{self.id} declares no role")
        return self.role

    def handles(self, handler: Handler) -> Endpoint:
        """Decorate the handler of this operation."""
        return Endpoint(self, handler)

    def on_room(self, handler: RoomHandler) -> Endpoint:
        """Decorate the handler of this operation on the room in the path. Before it runs: the
        room's name is checked, the caller must hold `role` on it (nothing a stranger sends is
        read before that), then the declared query and body are parsed."""

        async def prologue(request: Request) -> Response:
            room = room_param(request)
            identity = await authorize(request, room, self.room_role)
            query = None if self.query is None else self.query.parse(request)
            body = await self._read_body(request)
            return await handler(RoomCall(request, room, identity, query, body))

        return Endpoint(self, prologue)

    async def _read_body(self, request: Request) -> Any:
        if isinstance(self.body, JsonBody) and not self.body.required:
            return await self.body.read_optional(request)
        return None if self.body is None else await self.body.read(request)


@dataclass(frozen=True, slots=True)
class RoomCall(Generic[Q, B]):
    """A call of an operation on the room in its path, admitted and parsed (Operation.on_room):
    the room, who calls with at least the operation's role, its query and body (None when the
    operation declares none, or an optional body was not sent)."""

    request: Request
    room: str
    identity: Identity
    query: Q
    body: B

    @property
    def state(self) -> CollabState:
        """The application's state."""
        return state_of(self.request)


RoomHandler = Callable[[RoomCall[Any, Any]], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    """A handler and the operation it implements."""

    operation: Operation
    handler: Handler


class ApiRoute(Route):
    """A route whose methods are documented operations."""

    def __init__(self, path: str, endpoints: Mapping[str, Endpoint]) -> None:
        self.operations = {method: e.operation for method, e in endpoints.items()}
        table = {method: e.handler for method, e in endpoints.items()}
        if "GET" in table:
            table["HEAD"] = table["GET"]

        async def dispatch(request: Request) -> Response:
            refuse_cross_site(request)
            return await table[request.method](request)

        super().__init__(path, dispatch, methods=list(table))


def resource(path: str, **endpoints: Endpoint) -> ApiRoute:
    """One route for every method of a path, so 405 answers list them all in Allow."""
    return ApiRoute(path, {method.upper(): e for method, e in endpoints.items()})


def reply(
    model: BaseModel, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response serialized from its model."""
    body = model.model_dump_json(by_alias=True)
    return Response(body, status_code=status, headers=headers, media_type="application/json")
