"""Blame as the REST API shows it (api/blame.py): a passage as runs credited to their authors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from collab.api.models.common import Params, Timestamp
from collab.content.blame import Blame
from collab.documents.blame import MAX_BLAME_CHARS

_EXAMPLE: JsonDict = {
    "runs": [
        {"text": "Revenue grew ", "author": "Ada", "at": "2026-03-02T10:42:17.250000+00:00"},
        {"text": "12%", "author": "Grace Hopper", "at": "2026-03-03T08:01:02.000000+00:00"},
    ],
    "index": 0,
    "length": 16,
    "total": 16,
}


class BlameParams(Params):
    """GET /api/rooms/{room}/blame?index=...&length=..."""

    index: int = Field(0, ge=0, description="where the passage starts (code points)")
    length: int | None = Field(
        None,
        ge=0,
        le=MAX_BLAME_CHARS,
        description=f"how many characters (default: to the end, at most {MAX_BLAME_CHARS})",
    )


class RunOut(BaseModel):
    """Consecutive characters written by one author: their text, the author's name as history
    shows it (null: no record, text folded before blame was kept), and the latest write."""

    text: str
    author: str | None
    at: Timestamp | None


class BlameOut(BaseModel):
    """The passage's runs, in order: their texts joined are the passage's text. `index` and
    `length` say what they cover, `total` how long the whole text is."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    runs: list[RunOut]
    index: int
    length: int
    total: int

    @classmethod
    def of(cls, found: Blame) -> BlameOut:
        """The response for a computed blame."""
        runs = [RunOut(text=r.text, author=r.author, at=r.at) for r in found.runs]
        return cls(runs=runs, index=found.index, length=found.length, total=found.total)
