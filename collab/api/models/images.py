"""What the image endpoints answer: an uploaded image's id, where it is served, its type, size."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from collab.content.images import image_path
from collab.store.images import ImageInfo


class ImageOut(BaseModel):
    """An image stored with a document."""

    id: str = Field(description="random, unguessable; a copy of the document keeps it")
    url: str = Field(description="where it is served, a path on this server (GET, viewer role)")
    content_type: Literal["image/png", "image/jpeg", "image/gif", "image/webp"] = Field(
        description="what its bytes are (read from them, not from the name or Content-Type)"
    )
    size: int = Field(description="bytes")
    created_at: datetime

    @classmethod
    def of(cls, info: ImageInfo) -> ImageOut:
        """The answer for a stored image."""
        return cls(
            id=info.id,
            url=image_path(info.room, info.id),
            content_type=info.content_type,  # type: ignore[arg-type]
            size=info.size,
            created_at=info.created_at,
        )
