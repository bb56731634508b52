"""The OpenAPI schema is generated from the routes and their models: it covers every JSON
endpoint and nothing else, documents authentication and errors, and a schemathesis run finds
no 5xx and no answer the schema does not describe."""

from __future__ import annotations

import asyncio
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route

import collab
from collab.api.deferred import every_route
from collab.api.models.versions import Version
from collab.api.openapi import build_schema
from collab.api.operations import ApiRoute
from collab.store.base import VersionInfo
from tests.conftest import ServerFactory
from tests.server import ServerProcess

META_ROUTES = {"/api/openapi.json", "/api/docs"}
PROBES = {"/healthz", "/livez", "/readyz"}
SIGNING_IN = {"/api/me", "/api/session"}
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def app(tmp_path: Path):
    return collab.create_app(collab.Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"))


def test_every_api_route_is_in_the_schema_and_nothing_else(app):
    schema = build_schema(app.routes)
    served = {}
    for route in every_route(app.routes):
        if not isinstance(route, Route) or route.path in META_ROUTES:
            continue
        if route.path.startswith("/api/") or route.path in PROBES:
            assert isinstance(route, ApiRoute), f"{route.path} is not a documented ApiRoute"
            served[route.path] = {m.lower() for m in route.methods or ()} - {"head"}
    documented = {
        path: {method for method in item if method in METHODS}
        for path, item in schema["paths"].items()
    }
    assert documented == served
    assert len(served) == 48 and sum(map(len, served.values())) == 63


def test_every_operation_documents_its_token_and_its_errors(app):
    schema = build_schema(app.routes)
    bearer = schema["components"]["securitySchemes"]["bearerAuth"]
    assert bearer["type"] == "http" and bearer["scheme"] == "bearer"
    assert bearer["bearerFormat"] == "JWT" and "?token=" in bearer["description"]
    for path, item in schema["paths"].items():
        for method, operation in ((m, op) for m, op in item.items() if m in METHODS):
            responses = operation["responses"]
            problems = {
                status
                for status, response in responses.items()
                if "application/problem+json" in response.get("content", {})
            }
            assert "500" in problems, (path, method)
            if path in PROBES:
                assert operation["security"] == [] and "401" not in responses
                continue
            if path in SIGNING_IN:
                assert operation["security"] == [] and "401" not in responses
                assert "503" in problems, (path, method)
                continue
            assert operation["security"] == [{"bearerAuth": []}, {"sessionCookie": []}], (
                path,
                method,
            )
            assert {"401", "429", "503"} <= problems, (path, method)
            if "{room}" in path:
                assert {"403", "404", "422"} <= problems, (path, method)
                assert "role on the room" in operation["description"]
            if "requestBody" in operation:
                assert {"413", "422"} <= problems, (path, method)
            assert "Retry-After" in responses["503"]["headers"]


def test_bodies_and_parameters_come_from_the_models(app):
    schema = build_schema(app.routes)
    patch = schema["paths"]["/api/rooms/{room}/text"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/TextEdit"} and "ops" in body["example"]
    schemas = schema["components"]["schemas"]
    edit = schemas["TextEdit"]
    assert {option["$ref"].rsplit("/", 1)[1] for option in edit["oneOf"]} == {
        "EditOps",
        "ReplaceText",
    }
    assert schemas["InsertText"]["additionalProperties"] is False
    listing = schema["paths"]["/api/rooms"]["get"]["parameters"]
    limit = next(p for p in listing if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "default": 50, "minimum": 1, "maximum": 200}
    room = schema["paths"]["/api/rooms/{room}"]["parameters"][0]
    assert room["in"] == "path" and room["schema"]["pattern"].startswith("^[A-Za-z0-9]")
    assert set(schemas["Diff"]["required"]) == {"from", "to", "lines", "chars", "stats"}


def test_the_version_model_is_the_shape_of_version_info():
    moment = datetime(2026, 3, 2, 10, 42, 17, 250000, tzinfo=UTC)
    info = VersionInfo(12, "notes", moment, "named", "Draft", "Ada", ["Ada", "Grace"], 912)
    # Besides VersionInfo's fields, REST names the agents among the authors (from the store).
    assert Version.of(info).model_dump(mode="json") == {**info.to_json(), "agents": []}


async def test_schema_and_docs_are_served(server: ServerProcess, app):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        served = (await http.get("/api/openapi.json")).json()
        assert served["openapi"] == "3.1.0" and served == build_schema(app.routes)
        docs = await http.get("/api/docs")
        assert docs.status_code == 200 and "openapi.json" in docs.text
        not_allowed = await http.request("OPTIONS", "/api/rooms/x")
        assert not_allowed.status_code == 405
        assert set(not_allowed.headers["allow"].split(", ")) == {
            "GET",
            "HEAD",
            "PUT",
            "PATCH",
            "DELETE",
        }


@pytest.mark.timeout(600)  # about 1 minute alone, 3.5 under the whole suite's load
@pytest.mark.slow
async def test_schemathesis_finds_no_server_errors_and_no_undocumented_answers(
    make_server: ServerFactory, sqlite_url: str
):
    # The trash on, as by default: a deleted room's routes then answer 410 (the suite's other
    # servers erase on delete).
    server = make_server(sqlite_url, COLLAB_TRASH_DAYS="30")
    await server.start()
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st is not None, "schemathesis is part of the test extra"
    checks = [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
    schema = f"{server.http_url}/api/openapi.json"
    process = await asyncio.create_subprocess_exec(
        *[st, "run", schema, "--checks", ",".join(checks), "--max-examples", "25", "--seed", "7"],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = (part.decode(errors="replace") for part in await process.communicate())
    assert process.returncode == 0, stdout[-6000:] + stderr[-2000:]
    assert "generated" in stdout and " passed" in stdout
