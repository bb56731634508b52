"""Suggestions as the REST API takes them (api/suggestions.py); a suggestion is shown as the
comment thread carrying it (comments.ThreadOut with its `suggestion`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from collab.api.models.comments import AnchorIn, PassageQuote, ThreadOut
from collab.api.models.common import Body, Params


class PassagePoint(Body):
    """A passage by index: `length` code points from `index` of the document's text (as GET
    .../threads counts them); for an insertion `length` is 0 and `index` is its point."""

    index: int = Field(ge=0, description="where it starts (an insertion: where it goes)")
    length: int = Field(ge=0, description="how many characters (0 for an insertion)")


_TEXT = Field(
    "",
    max_length=100_000,
    description='the text to insert, or to put in the passage\'s place ("" for a delete)',
)


class NewSuggestion(Body):
    """POST /api/rooms/{room}/suggestions: a proposed edit, placed one way: `at` (an insertion's
    point) or `anchor` (a passage) as an editor's Yjs relative positions, or `passage` for
    scripts and agents (by index and length, or by its text)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "replace", "passage": {"text": "grew 12%"}, "text": "grew 14%"},
                {"kind": "insert", "passage": {"index": 42, "length": 0}, "text": " (draft)"},
                {"kind": "delete", "anchor": {"start": "AKqC9Y0FCAA", "end": "AKqC9Y0FF_8B"}},
                {"kind": "insert", "at": "AKqC9Y0FF_8B", "text": "very ", "body": "Stronger?"},
                {"kind": "format", "passage": {"text": "grew 14%"}, "marks": {"bold": True}},
            ]
        }
    )

    kind: Literal["insert", "delete", "replace", "format"]
    text: str = _TEXT
    marks: dict[str, bool] | None = Field(
        None,
        description="format (rich text only): the marks to add (true) or remove (false) over "
        'the passage, of "bold", "italic", "strike", "underline" and "code"',
    )
    at: str | None = Field(
        None,
        min_length=2,
        max_length=200,
        description="insert: the point, a Yjs relative position (base64url) on the character "
        "before it (assoc -1), or on the first character of a text node when at its start "
        "(assoc 0)",
    )
    anchor: AnchorIn | None = Field(None, description="delete, replace, format: the passage")
    passage: PassagePoint | PassageQuote | None = Field(
        None,
        description="instead of `at` or `anchor`: by index and length (length 0: an "
        "insertion's point), or by its text and which occurrence",
    )
    body: str = Field(
        "", description="optional: the first comment of the suggestion's thread (why)"
    )


class SuggestionPatch(Body):
    """PATCH /api/rooms/{room}/suggestions/{id}: its author changes an open suggestion, as they
    keep typing (an insertion grows, a deletion's passage widens)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"text": "grew 14.5%"},
                {"anchor": {"start": "AKqC9Y0FCAA", "end": "AKqC9Y0FG_8B"}},
            ]
        }
    )

    text: str | None = Field(None, max_length=100_000, description="the new text")
    anchor: AnchorIn | None = Field(None, description="delete, replace, format: the new passage")
    at: str | None = Field(None, min_length=2, max_length=200, description="insert: the new point")


class SuggestionParams(Params):
    """GET /api/rooms/{room}/suggestions?status=..."""

    status: Literal["open", "accepted", "rejected", "all"] = Field(
        "open", description="open suggestions (the default), accepted, rejected, or all"
    )


class ByAuthor(Body):
    """POST .../suggestions/accept-all or reject-all: the open suggestions of one author."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"author": "Ada"}]})

    author: str = Field(
        min_length=1,
        max_length=256,
        description="a person's id (people.id: their own suggestions, not their agents'), or "
        'the name suggestions show as their author (an agent\'s: "AGENT (for PERSON)")',
    )


class SuggestionPage(BaseModel):
    """A room's suggestions (their threads), in document order; those whose passage is gone
    last."""

    items: list[ThreadOut]


class AcceptedAll(BaseModel):
    """How many suggestions accept-all applied (those that could no longer apply are left
    open)."""

    accepted: int


class RejectedAll(BaseModel):
    """How many suggestions reject-all rejected."""

    rejected: int
