"""Real answers of a server that needs tokens, each checked against the generated schema: its
status is documented for its operation, and its body validates against the schema of its media
type (401, 403, 404, 413 and 422 problems as well as the successes)."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import pytest

import collab
from collab.api.openapi import build_schema
from tests.auth.test_websocket_auth import SECRET, token
from tests.conftest import ServerFactory
from tests.server import ServerProcess

ADMIN = {"Authorization": f"Bearer {token('doc*', 'admin', ttl=7200)}"}
VIEWER = {"Authorization": f"Bearer {token('doc', 'viewer', ttl=7200)}"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return build_schema(collab.create_app(collab.Settings()).routes)


@pytest.fixture
async def secured(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET, COLLAB_MAX_REQUEST_BYTES="4096")
    await server.start()
    return server


def check(schema: dict[str, Any], path: str, response: httpx.Response) -> None:
    """The response is one the schema describes for `path` and the request's method."""
    operation = schema["paths"][path][response.request.method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], f"{status} undocumented for {path}: {response.text}"
    content = operation["responses"][status].get("content")
    if content is None:
        assert response.content == b"", response.content
        return
    media = response.headers["content-type"].split(";")[0]
    assert media in content, f"{media} undocumented for {status} of {path}"
    if media.endswith("json"):
        root = {**content[media]["schema"], "components": schema["components"]}
        errors = [
            error.message
            for error in jsonschema_rs.validator_for(root).iter_errors(response.json())
        ]
        assert errors == [], (path, status, response.json())


ROOM, VERSION = "/api/rooms/{room}", "/api/rooms/{room}/versions/{version}"
EDIT = {"ops": [{"op": "insert", "index": 0, "text": "hello"}]}
# (documented path, method, URL, request arguments, status expected); {vid}: the version saved.
CALLS: list[tuple[str, str, str, dict[str, Any], int | tuple[int, ...]]] = [
    ("/api/rooms", "GET", "/api/rooms", {}, 401),
    ("/api/rooms", "GET", "/api/rooms", {"headers": ADMIN}, 200),
    (ROOM, "PUT", "/api/rooms/doc", {"headers": VIEWER}, 403),
    (ROOM, "PUT", "/api/rooms/doc", {"headers": ADMIN, "json": {"kind": "text"}}, 201),
    (ROOM, "PUT", "/api/rooms/doc", {"headers": ADMIN, "json": {"kind": "x"}}, 422),
    (ROOM, "GET", "/api/rooms/doc", {"headers": VIEWER}, 200),
    (ROOM, "GET", "/api/rooms/doc-none", {"headers": ADMIN}, 404),
    (f"{ROOM}/text", "PATCH", "/api/rooms/doc/text", {"headers": ADMIN, "json": EDIT}, 200),
    (f"{ROOM}/text", "PATCH", "/api/rooms/doc/text", {"headers": ADMIN, "json": {"ops": 1}}, 422),
    (
        f"{ROOM}/text",
        "PATCH",
        "/api/rooms/doc/text",
        {"headers": ADMIN, "json": {"text": "x" * 5000}},
        413,
    ),
    (
        f"{ROOM}/copy",
        "POST",
        "/api/rooms/doc/copy",
        {"headers": ADMIN, "json": {"to": "doc2"}},
        201,
    ),
    (
        f"{ROOM}/versions",
        "POST",
        "/api/rooms/doc/versions",
        {"headers": ADMIN, "json": {"label": "v1"}},
        # 201, or 200 when an automatic version of this very state came first (a room nobody
        # is connected to records one after an edit): the save names that version.
        (200, 201),
    ),
    (f"{ROOM}/versions", "GET", "/api/rooms/doc/versions", {"headers": VIEWER}, 200),
    (VERSION, "GET", "/api/rooms/doc/versions/{vid}", {"headers": VIEWER}, 200),
    (VERSION, "GET", "/api/rooms/doc/versions/99", {"headers": VIEWER}, 404),
    (f"{VERSION}/diff", "GET", "/api/rooms/doc/versions/{vid}/diff", {"headers": VIEWER}, 200),
    (
        f"{VERSION}/restore",
        "POST",
        "/api/rooms/doc/versions/{vid}/restore",
        {"headers": VIEWER},
        403,
    ),
    (
        f"{VERSION}/restore",
        "POST",
        "/api/rooms/doc/versions/{vid}/restore",
        {"headers": ADMIN},
        200,
    ),
    (f"{ROOM}/snapshot", "GET", "/api/rooms/doc/snapshot", {"headers": VIEWER}, 200),
    (f"{ROOM}/snapshot", "GET", "/api/rooms/doc/snapshot?format=html", {"headers": VIEWER}, 200),
    (f"{ROOM}/updates", "POST", "/api/rooms/doc/updates", {"headers": ADMIN, "content": b"1"}, 415),
    (ROOM, "DELETE", "/api/rooms/doc2", {"headers": ADMIN}, 204),
    ("/healthz", "GET", "/healthz", {}, 200),
    ("/readyz", "GET", "/readyz", {}, 200),
]


async def test_answers_with_and_without_the_right_token_are_documented(secured, schema):
    vid = ""
    async with httpx.AsyncClient(timeout=30, base_url=secured.http_url) as http:
        for path, method, url, arguments, status in CALLS:
            response = await http.request(method, url.format(vid=vid), **arguments)
            expected = status if isinstance(status, tuple) else (status,)
            assert response.status_code in expected, (method, url, response.text)
            check(schema, path, response)
            if path == f"{ROOM}/versions" and method == "POST":
                vid = str(response.json()["id"])
