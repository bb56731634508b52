"""Bodies of /api/rooms/{room}/versions: a version, a page, saving, diffing and restoring."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from collab.api.models.common import (
    Base64Url,
    Body,
    Params,
    PositiveId,
    QueryInt,
    RoomName,
    Timestamp,
)
from collab.api.models.rooms import MAX_PAGE
from collab.store.base import VersionInfo
from collab.types import MAX_AUTHOR_CHARS

_VERSION_EXAMPLE: JsonDict = {
    "id": 12,
    "room": "notes",
    "created_at": "2026-03-02T10:42:17.250000+00:00",
    "kind": "named",
    "label": "Before the rewrite",
    "author": "Ada",
    "authors": ["Ada", "Grace"],
    "size_bytes": 912,
}

Author = Annotated[str, Field(max_length=MAX_AUTHOR_CHARS, description="who did it")]


class VersionAgent(BaseModel):
    """One of a version's `author` or `authors` that is an agent."""

    name: str = Field(description='as `authors` lists it, e.g. "Scribe (for Ada)"')
    agent: str = Field(description="the agent's name")
    person: str = Field(description="the person it acts for")


class Version(BaseModel):
    """A recorded version's metadata (the shape of VersionInfo.to_json)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_VERSION_EXAMPLE]})

    id: int
    room: RoomName
    created_at: Timestamp
    kind: Literal["auto", "named", "restore"]
    label: str | None
    author: str | None = Field(description="who saved or restored it")
    authors: list[str] = Field(description="people whose edits it holds since the previous one")
    size_bytes: int = Field(description="stored (compressed) state")
    agents: list[VersionAgent] = Field(
        default_factory=list,
        description="which of `author` and `authors` are agents, with the person each acts for",
    )

    @classmethod
    def of(cls, info: VersionInfo) -> Version:
        """The version the store describes."""
        return cls.model_validate(info, from_attributes=True)


class VersionPage(BaseModel):
    """A page of versions, newest first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_VERSION_EXAMPLE], "next_cursor": "12"}]}
    )

    items: list[Version]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: last")


class VersionWithText(Version):
    """A version's metadata and its text."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_VERSION_EXAMPLE, "text": "Hello world"}]}
    )

    text: str = Field(description="`content` as text (rich: Markdown-like, a line per block)")


class VersionListParams(Params):
    """GET /api/rooms/{room}/versions."""

    limit: QueryInt = Field(50, ge=1, le=MAX_PAGE, description=f"page size, 1 to {MAX_PAGE}")
    cursor: PositiveId | None = Field(None, description="the next_cursor of the previous page")


class NewVersion(Body):
    """POST /api/rooms/{room}/versions: name the current state."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"label": "Before the rewrite"}]})

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
    author: Author | None = Field(
        None, description="development mode only: otherwise the token's identity is the author"
    )


class RestoreVersion(Body):
    """POST .../restore: an optional JSON body."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"author": "Ada"}]})

    author: Author | None = Field(
        None, description="development mode only: otherwise the token's identity is the author"
    )


class DiffParams(Params):
    """GET .../versions/{version}/diff."""

    against: PositiveId | None = Field(None, description="the version to compare to; default: now")


class DiffOp(BaseModel):
    """A run of text kept, inserted or deleted."""

    op: Literal["equal", "insert", "delete"]
    text: str


class DiffStats(BaseModel):
    """How many characters the diff inserts and deletes."""

    inserted_chars: int
    deleted_chars: int


class Diff(BaseModel):
    """How the text changed from one version to another (or to the current document)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from": 12,
                    "to": None,
                    "lines": [
                        {"op": "delete", "text": "Hello\n"},
                        {"op": "insert", "text": "Hi\n"},
                    ],
                    "chars": [{"op": "delete", "text": "Hello"}, {"op": "insert", "text": "Hi"}],
                    "stats": {"inserted_chars": 2, "deleted_chars": 5},
                }
            ]
        }
    )

    from_: int = Field(alias="from", serialization_alias="from")
    to: int | None = Field(description="null: the current document")
    lines: list[DiffOp]
    chars: list[DiffOp] = Field(description="character-level inside changed line blocks")
    stats: DiffStats


class Restored(BaseModel):
    """A restore: the safety version of the state before, the version restored, and the new
    state vector (`changed` false: the document already equalled the version)."""

    model_config = ConfigDict(title="Restore")

    changed: bool
    safety: Version
    restored: Version
    state_vector: Base64Url
