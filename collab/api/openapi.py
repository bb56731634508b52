"""The OpenAPI 3.1 description of the JSON API, generated from the app's routes and the models
their handlers parse and answer with; and a self-contained page that renders it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import (
    GenerateJsonSchema,
    JsonSchemaMode,
    JsonSchemaValue,
    models_json_schema,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Route

from collab.api.deferred import every_route
from collab.api.models.common import PositiveId, RoomName
from collab.api.models.problems import Problem
from collab.api.operations import ApiRoute, BinaryBody, JsonBody, Operation, Reply
from collab.api.problem import PROBLEM_JSON, problem_document
from collab.config import package_version

REF = "#/components/schemas/{model}"
Refs = Mapping[tuple[Any, JsonSchemaMode], dict[str, Any]]

_PATH_PARAMETERS = {
    "room": ("The room's name", TypeAdapter(RoomName).json_schema()),
    "version": ("A version id of the room", TypeAdapter(PositiveId).json_schema()),
    "link": ("A share link's id", {"type": "string", "examples": ["Xq3v9a1LbW0sT7rN2cYk4g"]}),
    "person": ("A person's id", {"type": "string", "examples": ["3f9c2a7d1e4b8a6c5d0e9f12"]}),
    "thread": ("A comment thread's id", {"type": "string", "examples": ["Yk3pX7rT2mW9cQ4e"]}),
    "comment": ("A comment's id", {"type": "string", "examples": ["tQ0s1vBn4Kx2Lq9A"]}),
    "image": ("An image's id", {"type": "string", "examples": ["h3Jk0sPq2rW8xYz1AbCdEf"]}),
    "session": ("An agent session's id", {"type": "string", "examples": ["9f2c4e1a7b3d5e60"]}),
}
_CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}

SESSION_COOKIE = {
    "type": "apiKey",
    "in": "cookie",
    "name": "collab_session",
    "description": "A person signed in (POST /api/session, or the organisation's OpenID Connect "
    "provider at /auth/oidc/login). Every request that changes something, made with this "
    "cookie, also sends the session's CSRF token (GET /api/me) as X-CSRF-Token.",
}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "`Authorization: Bearer <token>`: a JWT signed with the server's secret "
    "(HS256) or verified with its public key (RS256/ES256), carrying per-room grants (a room, "
    "or a prefix ending in `*`, with the role viewer, commenter, editor or admin). "
    "`collab token --room NAME --role editor --secret ...` issues one. REST takes the header "
    "only; the WebSocket at /ws/{room} also takes the subprotocol `collab.token.<jwt>` or, as "
    "a last resort, `?token=`. Without a secret or public key (development mode) no token is "
    "needed.",
}

INFO = {
    "title": "collab",
    "version": package_version(),
    "description": "Real-time collaborative documents. Authenticate with a bearer token (see "
    "the bearerAuth scheme); each operation says the role it needs on its room. Errors are "
    "RFC 9457 problem documents (application/problem+json) whose `detail` says what went "
    "wrong. The WebSocket protocol at /ws/{room} is described in docs/protocol.md.",
}


def build_schema(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI document of every ApiRoute among `routes` (deferred groups included)."""
    api = [route for route in every_route(list(routes)) if isinstance(route, ApiRoute)]
    api.sort(key=lambda route: not route.path.startswith("/api/"))  # the probes last
    refs, schemas = _components(api)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "paths": {route.path: _path_item(route, refs, schemas) for route in api},
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": BEARER, "sessionCookie": SESSION_COOKIE},
        },
    }


def _components(routes: list[ApiRoute]) -> tuple[Refs, dict[str, Any]]:
    """A $ref per (model, mode), and the schemas they point to."""
    pairs: set[tuple[type[BaseModel], JsonSchemaMode]] = {(Problem, "serialization")}
    for operation in (op for route in routes for op in route.operations.values()):
        pairs |= {
            (model, "serialization")
            for model in (r.model_class for r in operation.replies.values())
            if model is not None
        }
        if isinstance(operation.body, JsonBody):
            pairs.add((operation.body.model, "validation"))
    ordered = sorted(pairs, key=lambda pair: (pair[0].__name__, pair[1]))
    refs, defs = models_json_schema(ordered, ref_template=REF, schema_generator=_AsWritten)
    return refs, dict(sorted(defs.get("$defs", {}).items()))


class _AsWritten(GenerateJsonSchema):
    """Keys in the order the models declare them (fields, and examples as written)."""

    def sort(self, value: JsonSchemaValue, parent_key: str | None = None) -> JsonSchemaValue:
        return value


