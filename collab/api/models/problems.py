"""The body of every error, an RFC 9457 problem document, as the OpenAPI schema and the Python
client read it (collab/api/problem.py makes it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    """What went wrong, in `detail`; `status` repeats the HTTP status."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                    "detail": "this needs the editor role on room 'notes'",
                    "instance": "/api/rooms/notes/text",
                }
            ]
        }
    )

    type: str = "about:blank"
    title: str
    status: int
    detail: str = Field(description="what went wrong, for people")
    instance: str | None = Field(None, description="the path asked for")
