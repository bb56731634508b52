"""Bodies of /api/rooms/{room}/links: a share link, a new one (with its token, shown once), the
list, a revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.config import JsonDict

from collab.api.models.common import Body, RoomName, Timestamp
from collab.store.base import ShareLink

# The longest a link may last (ten years); a link that never expires has no expiry at all.
MAX_EXPIRES_IN = 10 * 365 * 86400
MAX_LABEL_CHARS = 200

_LINK_EXAMPLE: JsonDict = {
    "id": "Xq3v9a1LbW0sT7rN2cYk4g",
    "room": "notes",
    "role": "viewer",
    "label": "For the review",
    "created_by": "Ada",
    "created_at": "2026-03-02T10:42:17.250000+00:00",
    "expires_at": "2026-03-09T10:42:17+00:00",
    "revoked_at": None,
    "status": "live",
}
LinkRole = Annotated[
    Literal["viewer", "commenter", "editor"],
    Field(description="what the link lets its holder do: read, also comment, also write"),
]
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=MAX_LABEL_CHARS),
    Field(description="a note for the room's admins; never shown to the link's holder"),
]


class NewLink(Body):
    """POST /api/rooms/{room}/links: who may do what, until when (neither field: never)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"role": "viewer", "expires_in": 604800, "label": "For the review"}]
        }
    )

    role: LinkRole
    expires_in: int | None = Field(
        None, ge=1, le=MAX_EXPIRES_IN, description="seconds from now until the link expires"
    )
    expires_at: Annotated[AwareDatetime, Field(strict=False)] | None = Field(
        None, description="when the link expires (ISO 8601 with a zone; at most ten years ahead)"
    )
    label: Label | None = None

    @model_validator(mode="after")
    def _one_expiry(self) -> NewLink:
        if self.expires_in is not None and self.expires_at is not None:
            raise ValueError("give expires_in or expires_at, not both")
        if self.expires_at is not None:
            now = datetime.now(UTC)
            if not now < self.expires_at <= now + timedelta(seconds=MAX_EXPIRES_IN):
                raise ValueError("expires_at must be in the future, at most ten years ahead")
        return self

    def expiry(self) -> datetime | None:
        """When the link expires, in whole seconds (a token's `exp` is), or None: never."""
        if self.expires_in is not None:
            moment = datetime.now(UTC).timestamp() + self.expires_in
        elif self.expires_at is not None:
            moment = self.expires_at.timestamp()
        else:
            return None
        return datetime.fromtimestamp(int(moment), UTC)


class Link(BaseModel):
    """A share link (never its token)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_LINK_EXAMPLE]})

    id: str = Field(description="the link's id (its token's `lnk` claim)")
    room: RoomName
    role: LinkRole
    label: str | None
    created_by: str = Field(description="the admin who made it")
    created_at: Timestamp
    expires_at: Timestamp | None = Field(description="null: never")
    revoked_at: Timestamp | None
    status: Literal["live", "expired", "revoked"]

    @classmethod
    def of(cls, link: ShareLink, now: datetime) -> Link:
        """The link the store holds, with its status at `now`."""
        return cls.model_validate({**_fields(link), "status": link.status(now)})


def _fields(link: ShareLink) -> dict[str, object]:
    return {name: getattr(link, name) for name in ShareLink.__slots__}


class MintedLink(Link):
    """A new link, with what only this answer shows: its token and its URL."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_LINK_EXAMPLE,
                    "token": "eyJhbGciOiJIUzI1NiJ9.…",
                    "url": "https://docs.example/d/notes#token=eyJhbGciOiJIUzI1NiJ9.…",
                }
            ]
        }
    )

    token: str = Field(description="a bearer token naming the link (shown this once only)")
    url: str = Field(description="the editor page with the token in its fragment")


class LinkPage(BaseModel):
    """Every link of a room, newest first, live or not."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_LINK_EXAMPLE]}]})

    items: list[Link]


class RevokedLink(Link):
    """A revoked link, and how many connections through it this process closed."""

    closed_connections: int = Field(
        description="closed here at once (other processes of a cluster close theirs within "
        "COLLAB_LINK_RECHECK seconds)"
    )
