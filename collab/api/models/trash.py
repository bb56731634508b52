"""Bodies of /api/trash: documents in the trash and a page of them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from collab.api.models.common import RoomName, Timestamp
from collab.api.models.rooms import DocumentKind, RoomOwner

_EXAMPLE: JsonDict = {
    "name": "team-notes",
    "title": "Team notes",
    "kind": "text",
    "deleted_at": "2026-12-06T09:30:00+00:00",
    "deleted_by": "Ada",
    "purge_at": "2027-01-05T09:30:00+00:00",
    "owner": {"id": "p_3f2a", "name": "Ada"},
    "size_bytes": 2048,
}


class TrashedDocument(BaseModel):
    """A deleted document, kept until `purge_at` unless restored or deleted forever."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    name: RoomName = Field(description="its URL name, still taken while it is in the trash")
    title: str | None = Field(None, description="the title as typed; null: none")
    kind: DocumentKind
    deleted_at: Timestamp = Field(description="when it was moved to the trash")
    deleted_by: str | None = Field(None, description="who deleted it, as shown then; null: unknown")
    purge_at: Timestamp = Field(description="when it is erased for good, unless restored")
    owner: RoomOwner | None = Field(None, description="the person who owns it; null: nobody")
    size_bytes: int = Field(description="stored state plus update log")


class TrashPage(BaseModel):
    """The documents in the trash the caller may restore, most recently deleted first."""

    items: list[TrashedDocument] = Field(description="at most 500")
    days: float = Field(description="how many days a deleted document stays (COLLAB_TRASH_DAYS)")