def _path_item(route: ApiRoute, refs: Refs, schemas: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    names = list(route.param_convertors)
    if names:
        item["parameters"] = [_path_parameter(name) for name in names]
    for method, operation in route.operations.items():
        item[method.lower()] = _operation(route.path, method, operation, refs, schemas)
    return item


def _path_parameter(name: str) -> dict[str, Any]:
    description, schema = _PATH_PARAMETERS[name]
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


def _operation(
    path: str, method: str, operation: Operation, refs: Refs, schemas: dict[str, Any]
) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": operation.id, "summary": operation.summary}
    doc["tags"] = [_tag(path)]
    doc["description"] = _description(operation)
    parameters = _query_parameters(operation) + [
        {"name": h.name, "in": "header", "description": h.description, "schema": {"type": "string"}}
        for h in operation.headers
    ]
    if parameters:
        doc["parameters"] = parameters
    if operation.body is not None:
        doc["requestBody"] = _request_body(operation.body, refs, schemas)
    responses = {
        status: _reply(reply, refs, schemas) for status, reply in operation.replies.items()
    }
    for status, description in _problems(path, method, operation).items():
        responses[status] = _problem(status, description)
    doc["responses"] = {str(status): responses[status] for status in sorted(responses)}
    doc["security"] = [{"bearerAuth": []}, {"sessionCookie": []}] if operation.authenticated else []
    return doc


def _tag(path: str) -> str:
    for tag in ("versions", "links", "threads"):
        if f"/{tag}" in path:
            return tag
    return "rooms" if "/api/" in path else "probes"


def _description(operation: Operation) -> str:
    parts = [operation.description] if operation.description else []
    if operation.role is not None:
        parts.append(f"Needs the {operation.role.name.lower()} role on the room.")
    elif operation.authenticated:
        parts.append("Needs a token (any role); answers with what its grants allow.")
    else:
        parts.append("Needs no token.")
    return " ".join(parts)


def _query_parameters(operation: Operation) -> list[dict[str, Any]]:
    if operation.query is None:
        return []
    schema = operation.query.model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    parameters = []
    for name, field in schema["properties"].items():
        field = _not_null(field)
        description = field.pop("description", "")
        field.pop("title", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": field}
        parameters.append({**parameter, "description": description})
    return parameters


def _not_null(field: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the null branch and default."""
    options = [option for option in field.get("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1:
        rest = {key: value for key, value in field.items() if key not in ("anyOf", "default")}
        return {**options[0], **rest}
    return dict(field)


def _request_body(
    body: JsonBody[Any] | BinaryBody, refs: Refs, schemas: dict[str, Any]
) -> dict[str, Any]:
    if isinstance(body, BinaryBody):
        schema = {"type": "string", "contentEncoding": "binary", "description": body.description}
        medias = (body.media, *body.also)
        return {"required": True, "content": {media: {"schema": schema} for media in medias}}
    media = _media(refs[(body.model, "validation")], schemas)
    return {"required": body.required, "content": {"application/json": media}}


def _reply(reply: Reply, refs: Refs, schemas: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"description": reply.description}
    content: dict[str, Any] = {}
    model = reply.model_class
    if model is not None:
        content["application/json"] = _media(refs[(model, "serialization")], schemas)
    content.update({media: dict(value) for media, value in reply.content.items()})
    if content:
        doc["content"] = content
    if reply.headers:
        doc["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in reply.headers.items()
        }
    return doc


def _media(ref: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A media type object: the schema, with the model's first example (the docs show it)."""
    name = str(ref["$ref"]).rsplit("/", 1)[-1]
    examples = schemas.get(name, {}).get("examples", [])
    return {"schema": ref, "example": examples[0]} if examples else {"schema": ref}


def _problems(path: str, method: str, operation: Operation) -> dict[int, str]:
    """The error statuses of an operation: the common ones its declaration implies, then its own."""
    found: dict[int, str] = {}
    if operation.authenticated:
        found[401] = "No valid bearer token: missing, malformed, badly signed or expired"
        if operation.role is not None:
            found[403] = f"The token lacks the {operation.role.name.lower()} role on the room"
    if method in _CHANGES:
        cross_site = "A browser request from an Origin not allowed (COLLAB_ALLOWED_ORIGINS)"
        found[403] = f"{found[403]}; or: {cross_site}" if 403 in found else cross_site
        found[415] = "A Content-Type a cross-site form could send, or not the one asked for"
    if "{room}" in path:
        found[404] = "No such room" + next(
            (
                f" or {name}"
                for name in ("version", "link", "person", "image")
                if f"{{{name}}}" in path
            ),
            "",
        )
        if not operation.in_trash:
            found[410] = (
                "The room is in the trash (an owner or admin can restore it), or it was "
                "deleted while the request ran"
            )
    elif "{person}" in path:
        found[404] = "No such person"
    if operation.body is not None:
        found[413] = "The body is over COLLAB_MAX_REQUEST_BYTES"
    found[421] = "The Host header names no host this server answers to (COLLAB_ALLOWED_HOSTS)"
    if operation.body is not None or operation.query is not None or "{" in path:
        found[422] = "Invalid parameters or body: `detail` names the first thing wrong"
    if operation.authenticated:
        found[429] = "Too many requests (a host's authentication hook may refuse so)"
    if operation.authenticated or path.startswith("/api/"):
        found[503] = "The database is slow or down, or the server is busy or restarting"
    found.update(operation.problems)
    found[500] = "An unexpected error (logged on the server) or a host's hook failed"
    return found


def _problem(status: int, description: str) -> dict[str, Any]:
    example = problem_document(status, description.split(":")[0].split(";")[0])
    media = {"schema": {"$ref": REF.format(model="Problem")}, "example": example}
    doc: dict[str, Any] = {"description": description, "content": {PROBLEM_JSON: media}}
    if status in (429, 503):
        doc["headers"] = _RETRY_AFTER
    return doc


async def openapi_json(request: Request) -> JSONResponse:
    """GET /api/openapi.json: generated once per app from its routes."""
    state = request.app.state
    if getattr(state, "openapi_schema", None) is None:
        state.openapi_schema = build_schema(request.app.routes)
    return JSONResponse(state.openapi_schema)


async def docs_page(request: Request) -> HTMLResponse:
    """GET /api/docs: the schema rendered without any third-party script."""
    return HTMLResponse(_DOCS_HTML)


_DOCS_HTML = (Path(__file__).parent / "api_docs.html").read_text()

routes = [Route("/api/openapi.json", openapi_json), Route("/api/docs", docs_page)]
