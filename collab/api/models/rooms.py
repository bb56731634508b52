"""Bodies of /api/rooms: a room, a page of rooms, creating, copying and editing the text."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Tag,
)
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
from collab.documents.titles import MAX_TITLE
from collab.store.base import RoomInfo, RoomSort

MAX_PAGE = 200


def _title(value: str) -> str:
    title = value.strip()
    if not title:
        raise ValueError("a title needs at least one character that is not a space")
    if len(title) > MAX_TITLE:
        raise ValueError(f"a title is at most {MAX_TITLE} characters")
    if any(unicodedata.category(c) in _REFUSED or c in _BIDI_CONTROLS for c in title):
        raise ValueError("a title cannot hold control characters or line breaks")
    return title


# Control characters, line and paragraph separators, lone surrogates; and the bidi controls
# that could make a title read differently from what it holds (joiners in emoji stay).
_REFUSED = frozenset({"Cc", "Zl", "Zp", "Cs"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


Title = Annotated[
    str,
    AfterValidator(_title),
    Field(
        description=f"any Unicode, 1-{MAX_TITLE} characters (spaces around it are dropped), "
        "no line breaks or control characters",
        examples=["Team notes"],
    ),
]

DocumentKind = Annotated[
    Literal["text", "rich"],
    Field(
        description="text: a Y.Text at `content` (the CodeMirror editor); rich: an XmlFragment "
        "at `content` (Tiptap, ProseMirror). A room holding an XmlFragment is rich whoever "
        "created it; otherwise it has the kind it was created with (text when none was asked)"
    ),
]

_ROOM_EXAMPLE: JsonDict = {
    "name": "team-notes",
    "title": "Team notes",
    "kind": "text",
    "created_at": "2026-03-02T09:15:00+00:00",
    "updated_at": "2026-03-02T10:42:17.250000+00:00",
    "size_bytes": 1840,
    "clients": 2,
    "present": ["Ada", "Grace"],
    "editors": ["Ada"],
}


class RoomOwner(BaseModel):
    """A document's owner, as listings show them."""

    id: str = Field(description="the person's id (for the API; never shown to people)")
    name: str


class Room(BaseModel):
    """A room's metadata."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ROOM_EXAMPLE]})

    name: RoomName = Field(description="the URL name; it never changes, a rename included")
    title: str | None = Field(None, description="the title as typed; null: none (show the name)")
    kind: DocumentKind
    created_at: Timestamp
    updated_at: Timestamp = Field(description="last edit")
    size_bytes: int = Field(description="stored state plus update log")
    clients: int = Field(description="connected WebSocket clients")
    present: list[str] = Field(
        default_factory=list,
        description="the names people in the room announce right now, as this server process "
        "sees them (its own connections and the presence other processes relay to it while "
        "it has the room loaded); only listings and the room's metadata fill it",
    )
    editors: list[str] = Field(
        default_factory=list,
        description="who edited lately (at most 5): authors of edits no version records yet, "
        "then those of the latest version; listings and the room's metadata fill it",
    )
    owner: RoomOwner | None = Field(None, description="the person who owns it; null: nobody")
    role: Literal["viewer", "commenter", "editor", "admin"] | None = Field(
        None, description="the caller's role on it (null when the host's hook decides)"
    )

    @classmethod
    def of(
        cls,
        info: RoomInfo,
        clients: int,
        kind: str,
        present: list[str] | None = None,
        editors: list[str] | None = None,
    ) -> Room:
        """The room as the store describes it, with its live clients and people, and kind."""
        return cls.model_validate(
            {
                "name": info.name,
                "title": info.title,
                "kind": kind,
                "created_at": info.created_at,
                "updated_at": info.updated_at,
                "size_bytes": info.size_bytes,
                "clients": clients,
                "present": present or [],
                "editors": editors or [],
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
    q: str = Field(
        "", max_length=MAX_TITLE, description="only rooms whose title or name holds this, any case"
    )
    scope: Literal["all", "mine", "shared", "recent"] = Field(
        "all",
        description="for a person signed in: all they may open, those they own, those shared "
        "with them, or those they opened lately",
    )
    sort: RoomSort = Field(
        "edited",
        description="edited: last edit first; title: A to Z (the name when there is no title); "
        "created: newest first",
    )


class NewRoom(Body):
    """PUT /api/rooms/{room}: the kind of document to create (ignored if the room exists)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"kind": "rich"}]})

    kind: DocumentKind | None = None


class NewTitledRoom(Body):
    """POST /api/rooms: a new document named after its title."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"title": "Team notes", "kind": "rich"}]}
    )

    title: Title
    kind: DocumentKind | None = None


class Rename(Body):
    """PATCH /api/rooms/{room}: a new title (the URL name stays)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"title": "Team notes (2027)"}]})

    title: Title | None = Field(description="null takes the title away: the name shows")


class CopyRoom(Body):
    """POST /api/rooms/{room}/copy."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"to": "notes-copy"},
                {"title": "Copy of Team notes", "comments": True, "resolved_comments": False},
            ]
        }
    )

    to: RoomName | None = Field(
        None, description="the new room, which must not exist; absent: named after the title"
    )
    title: Title | None = Field(
        None,
        description="the copy's title; absent: \"Copy of\" the original's (when `to` is absent)",
    )
    comments: bool = Field(
        False,
        description="copy the open comment threads too (new ids, same passages, authors, times "
        "and replies); as in shared office documents, not unless asked",
    )
    resolved_comments: bool = Field(
        False, description="with `comments`, copy the resolved threads as well"
    )


ImportFormat = Literal["text", "markdown", "json", "yjs", "collab"]


class ImportParams(Params):
    """POST /api/rooms/import."""

    title: Title = Field(description="the new document's title (its name is derived from it)")
    format: ImportFormat = Field(
        description="text: UTF-8 text, a plain-text document; markdown: UTF-8 Markdown, a "
        "rich-text document; json: every root type, as the json snapshot "
        "gives it; yjs: a Yjs update (v1), as the yjs snapshot gives it; collab: the document "
        "with its comment threads, as `collab export --format collab` writes it"
    )


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


SnapshotFormat = Literal["text", "json", "yjs", "markdown", "html", "collab", "pdf", "docx"]


class SnapshotParams(Params):
    """GET /api/rooms/{room}/snapshot."""

    format: SnapshotFormat | None = Field(None, description="overrides Accept")
    since: Base64Url | None = Field(
        None, description="a state vector: answer only the update it lacks (a Yjs update)"
    )
    version: PositiveId | None = Field(
        None, description="serve this past version instead of the current document"
    )
    standalone: bool = Field(
        False,
        description="HTML only: a whole page to save or open on its own (doctype, the "
        "language of Accept-Language, charset, the title, a style sheet) instead of the "
        "fragment to put in a page",
    )
