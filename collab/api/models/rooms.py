"""Bodies of /api/rooms: a room, a page of rooms, creating, copying and editing the text."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, RootModel, Tag
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
from collab.store.base import RoomInfo

MAX_PAGE = 200

DocumentKind = Annotated[
    Literal["text", "rich"],
    Field(
        description="text: a Y.Text at `content` (the CodeMirror editor); rich: an XmlFragment "
        "at `content` (Tiptap, ProseMirror). A room holding an XmlFragment is rich whoever "
        "created it; otherwise it has the kind it was created with (text when none was asked)"
    ),
]

_ROOM_EXAMPLE: JsonDict = {
    "name": "notes",
    "kind": "text",
    "created_at": "2026-03-02T09:15:00+00:00",
    "updated_at": "2026-03-02T10:42:17.250000+00:00",
    "size_bytes": 1840,
    "clients": 2,
}


class Room(BaseModel):
    """A room's metadata."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ROOM_EXAMPLE]})

    name: RoomName
    kind: DocumentKind
    created_at: Timestamp
    updated_at: Timestamp = Field(description="last edit")
    size_bytes: int = Field(description="stored state plus update log")
    clients: int = Field(description="connected WebSocket clients")

    @classmethod
    def of(cls, info: RoomInfo, clients: int, kind: str) -> Room:
        """The room as the store describes it, with its live client count and kind."""
        return cls.model_validate(
            {
                "name": info.name,
                "kind": kind,
                "created_at": info.created_at,
                "updated_at": info.updated_at,
                "size_bytes": info.size_bytes,
                "clients": clients,
            }
        )


class RoomPage(BaseModel):
    """A page of rooms, newest edit first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_ROOM_EXAMPLE], "next_cursor": None}]}
    )

    items: list[Room]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: last")


class RoomListParams(Params):
    """GET /api/rooms."""

    limit: QueryInt = Field(50, ge=1, le=MAX_PAGE, description=f"page size, 1 to {MAX_PAGE}")
    cursor: Base64Url | None = Field(None, description="the next_cursor of the previous page")
    prefix: str = Field("", description="only rooms whose name starts with this")


class NewRoom(Body):
    """PUT /api/rooms/{room}: the kind of document to create (ignored if the room exists)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"kind": "rich"}]})

    kind: DocumentKind | None = None


class CopyRoom(Body):
    """POST /api/rooms/{room}/copy."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"to": "notes-copy"}]})

    to: RoomName = Field(description="the new room; it must not exist")


class StateVector(BaseModel):
    """The room's state vector after an edit was applied and committed."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"state_vector": "AQLNqpeLCQU"}]})

    state_vector: Base64Url


class InsertText(Body):
    """Insert `text` before code point `index`."""

    op: Literal["insert"]
    index: int = Field(ge=0, description="a code point offset in `content`")
    text: str = Field(description="inserted before `index`")


class DeleteText(Body):
    """Delete `length` code points from `index`."""

    op: Literal["delete"]
    index: int = Field(ge=0, description="a code point offset in `content`")
    length: int = Field(ge=0, description="code points to delete")


def _op_of(value: Any) -> str | None:
    return value.get("op") if isinstance(value, dict) else getattr(value, "op", None)


TextOp = Annotated[
    Annotated[InsertText, Tag("insert")] | Annotated[DeleteText, Tag("delete")],
    Discriminator(
        _op_of,
        custom_error_type="text_op",
        custom_error_message='must be {"op": "insert", "index": i, "text": s} '
        'or {"op": "delete", "index": i, "length": n}',
    ),
]


class EditOps(Body):
    """Operations applied in order; indexes count Unicode code points of `content`."""

    ops: list[TextOp] = Field(description="applied in order, all checked before any applies")


class ReplaceText(Body):
    """The new full text, applied as a minimal diff (editors' cursors keep their place)."""

    text: str = Field(description="the new full text of `content`")


def _edit_of(value: Any) -> str | None:
    if isinstance(value, EditOps | ReplaceText):
        return "edit-ops" if isinstance(value, EditOps) else "replace-text"
    if not isinstance(value, dict):
        return None
    return "replace-text" if "text" in value and "ops" not in value else "edit-ops"


class TextEdit(
    RootModel[
        Annotated[
            Annotated[EditOps, Tag("edit-ops")] | Annotated[ReplaceText, Tag("replace-text")],
            Discriminator(
                _edit_of,
                custom_error_type="text_edit",
                custom_error_message='must be {"text": "..."} or {"ops": [...]}',
            ),
        ]
    ]
):
    """PATCH /api/rooms/{room}/text: {"ops": [...]} or {"text": "..."}."""

    model_config = ConfigDict(
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "ops": [
                        {"op": "delete", "index": 0, "length": 5},
                        {"op": "insert", "index": 0, "text": "Hello"},
                    ]
                },
                {"text": "The whole new text"},
            ]
        },
    )


SnapshotFormat = Literal["text", "json", "yjs", "markdown", "html"]


class SnapshotParams(Params):
    """GET /api/rooms/{room}/snapshot."""

    format: SnapshotFormat | None = Field(None, description="overrides Accept")
    since: Base64Url | None = Field(
        None, description="a state vector: answer only the update it lacks (a Yjs update)"
    )
    version: PositiveId | None = Field(
        None, description="serve this past version instead of the current document"
    )
