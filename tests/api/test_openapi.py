"""The OpenAPI schema covers every JSON endpoint, and a schemathesis run finds no 5xx."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route

import collab
from collab.api.openapi import SCHEMA
from tests.server import ServerProcess

META_ROUTES = {"/api/openapi.json", "/api/docs"}


def test_every_json_route_and_method_is_in_the_schema(tmp_path: Path):
    app = collab.create_app(collab.Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"))
    checked = 0
    for route in app.routes:
        if not isinstance(route, Route) or route.path in META_ROUTES:
            continue
        if not (route.path.startswith("/api/") or route.path == "/healthz"):
            continue
        assert route.path in SCHEMA["paths"], f"{route.path} is missing from the schema"
        documented = {m.upper() for m in SCHEMA["paths"][route.path] if m != "parameters"}
        assert (route.methods or set()) - {"HEAD"} == documented, route.path
        checked += 1
    assert checked == len(SCHEMA["paths"]) == 11


async def test_schema_and_docs_are_served(server: ServerProcess):
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        served = (await http.get("/api/openapi.json")).json()
        assert served["openapi"] == "3.1.0" and served == SCHEMA
        docs = await http.get("/api/docs")
        assert docs.status_code == 200 and "openapi.json" in docs.text
        not_allowed = await http.request("OPTIONS", "/api/rooms/x")
        assert not_allowed.status_code == 405
        assert set(not_allowed.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT", "DELETE"}


@pytest.mark.timeout(240)
def test_schemathesis_finds_no_server_errors(server: ServerProcess):
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st is not None, "schemathesis is part of the test extra"
    result = subprocess.run(
        [
            st,
            "run",
            f"{server.http_url}/api/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "40",
            "--seed",
            "7",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "generated" in result.stdout and " passed" in result.stdout
