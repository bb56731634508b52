"""Images of rich documents, stored with the document (`images` table), behind `ImageStore`:
put, get, delete, list a room's. The bytes live in the database, so every process of a cluster
serves every image and a room's images go wherever its rows go (copy, export, delete)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collab.errors import ImageLimit, RoomNotFound
from collab.store import roomlog
from collab.store.models import ImageRow, RoomRow
from collab.store.outage import translates_outages

_rooms = cast(Table, RoomRow.__table__)
_images = cast(Table, ImageRow.__table__)


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What is known of a stored image besides its bytes."""

    id: str
    room: str
    content_type: str
    size: int
    created_at: datetime
    uploaded_by: str


@dataclass(frozen=True, slots=True)
class Image:
    """A stored image: its description and its bytes."""

    info: ImageInfo
    data: bytes


@dataclass(frozen=True, slots=True)
class ImageQuota:
    """How many images, and how many bytes of them all together, one document may hold."""

    count: int
    total_bytes: int


class ImageStore(Protocol):
    """Where the images of documents are kept."""

    async def put(
        self, room: str, content_type: str, data: bytes, uploader: str, quota: ImageQuota
    ) -> ImageInfo:
        """Store an image under a new random id; RoomNotFound, ImageLimit past `quota`."""
        ...

    async def get(self, room: str, image_id: str) -> Image | None:
        """The image `image_id` of `room`, if there is one."""
        ...

    async def delete(self, room: str, image_id: str) -> bool:
        """Delete one image; False if there was none."""
        ...

    async def list_for_room(self, room: str) -> list[ImageInfo]:
        """A room's images, oldest first (without their bytes)."""
        ...

    async def carry(self, room: str, images: Sequence[Image]) -> None:
        """Store `images` (of another room, or of an export) in `room` under their own ids."""
        ...


def new_id() -> str:
    """A random image id: 128 bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


def _info(row: Any) -> ImageInfo:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return ImageInfo(row.id, row.room, row.content_type, int(row.size), created, row.uploaded_by)


_INFO_COLUMNS = (
    _images.c.id,
    _images.c.room,
    _images.c.content_type,
    _images.c.size,
    _images.c.created_at,
    _images.c.uploaded_by,
)


async def forget_room(conn: AsyncConnection, room: str) -> None:
    """A room's images, deleted as the room is (inside that transaction)."""
    await conn.execute(delete(_images).where(_images.c.room == room))


@translates_outages
class SqlImages:
    """ImageStore in the database; one transaction per call. The quota is checked under the
    room row's lock (roomlog.lock), so two uploads at once cannot both pass the last place."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def put(
        self, room: str, content_type: str, data: bytes, uploader: str, quota: ImageQuota
    ) -> ImageInfo:
        """Store an image under a new random id; RoomNotFound, ImageLimit past `quota`."""
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            await roomlog.lock(conn, room)
            await _live_room(conn, room)
            await _check_quota(conn, room, len(data), quota)
            info = ImageInfo(new_id(), room, content_type, len(data), now, uploader)
            await conn.execute(_images.insert().values(**_row(info), data=data))
        return info

    async def get(self, room: str, image_id: str) -> Image | None:
        """The image `image_id` of `room`, if there is one."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(*_INFO_COLUMNS, _images.c.data).where(
                        _images.c.room == room, _images.c.id == image_id
                    )
                )
            ).first()
        return None if row is None else Image(_info(row), bytes(row.data))

    async def delete(self, room: str, image_id: str) -> bool:
        """Delete one image; False if there was none."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(_images).where(_images.c.room == room, _images.c.id == image_id)
            )
        return bool(result.rowcount)

    async def list_for_room(self, room: str) -> list[ImageInfo]:
        """A room's images, oldest first (without their bytes)."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(*_INFO_COLUMNS)
                .where(_images.c.room == room)
                .order_by(_images.c.created_at, _images.c.id)
            )
            return [_info(row) for row in rows]

    async def carry(self, room: str, images: Sequence[Image]) -> None:
        """Store `images` in `room` under their own ids (a copy, an import); those it holds
        already are left as they are."""
        if not images:
            return
        async with self._engine.begin() as conn:
            held = set(
                (await conn.scalars(select(_images.c.id).where(_images.c.room == room))).all()
            )
            rows = [
                {**_row(image.info), "room": room, "data": image.data}
                for image in images
                if image.info.id not in held
            ]
            if rows:
                await conn.execute(_images.insert(), rows)


def _row(info: ImageInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "room": info.room,
        "content_type": info.content_type,
        "size": info.size,
        "created_at": info.created_at,
        "uploaded_by": info.uploaded_by,
    }


async def _live_room(conn: AsyncConnection, room: str) -> None:
    live = await conn.scalar(
        select(_rooms.c.name).where(_rooms.c.name == room, _rooms.c.deleted_at.is_(None))
    )
    if live is None:
        raise RoomNotFound(f"room {room!r} does not exist")


async def _check_quota(conn: AsyncConnection, room: str, size: int, quota: ImageQuota) -> None:
    found = (
        await conn.execute(
            select(func.count(), func.coalesce(func.sum(_images.c.size), 0)).where(
                _images.c.room == room
            )
        )
    ).one()
    count, total = int(found[0]), int(found[1])
    if count >= quota.count:
        raise ImageLimit(
            f"this document holds {count} images, the most it may (COLLAB_IMAGES_PER_DOCUMENT)"
        )
    if total + size > quota.total_bytes:
        raise ImageLimit(
            f"this document's images would take {total + size} bytes, over its "
            f"{quota.total_bytes} (COLLAB_IMAGES_MAX_BYTES_PER_DOCUMENT)"
        )
