"""Bodies of /api/rooms/{room}/content: a rich-text document (or a passage of it) read and
edited as Markdown or ProseMirror JSON."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from collab.api.models.common import Base64Url, Body, Params, QueryInt
from collab.content.richedit import BlockRange, Passage, Section

_FORMATS = "markdown (CommonMark with GitHub's tables, strikethrough and task lists) or prosemirror"


class PassageParams(Params):
    """Which passage: top-level blocks `start` to `end`, or the section under a heading (the
    heading and the blocks up to the next heading of its level or above); neither: the whole
    document."""

    start: QueryInt | None = Field(None, ge=0, description="first top-level block (from 0)")
    end: QueryInt | None = Field(
        None, ge=0, description="with `start`: the block after the last (default: the end)"
    )
    heading: str | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="the section under the heading of this text (spaces compared loosely)",
    )
    occurrence: QueryInt = Field(
        1, ge=1, description="with `heading`: which heading of that text (1: the first)"
    )

    @model_validator(mode="after")
    def _one_passage(self) -> PassageParams:
        if self.heading is not None and (self.start is not None or self.end is not None):
            raise ValueError("name a passage by `start`/`end` or by `heading`, not both")
        if self.end is not None and self.start is None:
            raise ValueError("`end` needs `start`")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError("`end` comes before `start`")
        return self

    def passage(self) -> Passage:
        """The passage asked for (None: the whole document)."""
        if self.heading is not None:
            return Section(self.heading, self.occurrence)
        if self.start is not None:
            return BlockRange(self.start, self.end)
        return None


class ContentParams(PassageParams):
    """GET /api/rooms/{room}/content?format=...&start=...&end=... or &heading=..."""

    format: Literal["markdown", "prosemirror"] = Field("markdown", description=_FORMATS)


class RichContent(BaseModel):
    """A passage of a rich-text document (the whole of it unless a passage was asked for)."""

    markdown: str | None = Field(None, description="with format=markdown")
    prosemirror: dict[str, Any] | None = Field(
        None, description='with format=prosemirror: {"type": "doc", "content": [...]}'
    )
    base: str = Field(
        description="the passage's tag (also the ETag): send it as `base` or If-Match to edit "
        "it only if nobody changed it since"
    )
    start: int = Field(description="its first top-level block")
    end: int = Field(description="the top-level block after its last")
    blocks: int = Field(description="top-level blocks in the whole document")


class ContentEdit(Body):
    """PATCH /api/rooms/{room}/content: the passage's new content, as Markdown or as
    ProseMirror JSON (what Tiptap's editor.getJSON() gives)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"markdown": "# Plan\n\nShip in **June**.\n"},
                {
                    "prosemirror": {
                        "type": "doc",
                        "content": [
                            {
                                "type": "paragraph",
                                "content": [
                                    {"type": "text", "text": "Ship in "},
                                    {"type": "text", "text": "June", "marks": [{"type": "bold"}]},
                                ],
                            }
                        ],
                    },
                    "base": '"kVR6bBClANDFJPR7wR8uXdRu"',
                },
            ]
        }
    )

    markdown: str | None = Field(
        None, description="the new content as Markdown (marks it cannot say are kept)"
    )
    prosemirror: dict[str, Any] | None = Field(
        None, description='the new content as a ProseMirror document {"type": "doc", ...}'
    )
    base: str | None = Field(
        None,
        max_length=100,
        description="the passage's tag as read (GET .../content): 409 if it changed since; "
        "or send it as If-Match",
    )

    @model_validator(mode="after")
    def _one_content(self) -> ContentEdit:
        if (self.markdown is None) == (self.prosemirror is None):
            raise ValueError('send the new content as exactly one of "markdown" or "prosemirror"')
        return self


class ContentEdited(BaseModel):
    """What an edit did: the state vector once committed, the passage's new place and tag, and
    how many of its top-level blocks were kept, changed in place, inserted and deleted."""

    state_vector: Base64Url
    base: str = Field(description="the passage's tag now (for a next conditional edit)")
    start: int
    end: int
    kept: int
    changed: int
    inserted: int
    deleted: int
