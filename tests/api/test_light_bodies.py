"""The bodies made without pydantic, so that an idle server need not load it (the probes in
collab/api/health.py, every problem document in collab/api/problem.py), are exactly what the
models the OpenAPI schema documents them with describe: nothing missing, nothing extra."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel

from collab.api.models.health import Health, Probe
from collab.api.models.problems import Problem
from collab.api.problem import problem_document
from tests.server import ServerProcess


def _exactly(model: type[BaseModel], body: dict[str, Any]) -> None:
    parsed = model.model_validate(body, strict=True)
    assert parsed.model_dump(mode="json", exclude_unset=True) == body


async def test_probe_answers_are_their_documented_models(server: ServerProcess):
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as client:
        health = (await client.get("/healthz")).json()
        _exactly(Health, health)
        assert set(health) == set(Health.model_fields)  # every gauge, always
        _exactly(Probe, (await client.get("/livez")).json())
        _exactly(Probe, (await client.get("/readyz")).json())
        missing = await client.get("/api/rooms/notes/versions/99")
        assert missing.headers["content-type"] == "application/problem+json"
        _exactly(Problem, missing.json())


def test_problem_documents_are_problems():
    for status, instance in [(404, "/api/rooms/x"), (503, None), (422, "")]:
        document = problem_document(status, "what went wrong", instance)
        _exactly(Problem, document)
        assert ("instance" in document) == bool(instance)
