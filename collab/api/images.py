"""REST endpoints for the images of rich documents (issue 25): upload one (editor role), get one
(viewer role: whoever may read the document, however they came in: token, share link, session
cookie). Neither while the document is in the trash (410, as its other reads).

An upload's body is the image's bytes, raw (no multipart). What it is comes from its content
(content/imagetypes.py): PNG, JPEG, GIF or WebP; SVG and anything else is refused (415), and so
is an image over COLLAB_IMAGE_MAX_BYTES or one the document has no room left for (413). An image
is served with the type its bytes were checked to be, `nosniff`, a CSP that runs nothing, and
private immutable caching (an id names one image for ever)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collab.api.http import read_body, state_of
from collab.api.models.images import ImageOut
from collab.api.operations import BinaryBody, Operation, Reply, RoomCall, reply, resource
from collab.auth import Role
from collab.content.imagetypes import ACCEPTED, sniff
from collab.errors import ImageLimit, ImageNotFound, InvalidRequest, MessageTooBig, UnsupportedData
from collab.store.images import ImageQuota

SERVED_HEADERS = {
    "Cache-Control": "private, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Disposition": "inline",
}


class ImageBody(BinaryBody):
    """The image's bytes, whatever Content-Type is claimed: what they are is read from them."""

    async def read(self, request: Request) -> bytes:
        """The body, once it is an accepted image of at most COLLAB_IMAGE_MAX_BYTES."""
        most = state_of(request).settings.image_max_bytes
        try:
            body = await read_body(request, most)
        except MessageTooBig:
            raise ImageLimit(
                f"an image may be at most {most} bytes (COLLAB_IMAGE_MAX_BYTES)"
            ) from None
        if not body:
            raise InvalidRequest("the body must be the image's bytes")
        if sniff(body) is None:
            raise UnsupportedData(
                "not an image this server takes: send a PNG, JPEG, GIF or WebP (SVG is refused)"
            )
        return body


_IMAGE = ImageBody(
    "application/octet-stream",
    "the image's bytes: PNG, JPEG, GIF or WebP, told by its content",
    also=ACCEPTED,
)
_TOO_BIG = (
    "Over COLLAB_IMAGE_MAX_BYTES, or the document holds COLLAB_IMAGES_PER_DOCUMENT images or "
    "COLLAB_IMAGES_MAX_BYTES_PER_DOCUMENT bytes of them already"
)
UPLOAD_IMAGE = Operation(
    "uploadImage",
    "Store an image with a document",
    {
        201: Reply(
            "The image, and the path it is served at", ImageOut, headers={"Location": "its URL"}
        )
    },
    description="The body is the image's bytes (raw, not multipart), any Content-Type: what the "
    "image is comes from its content (PNG, JPEG, GIF or WebP; SVG is refused, it can hold "
    "script). Put its `url` in an image node's `src`.",
    role=Role.EDITOR,
    body=_IMAGE,
    problems={413: _TOO_BIG, 415: "Not a PNG, JPEG, GIF or WebP by its content (SVG included)"},
)


@UPLOAD_IMAGE.on_room
async def upload_image(call: RoomCall[None, bytes]) -> Response:
    """POST /api/rooms/{room}/images with the image's bytes."""
    state, data = call.state, call.body
    await state.documents.info(call.room)
    settings = state.settings
    quota = ImageQuota(settings.images_per_document, settings.images_max_bytes_per_document)
    media = sniff(data) or "application/octet-stream"
    info = await state.store.images.put(call.room, media, data, call.identity.display, quota)
    shown = ImageOut.of(info)
    return reply(shown, 201, {"Location": shown.url})


_BINARY = {"schema": {"type": "string", "contentEncoding": "binary"}}
GET_IMAGE = Operation(
    "getImage",
    "An image of a document",
    {
        200: Reply(
            "The image's bytes, as the type they were checked to be",
            content={media: _BINARY for media in ACCEPTED},
            headers={
                "Cache-Control": "private, immutable: an id names one image for ever",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "X-Content-Type-Options": "nosniff",
            },
        )
    },
    description="Served to whoever may read the document (a token, a share link's token, or "
    "the session cookie of a person it is shared with).",
    role=Role.VIEWER,
)


@GET_IMAGE.on_room
async def get_image(call: RoomCall[None, None]) -> Response:
    """GET /api/rooms/{room}/images/{image}: RoomTrashed (410) while the document is in the
    trash, as its other reads answer, though its images are kept there for a restore."""
    image_id = call.request.path_params["image"]
    await call.state.documents.info(call.room)
    found = await call.state.store.images.get(call.room, image_id)
    if found is None:
        raise ImageNotFound(f"room {call.room!r} has no image {image_id!r}")
    headers = {**SERVED_HEADERS, "ETag": f'"{image_id}"'}
    return Response(found.data, media_type=found.info.content_type, headers=headers)


routes = [
    resource("/api/rooms/{room}/images", post=upload_image),
    resource("/api/rooms/{room}/images/{image}", get=get_image),
]
